"""Provider authentication by API key (``Authorization: Bearer``), and the policy's refusals.

Who may ask and how often is the core's (``eligibility_gw.inquiries``); this module only
finds the provider behind a key and words the core's refusals as problem details.
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS
from eligibility_gw.channels.web.negotiation import content_language, language_of
from eligibility_gw.channels.web.problems import Problem
from eligibility_gw.domain.errors import ProviderInactive, QuotaExceeded, Refused
from eligibility_gw.domain.provider import Provider
from eligibility_gw.policy.standing import is_stale_now
from eligibility_gw.wording import Wording


def bearer_key(request: web.Request) -> str:
    """The key in the Authorization header, or ''."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def deactivated(provider_id: str) -> Problem:
    """The refusal of a deactivated provider, with how to become active again (403)."""
    return Problem(
        "provider-deactivated",
        f"Provider {provider_id} is deactivated: its inquiries are refused. "
        "Resend the establishment's registration data to the insurer to be activated "
        "again; the same key will then work.",
    )


def inactive_problem(request: web.Request, provider: Provider) -> Problem:
    """The refusal of an inactive provider: deactivated, or its registry data stale (when it
    last sent its data, in the caller's language, and that sending newer data reactivates
    it; the same key then works)."""
    if not is_stale_now(provider):
        return deactivated(provider.provider_id)
    inquiries = request.config_dict[INQUIRIES]
    w = Wording(language_of(request, request.config_dict[SETTINGS]))
    return Problem(
        "provider-deactivated",
        w.error(inquiries.inactive(provider)),
        {"Content-Language": content_language(w.language)},
    )


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
    provider = await request.config_dict[INQUIRIES].provider_by_key(key)
    if provider is None:
        raise Problem(
            "unauthorized",
            "The API key is not valid.",
            {"WWW-Authenticate": 'Bearer realm="eligibility-gw", error="invalid_token"'},
        )
    if not provider.active:
        raise inactive_problem(request, provider)
    return provider


def quota_problem(exc: QuotaExceeded, w: Wording) -> Problem:
    """429 with Retry-After, worded for whose quota ran out (``scope``)."""
    return Problem(
        "rate-limited",
        w.error(exc),
        {"Retry-After": str(exc.retry_after), "Content-Language": content_language(w.language)},
        scope=exc.scope,
    )


def refusal_problem(exc: Refused, w: Wording, provider: Provider) -> Problem:
    """The problem for a policy refusal of ``provider``'s inquiry."""
    if isinstance(exc, QuotaExceeded):
        return quota_problem(exc, w)
    if isinstance(exc, ProviderInactive):  # deactivated since its key was checked
        if exc.params.get("problem") == "stale":
            return Problem("provider-deactivated", w.error(exc), _worded(w))
        return deactivated(provider.provider_id)
    return Problem("refused", w.error(exc), _worded(w))


def _worded(w: Wording) -> dict[str, str]:
    """The header naming the language a problem's detail is worded in."""
    return {"Content-Language": content_language(w.language)}
