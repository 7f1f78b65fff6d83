"""Session and CSRF tokens, and the cookies that carry them."""

from __future__ import annotations

import hmac
import re
import secrets

from aiohttp import web

#: The hidden form field every POST form carries.
CSRF_FIELD = "csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def new_token() -> str:
    """A fresh unguessable token (session id or CSRF token)."""
    return secrets.token_urlsafe(32)


def well_formed(token: str | None) -> bool:
    """Say whether ``token`` looks like one of ours (checked before any lookup)."""
    return token is not None and _TOKEN.fullmatch(token) is not None


def same_token(given: str | None, expected: str | None) -> bool:
    """Compare a submitted token with the expected one in constant time."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def cookie_name(secure: bool, base: str) -> str:
    """``__Host-`` names bind a Secure cookie to this host and path ``/``."""
    return f"__Host-{base}" if secure else base


def set_cookie(response: web.StreamResponse, secure: bool, name: str, value: str) -> None:
    """Set a browser-session cookie (gone when the browser closes): HttpOnly, SameSite=Strict.

    Secure as configured; the server-side session expires on its own in any case.
    """
    response.set_cookie(name, value, path="/", httponly=True, samesite="Strict", secure=secure)


#: How long the browser remembers a language chosen on the pages.
REMEMBER_SECONDS = 365 * 24 * 3600


def set_lasting_cookie(response: web.StreamResponse, secure: bool, name: str, value: str) -> None:
    """Set a cookie kept for a year (a preference, never a secret): HttpOnly, SameSite=Lax."""
    response.set_cookie(
        name,
        value,
        path="/",
        max_age=REMEMBER_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def clear_cookie(response: web.StreamResponse, secure: bool, name: str) -> None:
    """Tell the browser to forget a cookie (with the flags it was set with)."""
    response.del_cookie(name, path="/", secure=secure, httponly=True, samesite="Strict")
