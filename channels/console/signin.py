"""Signing staff in and out, and their language: throttled after failed attempts.

Failed sign-ins are counted per account name and per client address; past either limit the
name (or the address) is refused for the rest of the window, whatever password comes next:
a name under attack is protected even from many addresses, and guessing across many names
from one address stays slow. The address limit is higher, as a call centre may share one.
"""

from __future__ import annotations

import asyncio
import math
import re
import time

import structlog
from aiohttp import web

from eligibility_gw.appkeys import LIMITER, SETTINGS, STATE
from eligibility_gw.channels.console.gate import (
    StaffVisit,
    console_settings_of,
    session_cookie,
    sessions_for,
    signin_cookie,
    signin_page,
    staff_page,
    store_of,
)
from eligibility_gw.channels.console.passwords import check_password, hash_password, needs_rehash
from eligibility_gw.channels.console.rendering import BASE
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.pages_common import (
    CSRF_FIELD,
    PageError,
    clear_cookie,
    field,
    local_next,
    offered_languages,
    read_form,
    same_token,
    see_other,
    set_cookie,
)
from eligibility_gw.keyvalue import state_key
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_MAX_PASSWORD = 1024


def _blocked_key(kind: str, subject: str) -> str:
    return state_key(f"console:signin-blocked:{kind}", subject)


async def _blocked_for(request: web.Request, subjects: list[tuple[str, str]]) -> float:
    """Seconds left of the longest block on any of ``subjects`` (0 when none)."""
    kv = request.config_dict[STATE]
    left = 0.0
    for kind, subject in subjects:
        until = await kv.get(_blocked_key(kind, subject))
        if until is not None:
            left = max(left, float(until) - time.time())
    return left


async def _count_failure(request: web.Request, subjects: list[tuple[str, str]]) -> float:
    """Count a failed sign-in; the seconds of the block it starts (0 when none)."""
    kv = request.config_dict[STATE]
    limiter = request.config_dict[LIMITER]
    s = console_settings_of(request)
    window = s.signin_window_minutes * 60
    blocked = 0.0
    limits = {"user": s.signin_failures, "client": s.signin_failures_per_address}
    for kind, subject in subjects:
        decision = await limiter.hit(f"console-signin-{kind}", subject, limits[kind], window)
        if not decision.allowed:
            await kv.set(
                _blocked_key(kind, subject),
                str(time.time() + decision.retry_after),
                decision.retry_after,
            )
            blocked = max(blocked, float(decision.retry_after))
    return blocked


async def _throttled(request: web.Request, language: str, seconds: float) -> web.Response:
    minutes = max(1, math.ceil(seconds / 60))
    w = Wording(language)
    response = await signin_page(
        request, 429, "console.signin.throttled", language, minutes=w.digits(str(minutes))
    )
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check name and password; start a session under a new id, or say why not."""
    settings = request.config_dict[SETTINGS]
    s = console_settings_of(request)
    store = store_of(request)
    form = await read_form(request)
    if not same_token(field(form, CSRF_FIELD), request.cookies.get(signin_cookie(s))):
        raise PageError(403, "console.error.csrf")
    language = language_of(request, settings, field(form, "lang") or None)
    username = field(form, "username").strip().lower()
    password = field(form, "password")
    if not username or not password:
        return await signin_page(request, 422, "console.signin.empty", language, username=username)
    client = request.remote or "unknown"
    subjects = [("client", client), ("user", username)]
    left = await _blocked_for(request, subjects)
    if left > 0:
        return await _throttled(request, language, left)
    staff = await store.get_staff(username) if USERNAME.match(username) else None
    usable = staff is not None and staff.active and len(password) <= _MAX_PASSWORD
    matched = await check_password(staff.password_hash if staff and usable else None, password)
    if not matched or staff is None:
        blocked = await _count_failure(request, subjects)
        if blocked > 0:
            log.warning("console_signin_throttled")
            return await _throttled(request, language, blocked)
        return await signin_page(request, 401, "console.signin.wrong", language, username=username)
    if needs_rehash(staff.password_hash):
        await store.set_password_hash(
            staff.username, await asyncio.to_thread(hash_password, password)
        )
    session = await sessions_for(request).start(staff.username, language)
    log.info("console_signed_in", staff=staff.username, role=staff.role.value)
    response = see_other(BASE + "/")
    set_cookie(response, s.cookie_secure, session_cookie(s), session.session_id)
    clear_cookie(response, s.cookie_secure, signin_cookie(s))
    return response


@staff_page
async def sign_out(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """End the session and forget its cookie."""
    s = console_settings_of(request)
    await sessions_for(request).end(visit.session.session_id)
    log.info("console_signed_out", staff=visit.staff.username)
    response = see_other(BASE + "/")
    clear_cookie(response, s.cookie_secure, session_cookie(s))
    return response


@staff_page
async def set_language(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Keep the chosen language in the session; back to the page it was chosen on."""
    form = await read_form(request)
    language = field(form, "lang")
    if language not in offered_languages(request.config_dict[SETTINGS]):
        raise PageError(422, "console.error.language")
    await sessions_for(request).set_language(visit.session, language)
    return see_other(local_next(field(form, "next"), BASE))
