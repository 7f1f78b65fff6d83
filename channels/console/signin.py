"""Signing staff in: name and password, throttled after failed attempts.

Failed sign-ins are counted per account name and per client address; past either limit the
name (or the address) is refused for the rest of the window, whatever password comes next:
a name under attack is protected even from many addresses, and guessing across many names
from one address stays slow. The address limit is higher, as a call centre may share one.
Signing out and choosing a language are the page kit's (``GATE.sign_out``,
``GATE.set_language``).
"""

from __future__ import annotations

import asyncio
import re
import time

import structlog
from aiohttp import web

from eligibility_gw.appkeys import LIMITER, SETTINGS, STATE
from eligibility_gw.channels.console.gate import GATE, console_settings_of, store_of
from eligibility_gw.channels.console.passwords import check_password, hash_password, needs_rehash
from eligibility_gw.channels.pages.forms import field
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.keyvalue import state_key

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


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check name and password; start a session under a new id, or say why not."""
    store = store_of(request)
    form = await GATE.signin_form(request)
    language = language_of(request, request.config_dict[SETTINGS], field(form, "lang") or None)
    username = field(form, "username").strip().lower()
    password = field(form, "password")
    again = {"username": username}
    if not username or not password:
        return await GATE.signin_page(request, 422, "console.signin.empty", language, values=again)
    client = request.remote or "unknown"
    subjects = [("client", client), ("user", username)]
    left = await _blocked_for(request, subjects)
    if left > 0:
        return await GATE.throttled_page(request, language, left)
    staff = await store.get_staff(username) if USERNAME.match(username) else None
    usable = staff is not None and staff.active and len(password) <= _MAX_PASSWORD
    matched = await check_password(staff.password_hash if staff and usable else None, password)
    if not matched or staff is None:
        blocked = await _count_failure(request, subjects)
        if blocked > 0:
            log.warning("console_signin_throttled")
            return await GATE.throttled_page(request, language, blocked)
        return await GATE.signin_page(request, 401, "console.signin.wrong", language, values=again)
    if needs_rehash(staff.password_hash):
        await store.set_password_hash(
            staff.username, await asyncio.to_thread(hash_password, password)
        )
    log.info("console_signed_in", staff=staff.username, role=staff.role.value)
    return await GATE.start_session(request, staff.username, language)
