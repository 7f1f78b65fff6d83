"""Portal sessions and CSRF tokens: the cookie holds only a random id, the state lives in ``kv``.

A signed-in session keeps the provider id, the reader's language, its CSRF token and an
absolute expiry. Before sign-in, the sign-in form is protected by a double-submit token: a
random value both in a cookie and in the form.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Any

from aiohttp import web

from eligibility_gw.channels.web import pages_common
from eligibility_gw.channels.web.pages_common import CSRF_FIELD, new_token, same_token, well_formed
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.keyvalue import Sessions
from eligibility_gw.ports import KeyValueStore

__all__ = [
    "CSRF_FIELD",
    "PORTAL_SETTINGS",
    "PortalSession",
    "PortalSessions",
    "clear_cookie",
    "cookie_name",
    "new_token",
    "same_token",
    "session_cookie",
    "sessions_for",
    "set_cookie",
    "signin_cookie",
    "well_formed",
]

PORTAL_SETTINGS = web.AppKey("portal_settings", WebSettings)


@dataclass(frozen=True, slots=True)
class PortalSession:
    """One signed-in browser: whose it is, in which language, until when."""

    session_id: str
    provider_id: str
    language: str
    csrf: str
    expires_at: float

    def as_state(self) -> dict[str, Any]:
        """What is stored under the session id (the id itself is the key)."""
        state = asdict(self)
        del state["session_id"]
        return state


class PortalSessions:
    """Start, read, change and end portal sessions."""

    def __init__(self, kv: KeyValueStore, lifetime_seconds: int) -> None:
        self.lifetime = lifetime_seconds
        self._store = Sessions(kv, "portal", lifetime_seconds)

    async def start(self, provider_id: str, language: str) -> PortalSession:
        """A new session under a new id (never one the browser brought: no fixation)."""
        session = PortalSession(
            new_token(), provider_id, language, new_token(), time.time() + self.lifetime
        )
        await self._store.save(session.session_id, session.as_state())
        return session

    async def load(self, session_id: str | None) -> PortalSession | None:
        """The live session under ``session_id``, or None (unknown, malformed or expired)."""
        if session_id is None or not well_formed(session_id):
            return None
        state = await self._store.load(session_id)
        if state is None:
            return None
        try:
            session = PortalSession(
                session_id,
                str(state["provider_id"]),
                str(state["language"]),
                str(state["csrf"]),
                float(state["expires_at"]),
            )
        except (KeyError, TypeError, ValueError):
            await self._store.drop(session_id)
            return None
        if session.expires_at <= time.time():
            await self._store.drop(session_id)
            return None
        return session

    async def set_language(self, session: PortalSession, language: str) -> PortalSession:
        """Keep the reader's language (the expiry stays as it was)."""
        changed = replace(session, language=language)
        await self._store.save(changed.session_id, changed.as_state())
        return changed

    async def end(self, session_id: str) -> None:
        """Forget the session."""
        await self._store.drop(session_id)


def sessions_for(request: web.Request, kv: KeyValueStore) -> PortalSessions:
    """The session store for this portal's settings."""
    ws = request.app[PORTAL_SETTINGS]
    return PortalSessions(kv, ws.session_minutes * 60)


def cookie_name(ws: WebSettings, base: str) -> str:
    """``__Host-`` names bind a Secure cookie to this host and path ``/``."""
    return pages_common.cookie_name(ws.cookie_secure, base)


def session_cookie(ws: WebSettings) -> str:
    """The name of the session id cookie."""
    return cookie_name(ws, "egw-portal")


def signin_cookie(ws: WebSettings) -> str:
    """The name of the sign-in form's double-submit cookie."""
    return cookie_name(ws, "egw-portal-signin")


def set_cookie(response: web.StreamResponse, ws: WebSettings, name: str, value: str) -> None:
    """Set a browser-session cookie: HttpOnly, SameSite=Strict, Secure as configured."""
    pages_common.set_cookie(response, ws.cookie_secure, name, value)


def clear_cookie(response: web.StreamResponse, ws: WebSettings, name: str) -> None:
    """Tell the browser to forget a cookie (with the flags it was set with)."""
    pages_common.clear_cookie(response, ws.cookie_secure, name)
