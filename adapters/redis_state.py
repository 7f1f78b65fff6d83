"""Shared short-lived state in Redis, for several gateway processes and machines."""

from __future__ import annotations

import redis.asyncio as aioredis

# INCR, and set the expiry only on the first hit of a window: atomic on the server.
_INCR_WITH_TTL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisKeyValueStore:
    """``KeyValueStore`` over redis-py's asyncio client (a connection pool)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "egw:") -> None:
        self._r = client
        self._prefix = prefix
        self._incr = client.register_script(_INCR_WITH_TTL)

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "egw:", max_connections: int = 600
    ) -> RedisKeyValueStore:
        """Connect lazily to ``redis://host:port/db``.

        The pool holds up to ``max_connections`` (give it at least the requests a process
        lets in at once); past that a request waits up to 2 s for a free connection rather
        than failing at once.
        """
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=2.0,
            decode_responses=True,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            health_check_interval=30,
        )
        return cls(aioredis.Redis.from_pool(pool), prefix)  # closing the client closes the pool

    async def get(self, key: str) -> str | None:
        """The live value."""
        value = await self._r.get(self._prefix + key)
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store with expiry."""
        await self._r.set(self._prefix + key, value, px=max(1, int(ttl * 1000)))

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """SET NX with expiry."""
        return bool(
            await self._r.set(self._prefix + key, value, px=max(1, int(ttl * 1000)), nx=True)
        )

    async def incr(self, key: str, ttl: float) -> int:
        """Count up atomically; the first hit starts the expiry."""
        return int(await self._incr(keys=[self._prefix + key], args=[max(1, int(ttl * 1000))]))

    async def delete(self, key: str) -> None:
        """Remove."""
        await self._r.delete(self._prefix + key)

    async def ping(self) -> bool:
        """Say whether Redis answers."""
        try:
            return bool(await self._r.ping())
        except (aioredis.RedisError, OSError):
            return False

    async def close(self) -> None:
        """Close the pool."""
        await self._r.aclose()
