"""Shared short-lived state: de-duplication keys, rate-limit counters, channel sessions.

One small interface (``KeyValueStore`` in ``ports``) with an in-memory implementation for a
single process; several processes share a Redis one. Keys never hold personal data in
clear: callers pass keys through ``state_key``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from eligibility_gw.logs import pseudonym
from eligibility_gw.ports import KeyValueStore


def state_key(scope: str, *parts: str) -> str:
    """A key for shared state, with personal parts pseudonymised."""
    return ":".join((scope, *(pseudonym(p) for p in parts)))


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a hit is allowed, and how long until the window resets."""

    allowed: bool
    count: int
    limit: int
    retry_after: int


class RateLimiter:
    """Fixed-window counters: at most ``limit`` hits per ``window`` seconds per key."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv

    async def hit(self, scope: str, subject: str, limit: int, window: int) -> RateDecision:
        """Count one hit for ``subject`` and say whether it is within the limit."""
        now = time.time()
        start = int(now // window) * window
        key = state_key(f"rl:{scope}:{start}", subject)
        count = await self.kv.incr(key, ttl=window + 1)
        retry = max(1, int(start + window - now + 0.999))
        return RateDecision(count <= limit, count, limit, retry)


class Sessions:
    """Channel sessions (USSD, chat) as JSON documents with an expiry."""

    def __init__(self, kv: KeyValueStore, scope: str, ttl: int) -> None:
        self.kv = kv
        self.scope = scope
        self.ttl = ttl

    def _key(self, session_id: str) -> str:
        return state_key(f"session:{self.scope}", session_id)

    async def load(self, session_id: str) -> dict[str, Any] | None:
        """The session's state, or None when absent or expired."""
        raw = await self.kv.get(self._key(session_id))
        return json.loads(raw) if raw else None

    async def save(self, session_id: str, state: dict[str, Any]) -> None:
        """Store the session's state and renew its expiry."""
        await self.kv.set(self._key(session_id), json.dumps(state, ensure_ascii=False), self.ttl)

    async def drop(self, session_id: str) -> None:
        """End the session."""
        await self.kv.delete(self._key(session_id))


class Deduplicator:
    """Answer a redelivered message once: the first delivery claims, later ones reuse."""

    PENDING = "\0pending"

    def __init__(self, kv: KeyValueStore, scope: str, ttl: int = 24 * 3600) -> None:
        self.kv = kv
        self.scope = scope
        self.ttl = ttl

    def _key(self, external_id: str) -> str:
        return f"dedup:{self.scope}:{external_id}"

    async def claim(self, external_id: str) -> bool:
        """True for the first delivery of ``external_id``; False for a redelivery."""
        return await self.kv.set_if_absent(self._key(external_id), self.PENDING, self.ttl)

    async def reply_of(self, external_id: str) -> str | None:
        """The stored reply of an earlier delivery (None while it is still being answered)."""
        value = await self.kv.get(self._key(external_id))
        return None if value in (None, self.PENDING) else value

    async def store_reply(self, external_id: str, reply: str) -> None:
        """Keep the reply to give again on redelivery."""
        await self.kv.set(self._key(external_id), reply, self.ttl)

    async def release(self, external_id: str) -> None:
        """Forget a claim whose answer failed, so a redelivery is answered afresh."""
        await self.kv.delete(self._key(external_id))
