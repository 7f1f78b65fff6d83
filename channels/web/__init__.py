"""The web channel: provider JSON API, FHIR R4 CoverageEligibility, pages, problem pages."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES
from eligibility_gw.channels.web import api, fhir, portal
from eligibility_gw.channels.web.openapi import openapi_document
from eligibility_gw.channels.web.problems import problem_middleware, problem_page
from eligibility_gw.channels.web.settings import web_settings
from eligibility_gw.edge import limit_body
from eligibility_gw.settings import Settings
from eligibility_gw.shedding import SHEDDER

__all__ = ["mount"]


def mount(app: web.Application, settings: Settings) -> None:
    """Add /api/v1, /fhir/r4, /portal and /problems."""
    ws = web_settings(settings)  # an old key fails here, at start-up

    async def openapi(request: web.Request) -> web.Response:
        pack = request.config_dict[INQUIRIES].pack
        return web.json_response(
            openapi_document(pack.title, tuple(s.value for s in pack.settings))
        )

    api_app = web.Application(middlewares=[problem_middleware])
    api_app[api.WEB_SETTINGS] = ws
    api_app.router.add_get("/openapi.json", openapi)
    api_app.router.add_post("/inquiries", api.post_inquiry)
    api_app.router.add_post("/inquiries/batch", api.post_batch)
    api_app.router.add_get("/inquiries/{code}", api.get_inquiry)
    api_app.router.add_get("/batches/{batch_id}", api.get_batch)
    app.add_subapp("/api/v1", api_app)
    limit_body(app, "/api/v1/", ws.max_body_bytes)
    limit_body(app, "/api/v1/inquiries/batch", ws.batch_max_bytes)

    fhir_app = web.Application(middlewares=[fhir.fhir_errors])
    fhir.add_routes(fhir_app, settings)
    app.add_subapp("/fhir/r4", fhir_app)
    limit_body(app, "/fhir/", ws.max_body_bytes, fhir.too_large)
    app[SHEDDER].register("/fhir/", fhir.busy)

    portal.mount(app, settings, ws)

    app.router.add_get("/problems/{slug}", problem_page)
