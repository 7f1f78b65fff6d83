"""FHIR R4 CoverageEligibility: a CoverageEligibilityRequest in (create or ``$submit``), a
CoverageEligibilityResponse out, readable again by its id; a CapabilityStatement at
``metadata`` and the gateway's own definitions at their canonical URLs.

Modules: ``negotiation`` (formats, ``Prefer``), ``reading`` (the request, refused where not
understood), ``resources`` (what is answered), ``conformance`` (what is published), ``codes``
(the code systems), ``text`` (which strings FHIR allows), ``handlers`` (the routes).
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.web.fhir import handlers
from eligibility_gw.channels.web.fhir.codes import (
    REASON_SYSTEM,
    TRACKING_SYSTEM,
    X12_AAA,
    X12_AAA_SYSTEM,
)
from eligibility_gw.channels.web.fhir.conformance import DEFINITIONS
from eligibility_gw.channels.web.fhir.handlers import FHIR_BASE, busy, fhir_errors, too_large
from eligibility_gw.channels.web.fhir.negotiation import FHIR_JSON
from eligibility_gw.settings import Settings

__all__ = [
    "FHIR_JSON",
    "REASON_SYSTEM",
    "TRACKING_SYSTEM",
    "X12_AAA",
    "X12_AAA_SYSTEM",
    "add_routes",
    "busy",
    "fhir_errors",
    "too_large",
]


def add_routes(app: web.Application, settings: Settings) -> None:
    """Add the FHIR routes to ``app`` (mounted at ``/fhir/r4``), and its base URL."""
    app[FHIR_BASE] = settings.server.public_base_url.rstrip("/") + "/fhir/r4"
    app.router.add_get("/metadata", handlers.metadata)
    app.router.add_post("/CoverageEligibilityRequest", handlers.create)
    app.router.add_post("/CoverageEligibilityRequest/$submit", handlers.submit)
    app.router.add_get("/CoverageEligibilityResponse/{id}", handlers.read)
    kinds = "|".join(DEFINITIONS)
    app.router.add_get(f"/{{kind:{kinds}}}/{{id}}", handlers.definition)
