"""Portal sessions: the kit's, keeping the provider id; cookies under the web channel's knobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aiohttp import web

from eligibility_gw.appkeys import STATE
from eligibility_gw.channels.pages import tokens
from eligibility_gw.channels.pages.sessions import Session, SessionStore
from eligibility_gw.channels.pages.tokens import CSRF_FIELD, new_token, same_token, well_formed
from eligibility_gw.channels.web.portal.rendering import PORTAL, PORTAL_SETTINGS
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.ports import KeyValueStore

__all__ = [
    "CSRF_FIELD",
    "PORTAL_SETTINGS",
    "PortalSession",
    "PortalSessions",
    "clear_cookie",
    "new_token",
    "same_token",
    "session_cookie",
    "sessions_for",
    "set_cookie",
    "signin_cookie",
    "well_formed",
]


@dataclass(frozen=True, slots=True)
class PortalSession(Session):
    """One signed-in browser of a provider (``principal``: its provider id)."""

    PRINCIPAL_KEY: ClassVar[str] = "provider_id"
    LOG_KEY: ClassVar[str] = "provider_id"


class PortalSessions(SessionStore[PortalSession]):
    """Start, read, change and end portal sessions."""

    def __init__(self, kv: KeyValueStore, lifetime_seconds: int) -> None:
        super().__init__(kv, PORTAL.name, lifetime_seconds, PortalSession)


def sessions_for(request: web.Request, kv: KeyValueStore | None = None) -> PortalSessions:
    """The session store for this portal's settings (in the gateway's ``STATE``)."""
    minutes = request.config_dict[PORTAL_SETTINGS].session_minutes
    return PortalSessions(request.config_dict[STATE] if kv is None else kv, minutes * 60)


def session_cookie(ws: WebSettings) -> str:
    """The name of the session id cookie."""
    return PORTAL.session_cookie(ws)


def signin_cookie(ws: WebSettings) -> str:
    """The name of the sign-in form's double-submit cookie."""
    return PORTAL.signin_cookie(ws)


def set_cookie(response: web.StreamResponse, ws: WebSettings, name: str, value: str) -> None:
    """Set a browser-session cookie: HttpOnly, SameSite=Strict, Secure as configured."""
    tokens.set_cookie(response, ws.cookie_secure, name, value)


def clear_cookie(response: web.StreamResponse, ws: WebSettings, name: str) -> None:
    """Tell the browser to forget a cookie (with the flags it was set with)."""
    tokens.clear_cookie(response, ws.cookie_secure, name)
