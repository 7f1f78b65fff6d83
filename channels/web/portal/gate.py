"""Who is at the portal: the signed-in visit behind the session cookie, and the sign-in page.

Every page but the sign-in page goes through ``signed_in``: it loads the session, turns away
a provider deactivated since it signed in, and checks the CSRF token of every POST form.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS, STATE
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.pages_common import Form, field, read_form
from eligibility_gw.channels.web.portal.rendering import (
    BASE,
    Frame,
    PortalError,
    make_frame,
    refusal_page,
    render,
    see_other,
)
from eligibility_gw.channels.web.portal.sessions import (
    CSRF_FIELD,
    PORTAL_SETTINGS,
    PortalSession,
    clear_cookie,
    new_token,
    same_token,
    session_cookie,
    sessions_for,
    set_cookie,
    signin_cookie,
    well_formed,
)
from eligibility_gw.domain.errors import ProviderInactive, QuotaExceeded, Refused
from eligibility_gw.domain.provider import Provider

__all__ = [
    "Form",
    "Visit",
    "deactivated_page",
    "field",
    "home_or_signin",
    "read_form",
    "refused_page",
    "signed_in",
    "signin_page",
]


@dataclass(frozen=True, slots=True)
class Visit:
    """A signed-in provider's request: its session, the provider, and the page frame."""

    session: PortalSession
    provider: Provider
    frame: Frame


VisitHandler = Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]


class _Deactivated(Exception):
    """The session's provider was deactivated (or removed) after signing in."""


async def current_visit(request: web.Request) -> Visit | None:
    """The signed-in visit, or None; ``_Deactivated`` when its provider may no longer ask."""
    ws = request.app[PORTAL_SETTINGS]
    sessions = sessions_for(request, request.config_dict[STATE])
    session = await sessions.load(request.cookies.get(session_cookie(ws)))
    if session is None:
        return None
    provider = await request.config_dict[INQUIRIES].provider(session.provider_id)
    if provider is None or not provider.active:
        await sessions.end(session.session_id)
        raise _Deactivated(session.provider_id)
    frame = make_frame(request, session.language, provider, session.csrf)
    return Visit(session, provider, frame)


async def signin_page(
    request: web.Request,
    status: int = 200,
    message: str | None = None,
    language: str | None = None,
    end_session: bool = False,
    **params: object,
) -> web.Response:
    """The sign-in form with its double-submit token (set as a cookie when new)."""
    ws = request.app[PORTAL_SETTINGS]
    settings = request.config_dict[SETTINGS]
    given = request.cookies.get(signin_cookie(ws))
    token = given if given is not None and well_formed(given) else new_token()
    frame = make_frame(
        request, language or language_of(request, settings, request.query.get("lang")), None, token
    )
    error = frame.wording.t(message, **params) if message else None
    response = render(frame, "signin.html", status, error=error)
    if token != given:
        set_cookie(response, ws, signin_cookie(ws), token)
    if end_session:
        clear_cookie(response, ws, session_cookie(ws))
    return response


def deactivated_page(request: web.Request, language: str | None = None) -> Awaitable[web.Response]:
    """Tell a deactivated provider so, and how to become active again (403)."""
    return signin_page(request, 403, "portal.signin.deactivated", language, end_session=True)


async def refused_page(request: web.Request, exc: Refused, visit: Visit) -> web.Response:
    """A page in words for what the policy refuses: a quota (429), a deactivation (403)."""
    if isinstance(exc, ProviderInactive):  # deactivated since the page was opened
        return await deactivated_page(request, visit.session.language)
    w = visit.frame.wording
    if isinstance(exc, QuotaExceeded):
        response = refusal_page(request, 429, w.error(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return refusal_page(request, 403, w.error(exc))


def signed_in(handler: VisitHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Run ``handler`` for a signed-in provider; POST forms must carry the session's token.

    What the inquiry policy refuses the handler (``Refused``) is answered with a page here.
    """

    @functools.wraps(handler)
    async def gated(request: web.Request) -> web.StreamResponse:
        try:
            visit = await current_visit(request)
        except _Deactivated:
            return await deactivated_page(request)
        if visit is None:
            if request.method == "GET":
                return see_other(BASE + "/")
            return await signin_page(request, 401, "portal.signin.expired", end_session=True)
        if request.method == "POST":
            form = await read_form(request)
            if not same_token(field(form, CSRF_FIELD), visit.session.csrf):
                raise PortalError(403, "portal.error.csrf")
        try:
            return await handler(request, visit)
        except Refused as exc:
            return await refused_page(request, exc, visit)

    return gated


async def home_or_signin(request: web.Request, handler: VisitHandler) -> web.StreamResponse:
    """``handler`` for a signed-in provider, the sign-in page for anyone else."""
    try:
        visit = await current_visit(request)
    except _Deactivated:
        return await deactivated_page(request)
    if visit is None:
        return await signin_page(request)
    return await handler(request, visit)
