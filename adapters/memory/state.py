"""In-memory short-lived state for a single gateway process.

Also the state each process keeps on its own while a shared (Redis) state is unavailable:
then its live keys are handed on to the shared store when that is back (``live_items``).
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence

#: The clock expiries are measured by (a module attribute, so tests can set the time).
clock = time.monotonic


class MemoryKeyValueStore:
    """A dict with expiry; atomic because the event loop runs one coroutine at a time.

    Expired keys are swept as time passes, not only when the store is full: every write
    first removes the keys whose time is up (a heap of expiries keeps that cheap), so the
    store holds the live keys and little else. ``max_keys`` still bounds it: past it, the
    oldest keys go first.
    """

    def __init__(self, max_keys: int = 1_000_000) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._expiries: list[tuple[float, str]] = []
        self._max_keys = max_keys

    def __len__(self) -> int:
        """Keys held now (live or not yet swept)."""
        return len(self._data)

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= clock():
            del self._data[key]
            return None
        return item[0]

    def _sweep(self) -> None:
        now = clock()
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            expiry, key = heapq.heappop(expiries)
            item = self._data.get(key)
            if item is not None and item[1] == expiry:  # not rewritten with a later expiry
                del self._data[key]
        if len(expiries) > 2 * len(self._data) + 1024:  # mostly stale entries: rebuild
            self._expiries = [(exp, k) for k, (_, exp) in self._data.items()]
            heapq.heapify(self._expiries)
        while len(self._data) >= self._max_keys:  # still full: drop the oldest entries
            del self._data[next(iter(self._data))]

    def _put(self, key: str, value: str, expiry: float) -> None:
        self._data[key] = (value, expiry)
        heapq.heappush(self._expiries, (expiry, key))

    async def get(self, key: str) -> str | None:
        """The live value."""
        return self._live(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store with expiry."""
        self._sweep()
        self._put(key, value, clock() + ttl)

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """Store unless a live value exists."""
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def incr(self, key: str, ttl: float) -> int:
        """Count up, keeping the first expiry."""
        item = self._data.get(key)
        if item is None or item[1] <= clock():
            self._sweep()
            self._put(key, "1", clock() + ttl)
            return 1
        count = int(item[0]) + 1
        self._data[key] = (str(count), item[1])
        return count

    async def delete(self, key: str) -> None:
        """Remove."""
        self._data.pop(key, None)

    def live_items(self) -> list[tuple[str, str, float]]:
        """Every live ``(key, value, seconds left)``, oldest first."""
        now = clock()
        return [(k, v, exp - now) for k, (v, exp) in self._data.items() if exp > now]

    def forget(self, items: Sequence[tuple[str, str, float]]) -> None:
        """Drop each listed key that still holds the listed value (not one rewritten since)."""
        for key, value, _ in items:
            item = self._data.get(key)
            if item is not None and item[0] == value:
                del self._data[key]
        self._sweep()  # and what expired meanwhile
        if not self._data:
            self._expiries.clear()

    async def close(self) -> None:
        """Nothing to release."""
