"""Serve one hop of a session, whatever the dialect: lock, read, step, ask the core, save.

A dialect hands in how it reads its input against what was seen before (``Reading``); this
module keeps the session state in the shared key-value store (``STATE``), answers a repeated
callback with the screen it got the first time (no second answer, no second tracking code),
applies the per-phone hop guard and the time limit, and turns every failure into a polite
last screen. Quotas on answers are the core's (``Inquiries``), not this module's.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, LANGUAGES, LIMITER, SETTINGS, STATE
from eligibility_gw.channels.ussd import backend
from eligibility_gw.channels.ussd.engine import Engine, Limits, Need, Reply, Step
from eligibility_gw.channels.ussd.menu import MENU
from eligibility_gw.channels.ussd.screens import Budget
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.channels.ussd.state import SessionState
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.keyvalue import RateLimiter, Sessions, state_key
from eligibility_gw.languages import Languages
from eligibility_gw.logs import pseudonym
from eligibility_gw.ports import KeyValueStore, StoreUnavailable
from eligibility_gw.settings import Settings
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: How long a hop waits for another hop of the same session (a retry) to finish.
LOCK_WAIT = 5.0
CHANNEL = "ussd"
LOCK_TTL = 15
_POLL = 0.02


@dataclass(frozen=True, slots=True)
class Start:
    """A new session; ``seen`` marks this first hop."""

    seen: str


@dataclass(frozen=True, slots=True)
class Input:
    """The newest input of a running session; ``seen`` marks this hop."""

    text: str
    seen: str


@dataclass(frozen=True, slots=True)
class Repeat:
    """The same hop again: give the same screen."""


@dataclass(frozen=True, slots=True)
class Expired:
    """Input for a session there is no state of (timed out, or never started here)."""


@dataclass(frozen=True, slots=True)
class OutOfStep:
    """Input that does not follow what was seen: the session cannot go on safely."""


@dataclass(frozen=True, slots=True)
class Hangup:
    """The caller or the network ended the session."""


Reading = Start | Input | Repeat | Expired | OutOfStep | Hangup
#: How a dialect reads its input, given the marker of the latest hop answered (None: no state).
Reader = Callable[[str | None], Reading]


@dataclass(frozen=True, slots=True)
class Hop:
    """One callback of a dialect, reduced to what the menus need."""

    dialect: str
    session_id: str
    phone: str
    read: Reader


@dataclass(frozen=True, slots=True)
class Ports:
    """What a hop uses of the gateway: its settings, the door to answers, the shared state."""

    settings: Settings
    inquiries: Inquiries
    #: Sessions, their locks and the language of phones not on file live here.
    state: KeyValueStore
    limiter: RateLimiter
    #: Which language each phone reads (a choice made on any channel).
    languages: Languages

    @classmethod
    def of(cls, request: web.Request) -> Ports:
        """The ports the gateway handed to the app serving ``request``."""
        config = request.config_dict
        return cls(
            config[SETTINGS], config[INQUIRIES], config[STATE], config[LIMITER], config[LANGUAGES]
        )


@dataclass(frozen=True, slots=True)
class Screen:
    """What to show, and whether the session ends."""

    text: str
    end: bool


class UssdChannel:
    """The menus over the core, with sessions in the key-value store."""

    def __init__(self, knobs: UssdSettings) -> None:
        self.knobs = knobs
        budget = Budget(knobs.ucs2_budget, knobs.gsm7_budget)
        limits = Limits(budget, knobs.page_size, knobs.max_invalid, knobs.hotline)
        self.engine = Engine(MENU, limits)

    def sessions(self, kv: KeyValueStore) -> Sessions:
        """Session states, expiring with the session."""
        return Sessions(kv, "ussd", self.knobs.session_ttl)

    def notice(self, ports: Ports, key: str, language: str | None = None) -> Screen:
        """A last screen, in the session's language or else the default one."""
        return Screen(Wording(language or ports.settings.default_language).t(key), True)

    async def serve(self, ports: Ports, hop: Hop) -> Screen:
        """Answer one hop within the time limit; never raise."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.knobs.hop_timeout):
                screen, step = await self._serve(ports, hop)
        except TimeoutError:
            log.warning("ussd_hop_timeout", dialect=hop.dialect)
            return self.notice(ports, "ussd.end.unavailable")
        except StoreUnavailable as exc:  # the service cannot answer now: no fault of ours
            log.warning("ussd_store_unavailable", dialect=hop.dialect, problem=exc.problem)
            return self.notice(ports, "ussd.end.unavailable")
        except Exception:
            log.exception("ussd_hop_failed", dialect=hop.dialect)
            return self.notice(ports, "ussd.end.unavailable")
        log.info(
            "ussd_hop",
            dialect=hop.dialect,
            screen=step,
            end=screen.end,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return screen

    async def _serve(self, ports: Ports, hop: Hop) -> tuple[Screen, str]:
        key = f"{hop.dialect}:{hop.session_id}"
        async with _session_lock(ports.state, key) as locked:
            if not locked:
                return self.notice(ports, "ussd.end.unavailable"), "busy"
            return await self._locked(ports, hop, key)

    async def _locked(self, ports: Ports, hop: Hop, key: str) -> tuple[Screen, str]:
        sessions = self.sessions(ports.state)
        state = SessionState.from_json(await sessions.load(key))
        caller = pseudonym(hop.phone)
        if state is not None and state.caller != caller:
            return self.notice(ports, "ussd.end.out_of_step"), "other_phone"
        reading = hop.read(state.seen if state else None)
        if isinstance(reading, Repeat) and state is not None:
            return Screen(state.last_text, state.last_end), "repeat"
        language = state.language if state else await self._language(ports, hop.phone)
        if isinstance(reading, Hangup):
            await sessions.drop(key)
            return self.notice(ports, "ussd.end.goodbye", language), "hangup"
        if isinstance(reading, Input) and state is not None and state.last_end:
            return Screen(state.last_text, True), "ended"
        if isinstance(reading, Expired) or (isinstance(reading, Input) and state is None):
            return self.notice(ports, "ussd.end.expired", language), "expired"
        if not isinstance(reading, Start | Input):
            return self.notice(ports, "ussd.end.out_of_step", language), "out_of_step"
        hops = self.knobs.hops_per_minute
        if not await backend.within(ports.limiter, "ussd-hops", hop.phone, hops, 60):
            return self.notice(ports, "ussd.end.rate_limited", language), "rate_limited"
        dialer = await backend.identify(ports.inquiries, hop.phone)
        ctx = backend.context(ports.inquiries, dialer, ports.languages.offered)
        step: Step
        if isinstance(reading, Start) or state is None:
            step = self.engine.start(ctx, language, caller)
        else:
            step = self.engine.answer(state, reading.text, ctx)
        if isinstance(step, Need):
            outcome = await backend.perform(ports.inquiries, dialer, step.effect, step.values)
            reply: Reply = self.engine.finish(step, outcome, ctx)
        else:
            reply = step
        final = reply.state.but(seen=reading.seen)
        await sessions.save(key, final.to_json())
        if state is not None and final.language != state.language:
            await self._remember_language(ports, hop.phone, final.language, dialer.known)
        return Screen(self._fitted(reply.text, reply.screen), reply.end), reply.screen

    def _fitted(self, text: str, screen: str) -> str:
        """The text, cut to the budget if a screen ever outgrows it (tests make sure none do)."""
        budget = self.engine.limits.budget
        if budget.fits(text):
            return text
        log.warning("ussd_screen_over_budget", screen=screen)
        while text and not budget.fits(text):
            text = text[:-1]
        return text

    async def _language(self, ports: Ports, phone: str) -> str:
        """The phone's language as the core decides it; what this channel remembers of a
        phone not on file is its signal."""
        remembered = await ports.state.get(state_key("ussd-language", phone))
        return await ports.languages.for_phone(phone, remembered)

    async def _remember_language(
        self, ports: Ports, phone: str, language: str, on_file: bool
    ) -> None:
        """Keep a phone's choice: the core keeps it for a phone on file (every channel reads
        it then); of any other phone only the short-lived state remembers it, for
        ``language_memory_days``. 0 days: the choice lasts the session only."""
        days = self.knobs.language_memory_days
        if days <= 0:
            return
        if on_file:
            await ports.languages.choose(phone, language, CHANNEL)
            await ports.state.delete(state_key("ussd-language", phone))
        else:
            await ports.state.set(state_key("ussd-language", phone), language, days * 86400)


@contextlib.asynccontextmanager
async def _session_lock(kv: KeyValueStore, key: str) -> AsyncIterator[bool]:
    """Hold the session for one hop: a retry arriving meanwhile waits, then sees the result."""
    lock = state_key("lock:ussd", key)
    deadline = time.monotonic() + LOCK_WAIT
    while not await kv.set_if_absent(lock, "1", LOCK_TTL):
        if time.monotonic() >= deadline:
            yield False
            return
        await asyncio.sleep(_POLL)
    try:
        yield True
    finally:
        await kv.delete(lock)


USSD_CHANNEL = web.AppKey("ussd_channel", UssdChannel)
