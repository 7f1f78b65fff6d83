"""Provider authentication by API key (``Authorization: Bearer``), and the web's rate limits.

A provider key has its own limit; a national id has one too, shared by every provider and
every web channel (API, FHIR, pages), so that no key, nor many together, can watch one person.
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.appkeys import CORE
from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.problems import Problem
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.provider import Provider
from eligibility_gw.keyvalue import RateDecision
from eligibility_gw.providers import authenticate
from eligibility_gw.wording import Wording


def bearer_key(request: web.Request) -> str:
    """The key in the Authorization header, or ''."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


async def active_provider(request: web.Request, key: str | None = None) -> Provider:
    """The active provider owning the request's key; a problem otherwise.

    An unknown key learns nothing (401 as for a missing one); a deactivated provider is told
    so, and how to become active again.
    """
    key = bearer_key(request) if key is None else key
    if not key:
        raise Problem(
            "unauthorized",
            "Send the API key as 'Authorization: Bearer <key>'.",
            {"WWW-Authenticate": 'Bearer realm="eligibility-gw"'},
        )
    provider = await authenticate(request.config_dict[CORE].store.providers, key)
    if provider is None:
        raise Problem(
            "unauthorized",
            "The API key is not valid.",
            {"WWW-Authenticate": 'Bearer realm="eligibility-gw", error="invalid_token"'},
        )
    if not provider.active:
        raise Problem(
            "provider-deactivated",
            f"Provider {provider.provider_id} is deactivated: its inquiries are refused. "
            "Resend the establishment's registration data to the insurer to be activated "
            "again; the same key will then work.",
        )
    return provider


async def within_rate(
    request: web.Request, scope: str, provider: Provider, limit: int, window: int
) -> None:
    """Count one hit against the provider's limit in ``scope``; 429 when over."""
    core = request.config_dict[CORE]
    decision = await core.limiter.hit(scope, provider.provider_id, limit, window)
    if not decision.allowed:
        w = Wording(language_of(request, core.settings))
        detail = w.t(
            "web.rate_limited.provider",
            limit=w.digits(str(decision.limit)),
            window=w.digits(str(window)),
            seconds=w.digits(str(decision.retry_after)),
        )
        raise Problem("rate-limited", detail, {"Retry-After": str(decision.retry_after)})


async def national_id_decision(
    core: Core, ws: WebSettings, raw_national_id: str
) -> RateDecision | None:
    """Count one inquiry about a national id; None for an id refused before any lookup.

    Every provider and every web channel counts against the same limit, so no single key,
    nor many keys together, can watch one person's cover at will.
    """
    try:
        national_id = core.service.normalise_id(raw_national_id)
    except EligibilityError:
        return None
    return await core.limiter.hit(
        "web-national-id", national_id, ws.inquiries_per_national_id, ws.national_id_window_seconds
    )


def national_id_refusal(w: Wording, decision: RateDecision) -> str:
    """Why an inquiry about an over-asked national id is refused, in the caller's language."""
    return w.t("web.rate_limited.national_id", seconds=w.digits(str(decision.retry_after)))


async def national_id_within_rate(
    request: web.Request, ws: WebSettings, raw_national_id: str
) -> None:
    """Count one inquiry about the national id; a 429 problem (Retry-After) when over."""
    core = request.config_dict[CORE]
    decision = await national_id_decision(core, ws, raw_national_id)
    if decision is None or decision.allowed:
        return
    w = Wording(language_of(request, core.settings))
    raise Problem(
        "rate-limited",
        national_id_refusal(w, decision),
        {"Retry-After": str(decision.retry_after)},
    )
