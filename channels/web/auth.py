"""Provider authentication by API key (``Authorization: Bearer``), and its rate limit."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.appkeys import CORE
from eligibility_gw.channels.web.problems import Problem
from eligibility_gw.domain.provider import Provider
from eligibility_gw.providers import authenticate


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
    limiter = request.config_dict[CORE].limiter
    decision = await limiter.hit(scope, provider.provider_id, limit, window)
    if not decision.allowed:
        raise Problem(
            "rate-limited",
            f"More than {decision.limit} requests in {window} s; retry in "
            f"{decision.retry_after} s.",
            {"Retry-After": str(decision.retry_after)},
        )
