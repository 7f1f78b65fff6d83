"""In-memory short-lived state for a single gateway process."""

from __future__ import annotations

import time


class MemoryKeyValueStore:
    """A dict with expiry; atomic because the event loop runs one coroutine at a time."""

    def __init__(self, max_keys: int = 1_000_000) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._max_keys = max_keys

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item[0]

    def _sweep(self) -> None:
        if len(self._data) < self._max_keys:
            return
        now = time.monotonic()
        for k in [k for k, (_, exp) in self._data.items() if exp <= now]:
            del self._data[k]
        while len(self._data) >= self._max_keys:  # still full: drop the oldest entries
            del self._data[next(iter(self._data))]

    async def get(self, key: str) -> str | None:
        """The live value."""
        return self._live(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store with expiry."""
        self._sweep()
        self._data[key] = (value, time.monotonic() + ttl)

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """Store unless a live value exists."""
        if self._live(key) is not None:
            return False
        await self.set(key, value, ttl)
        return True

    async def incr(self, key: str, ttl: float) -> int:
        """Count up, keeping the first expiry."""
        item = self._data.get(key)
        if item is None or item[1] <= time.monotonic():
            self._sweep()
            self._data[key] = ("1", time.monotonic() + ttl)
            return 1
        count = int(item[0]) + 1
        self._data[key] = (str(count), item[1])
        return count

    async def delete(self, key: str) -> None:
        """Remove."""
        self._data.pop(key, None)

    async def close(self) -> None:
        """Nothing to release."""
