"""The gate of a page set's signed-in pages, its sign-in page, and signing out.

Every page but the sign-in page goes through ``Gate.page``: it loads the session, turns
away a principal no longer allowed (a deactivated provider, a disabled staff account) and
checks the CSRF token of every POST form. A visitor who is not signed in is sent to the
sign-in page, which carries a double-submit token (a random value both in a cookie and in
the form) until a session starts.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from eligibility_gw.appkeys import SETTINGS
from eligibility_gw.channels.pages.forms import (
    Form,
    PageError,
    field,
    local_next,
    read_form,
    see_other,
)
from eligibility_gw.channels.pages.frame import (
    Frame,
    P,
    Site,
    chosen_language,
    make_frame,
    offered_languages,
    visitor_language,
)
from eligibility_gw.channels.pages.rendering import render
from eligibility_gw.channels.pages.sessions import S, SessionStore
from eligibility_gw.channels.pages.tokens import (
    CSRF_FIELD,
    clear_cookie,
    new_token,
    same_token,
    set_cookie,
    set_lasting_cookie,
    well_formed,
)
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Visit(Generic[S, P]):
    """A signed-in request: its session, who is signed in, and the page frame."""

    session: S
    principal: P
    frame: Frame[P]


V = TypeVar("V", bound=Visit[Any, Any])
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


class TurnedAway(Exception):
    """The session's principal may no longer sign in (deactivated, disabled, removed)."""


def remember_language(
    response: web.StreamResponse, request: web.Request, site: Site[P], language: str
) -> None:
    """Keep the reader's language in its cookie (set only when it changes)."""
    knobs = site.knobs(request)
    name = site.language_cookie(knobs)
    if request.cookies.get(name) != language:
        set_lasting_cookie(response, knobs.cookie_secure, name, language)


