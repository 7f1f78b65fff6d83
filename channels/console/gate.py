"""Who is at the console: the signed-in staff member behind the session cookie.

Every page but the sign-in page goes through ``staff_page`` (or ``supervisor_page``): it
loads the session, turns away an account disabled since it signed in, and checks the CSRF
token of every POST form. A visitor who is not signed in is sent to the sign-in page.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from eligibility_gw.appkeys import CASEWORK, SETTINGS, STATE
from eligibility_gw.channels.console.rendering import BASE, Frame, make_frame, render
from eligibility_gw.channels.console.sessions import StaffSession, StaffSessions
from eligibility_gw.channels.console.settings import CONSOLE_SETTINGS, ConsoleSettings
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.pages_common import (
    CSRF_FIELD,
    PageError,
    clear_cookie,
    cookie_name,
    field,
    new_token,
    read_form,
    same_token,
    see_other,
    set_cookie,
    well_formed,
)
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports.casework import ConsoleStore, StaffAccount


@dataclass(frozen=True, slots=True)
class StaffVisit:
    """A signed-in staff member's request: session, account, page frame and the store."""

    session: StaffSession
    staff: StaffAccount
    frame: Frame
    store: ConsoleStore

    @property
    def asker(self) -> Asker:
        """Who asks the service on this visit: the signed-in staff member."""
        return Asker.for_staff(self.staff.username)


VisitHandler = Callable[[web.Request, StaffVisit], Awaitable[web.StreamResponse]]
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Disabled(Exception):
    """The session's account was disabled (or removed) after signing in."""


def console_settings_of(request: web.Request) -> ConsoleSettings:
    """The console's knobs."""
    return request.config_dict[CONSOLE_SETTINGS]


def store_of(request: web.Request) -> ConsoleStore:
    """What the console keeps: staff, disputes, corrections, the access log."""
    return request.config_dict[CASEWORK]


def sessions_for(request: web.Request) -> StaffSessions:
    """The session store under this console's knobs."""
    return StaffSessions(
        request.config_dict[STATE], console_settings_of(request).session_minutes * 60
    )


def session_cookie(s: ConsoleSettings) -> str:
    """The name of the session id cookie."""
    return cookie_name(s.cookie_secure, "egw-console")


def signin_cookie(s: ConsoleSettings) -> str:
    """The name of the sign-in form's double-submit cookie."""
    return cookie_name(s.cookie_secure, "egw-console-signin")


async def current_visit(request: web.Request) -> StaffVisit | None:
    """The signed-in visit, or None; ``_Disabled`` when its account may no longer sign in."""
    s = console_settings_of(request)
    store = store_of(request)
    sessions = sessions_for(request)
    session = await sessions.load(request.cookies.get(session_cookie(s)))
    if session is None:
        return None
    staff = await store.get_staff(session.username)
    if staff is None or not staff.active:
        await sessions.end(session.session_id)
        raise _Disabled
    frame = make_frame(request, session.language, staff, session.csrf)
    return StaffVisit(session, staff, frame, store)


async def signin_page(
    request: web.Request,
    status: int = 200,
    message: str | None = None,
    language: str | None = None,
    end_session: bool = False,
    username: str = "",
    **params: object,
) -> web.Response:
    """The sign-in form with its double-submit token (set as a cookie when new)."""
    s = console_settings_of(request)
    settings = request.config_dict[SETTINGS]
    given = request.cookies.get(signin_cookie(s))
    token = given if given is not None and well_formed(given) else new_token()
    frame = make_frame(
        request, language or language_of(request, settings, request.query.get("lang")), None, token
    )
    error = frame.wording.t(message, **params) if message else None
    response = render(frame, "signin.html", status, error=error, username=username)
    if token != given:
        set_cookie(response, s.cookie_secure, signin_cookie(s), token)
    if end_session:
        clear_cookie(response, s.cookie_secure, session_cookie(s))
    return response


def _gate(handler: VisitHandler, supervisors_only: bool) -> Page:
    @functools.wraps(handler)
    async def gated(request: web.Request) -> web.StreamResponse:
        try:
            visit = await current_visit(request)
        except _Disabled:
            return await signin_page(request, 403, "console.signin.disabled", end_session=True)
        if visit is None:
            if request.method == "GET":
                return see_other(BASE + "/")
            return await signin_page(request, 401, "console.signin.expired", end_session=True)
        if request.method == "POST":
            form = await read_form(request)
            if not same_token(field(form, CSRF_FIELD), visit.session.csrf):
                raise PageError(403, "console.error.csrf")
        if supervisors_only and not visit.staff.is_supervisor:
            raise PageError(403, "console.error.supervisors_only")
        return await handler(request, visit)

    return gated


def staff_page(handler: VisitHandler) -> Page:
    """Run ``handler`` for any signed-in staff member."""
    return _gate(handler, supervisors_only=False)


def supervisor_page(handler: VisitHandler) -> Page:
    """Run ``handler`` for a signed-in supervisor; a 403 page for an agent."""
    return _gate(handler, supervisors_only=True)


async def home_or_signin(request: web.Request, handler: VisitHandler) -> web.StreamResponse:
    """``handler`` for a signed-in staff member, the sign-in page for anyone else."""
    try:
        visit = await current_visit(request)
    except _Disabled:
        return await signin_page(request, 403, "console.signin.disabled", end_session=True)
    if visit is None:
        return await signin_page(request)
    return await handler(request, visit)