def language_chooser(site: Site[P]) -> Middleware:
    """A middleware remembering a language chosen with ``?lang=`` on any page (a cookie)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "GET" and "lang" in request.query:
            language = chosen_language(request, site)
            if language is not None:
                remember_language(response, request, site, language)
        return response

    return middleware


class Gate(Generic[S, P, V]):
    """One page set's door: whose session a request carries, and what a visitor is shown."""

    def __init__(
        self,
        site: Site[P],
        sessions: Callable[[web.Request], SessionStore[S]],
        principal: Callable[[web.Request, S], Awaitable[P | None]],
        visit: Callable[[web.Request, S, P, Frame[P]], V],
        turned_away_by: tuple[type[Exception], ...] = (),
    ) -> None:
        """``principal`` finds who a session is for, None when no longer allowed.

        ``turned_away_by``: what a page's handler raises when its principal was turned away
        after the page was opened (answered as at the gate).
        """
        self.site = site
        self.sessions = sessions
        self._principal = principal
        self._visit = visit
        self._turned_away_by = turned_away_by
        self.sign_out = self.page(self._sign_out)
        self.set_language = self.page(self._set_language)

    async def current(self, request: web.Request) -> V | None:
        """The signed-in visit, or None; ``TurnedAway`` when its principal may no longer ask."""
        knobs = self.site.knobs(request)
        sessions = self.sessions(request)
        session = await sessions.load(request.cookies.get(self.site.session_cookie(knobs)))
        if session is None:
            return None
        principal = await self._principal(request, session)
        if principal is None:
            await sessions.end(session.session_id)
            raise TurnedAway
        frame = make_frame(request, self.site, session.language, principal, session.csrf)
        return self._visit(request, session, principal, frame)

    async def signin_page(
        self,
        request: web.Request,
        status: int = 200,
        message: str | None = None,
        language: str | None = None,
        end_session: bool = False,
        *,
        values: Mapping[str, str] | None = None,
        **params: object,
    ) -> web.Response:
        """The sign-in form with its double-submit token (set as a cookie when new).

        ``message`` (with ``params``) says why it is shown again; ``values`` refill the form.
        """
        knobs = self.site.knobs(request)
        cookie = self.site.signin_cookie(knobs)
        given = request.cookies.get(cookie)
        token = given if given is not None and well_formed(given) else new_token()
        language = language or visitor_language(request, self.site)
        frame = make_frame(request, self.site, language, None, token)
        error = frame.wording.t(message, **params) if message else None
        response = render(frame, "signin.html", status, error=error, values=values or {})
        if token != given:
            set_cookie(response, knobs.cookie_secure, cookie, token)
        if end_session:
            clear_cookie(response, knobs.cookie_secure, self.site.session_cookie(knobs))
        return response

    def turned_away_page(
        self, request: web.Request, language: str | None = None
    ) -> Awaitable[web.Response]:
        """Tell a principal no longer allowed so, and how to be allowed again (403)."""
        return self.signin_page(request, 403, self.site.turned_away, language, end_session=True)

    async def signin_form(self, request: web.Request) -> Form:
        """The posted sign-in form, its double-submit token checked (a 403 page otherwise)."""
        form = await read_form(request)
        cookie = self.site.signin_cookie(self.site.knobs(request))
        if not same_token(field(form, CSRF_FIELD), request.cookies.get(cookie)):
            raise PageError(403, self.site.text("error.csrf"))
        return form

    async def throttled_page(
        self, request: web.Request, language: str, seconds: float
    ) -> web.Response:
        """The sign-in page saying when to try again, after too many failed sign-ins (429)."""
        minutes = max(1, math.ceil(seconds / 60))
        response = await self.signin_page(
            request,
            429,
            self.site.text("signin.throttled"),
            language,
            minutes=Wording(language).digits(str(minutes)),
        )
        response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
        return response

    async def start_session(
        self, request: web.Request, principal: str, language: str
    ) -> web.Response:
        """Sign ``principal`` in: a new session, its cookie, on to the first page."""
        session = await self.sessions(request).start(principal, language)
        knobs = self.site.knobs(request)
        secure = knobs.cookie_secure
        response = see_other(self.site.home)
        set_cookie(response, secure, self.site.session_cookie(knobs), session.session_id)
        clear_cookie(response, secure, self.site.signin_cookie(knobs))
        return response

    def page(
        self,
        handler: Callable[[web.Request, V], Awaitable[web.StreamResponse]],
        allowed: Callable[[V], bool] | None = None,
        refused: str = "",
    ) -> Page:
        """Run ``handler`` for a signed-in visit; POST forms must carry the session's token.

        ``allowed`` narrows who may open the page; anyone else gets ``refused`` (403).
        """

        @functools.wraps(handler)
        async def gated(request: web.Request) -> web.StreamResponse:
            try:
                visit = await self.current(request)
            except TurnedAway:
                return await self.turned_away_page(request)
            if visit is None:
                if request.method == "GET":
                    return see_other(self.site.home)
                expired = self.site.text("signin.expired")
                return await self.signin_page(request, 401, expired, end_session=True)
            if request.method == "POST":
                form = await read_form(request)
                if not same_token(field(form, CSRF_FIELD), visit.session.csrf):
                    raise PageError(403, self.site.text("error.csrf"))
            if allowed is not None and not allowed(visit):
                raise PageError(403, refused)
            try:
                return await handler(request, visit)
            except self._turned_away_by:
                await self.sessions(request).end(visit.session.session_id)
                return await self.turned_away_page(request, visit.session.language)

        return gated

    async def home_or_signin(
        self,
        request: web.Request,
        handler: Callable[[web.Request, V], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """``handler`` for a signed-in visit, the sign-in page for anyone else."""
        try:
            visit = await self.current(request)
        except TurnedAway:
            return await self.turned_away_page(request)
        if visit is None:
            return await self.signin_page(request)
        return await handler(request, visit)

    async def _sign_out(self, request: web.Request, visit: V) -> web.StreamResponse:
        """End the session and forget its cookie."""
        session = visit.session
        await self.sessions(request).end(session.session_id)
        log.info(f"{self.site.name}_signed_out", **{session.LOG_KEY: session.principal})
        knobs = self.site.knobs(request)
        response = see_other(self.site.home)
        clear_cookie(response, knobs.cookie_secure, self.site.session_cookie(knobs))
        return response

    async def _set_language(self, request: web.Request, visit: V) -> web.StreamResponse:
        """Keep the chosen language in the session; back to the page it was chosen on."""
        form = await read_form(request)
        language = field(form, "lang")
        if language not in offered_languages(request.config_dict[SETTINGS]):
            raise PageError(422, self.site.text("error.language"))
        await self.sessions(request).set_language(visit.session, language)
        response = see_other(local_next(field(form, "next"), self.site.base))
        remember_language(response, request, self.site, language)
        return response
