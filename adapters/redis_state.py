"""Shared short-lived state in Redis, for several gateway processes and machines.

Every call has a deadline of its own (``[state] timeout``, tens of milliseconds): a Redis
that is down, restarting, or that accepts connections and never answers costs a caller that
long at most, and the failure becomes ``StateUnavailable``, the one error of this adapter.
The gateway wraps it in ``eligibility_gw.state.DegradingKeyValueStore``, which then answers
from the process's own state and probes Redis in the background until it is back. Probes and
hand-overs run in a thread with a blocking client: their verdict is Redis's, not that of an
event loop too busy to read an answer in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.retry import Retry as SyncRetry

from eligibility_gw.ports import StateUnavailable

T = TypeVar("T")

# INCR, and set the expiry only on the first hit of a window: atomic on the server.
_INCR_WITH_TTL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""

#: Default deadline of one call, in seconds (``[state] timeout``).
DEFAULT_DEADLINE = 0.05
#: Seconds a probe (or one batch of a hand-over) may wait for Redis: it runs in a thread, in
#: the background, where nobody waits for it, on a fresh connection (a few round trips).
PROBE_SECONDS = 1.0
#: Keys set in one pipelined round trip when a process hands its own state on to Redis.
HAND_OVER_BATCH = 500


#: A call takes a few turns of the event loop (send, wake on the answer, read, return): each
#: may come that late when the loop is busy. What lateness adds to a deadline at most: past
#: it, a process that slow is as good as unanswered.
LAG_FACTOR = 4.0
LAG_ALLOWANCE_CAP = 1.0


class LoopLag:
    """How late this process's event loop runs what is due, smoothed (a watch every 20 ms).

    A process busy with requests runs every callback late; a Redis call measured by the
    wall clock then looks slow while Redis answered in a millisecond. Its deadline grows by
    this lateness, so that "past its deadline" stays a fact about Redis.
    """

    PERIOD = 0.02

    def __init__(self) -> None:
        self.seconds = 0.0
        self._task: asyncio.Task[None] | None = None

    def watch(self) -> None:
        """Start watching (once, on the running loop)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._watch(), name="redis-loop-lag", context=contextvars.Context()
            )

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.PERIOD)
            late = max(0.0, loop.time() - before - self.PERIOD)
            # Quick to rise (a busy moment matters at once), slower to fall.
            weight = 0.5 if late > self.seconds else 0.1
            self.seconds += weight * (late - self.seconds)

    async def stop(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def problem_of(exc: BaseException) -> str:
    """A short description of a Redis failure: its kind and first line (no keys, no values)."""
    if isinstance(exc, TimeoutError) and not str(exc):
        return "no answer within the deadline"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:120]}" if first else type(exc).__name__


class RedisKeyValueStore:
    """``SharedKeyValueStore`` over redis-py's asyncio client (a connection pool)."""

    def __init__(
        self,
        client: aioredis.Redis,
        url: str,
        prefix: str = "egw:",
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self._r = client
        self._url = url
        #: Calls past their deadline, not yet ended.
        self._left: set[asyncio.Future[Any]] = set()
        self._prefix = prefix
        self._deadline = deadline
        self._lag = LoopLag()
        self._incr = client.register_script(_INCR_WITH_TTL)

    @property
    def deadline(self) -> float:
        """Seconds the next call may take: the configured deadline, plus the time this
        process's own event loop is running late (capped): that time is not Redis's."""
        return self._deadline + min(LAG_ALLOWANCE_CAP, LAG_FACTOR * self._lag.seconds)

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str = "egw:",
        max_connections: int = 600,
        deadline: float = DEFAULT_DEADLINE,
    ) -> RedisKeyValueStore:
        """Connect lazily to ``redis://host:port/db``.

        The pool holds up to ``max_connections`` (give it at least the requests a process
        lets in at once). One retry, at once, on a connection error: a pooled connection
        that died with a restarted server is replaced without a failure; more retries, and
        their back-off, would only spend the deadline.
        """
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=2.0,  # a backstop: the call's deadline ends the wait long before
            decode_responses=True,
            socket_timeout=2.0,
            socket_connect_timeout=2.0,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1),
        )
        client = aioredis.Redis.from_pool(pool)  # closing the client closes the pool
        return cls(client, url, prefix, deadline)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis call within the deadline; every failure becomes ``StateUnavailable``.

        The call runs as a task of its own, left to finish by itself when the deadline
        passes: the caller goes on at once. Not cancelled: redis-py drops a connection whose
        command it was cancelled in, so under load every late call would cost a new
        connection (a millisecond of CPU each, and more late calls: a spiral); left alone, a
        late answer is read and the connection goes back to the pool. A hung server ends
        such calls at the driver's 2 s socket timeout. (Cancelled while opening a connection
        to a server that never answers, redis-py was seen to carry on to those timeouts
        anyway, twice.)

        Certain when Redis could not be reached (refused, reset, closed, still loading);
        uncertain when a call only ran out of time or one command was refused: Redis may be
        up, slow to open many connections at once.
        """
        self._lag.watch()
        task = asyncio.ensure_future(call())
        try:
            done, _ = await asyncio.wait((task,), timeout=self.deadline)
        except asyncio.CancelledError:
            self._leave(task)
            raise
        if not done:
            self._leave(task)
            raise StateUnavailable("no answer within the deadline", certain=False)
        if task.cancelled():
            raise StateUnavailable("the call was cancelled", certain=False)
        try:
            return task.result()
        except TimeoutError as exc:  # before OSError, of which it is a kind
            raise StateUnavailable(problem_of(exc), certain=False) from exc
        except (aioredis.ConnectionError, OSError) as exc:
            raise StateUnavailable(problem_of(exc)) from exc
        except aioredis.RedisError as exc:  # its own TimeoutError, an error reply
            raise StateUnavailable(problem_of(exc), certain=False) from exc

    def _leave(self, task: asyncio.Future[Any]) -> None:
        """Keep a call nobody waits for any more until it ends, then forget it."""
        self._left.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Future[Any]) -> None:
        self._left.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: its failure was already reported as a deadline

    async def get(self, key: str) -> str | None:
        """The live value."""
        value = await self._call(lambda: self._r.get(self._prefix + key))
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store with expiry."""
        ms = max(1, int(ttl * 1000))
        await self._call(lambda: self._r.set(self._prefix + key, value, px=ms))

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """SET NX with expiry."""
        ms = max(1, int(ttl * 1000))
        return bool(
            await self._call(lambda: self._r.set(self._prefix + key, value, px=ms, nx=True))
        )

    async def incr(self, key: str, ttl: float) -> int:
        """Count up atomically; the first hit starts the expiry."""
        ms = max(1, int(ttl * 1000))
        return int(await self._call(lambda: self._incr(keys=[self._prefix + key], args=[ms])))

    async def delete(self, key: str) -> None:
        """Remove."""
        await self._call(lambda: self._r.delete(self._prefix + key))

    async def probe(self) -> None:
        """PING from a thread, on a connection of its own with a 1 s socket timeout.

        Off the event loop, the verdict is Redis's and not the loop's: a loop saturated by
        requests delays every call on it past its deadline, yet Redis may answer in a
        millisecond. A failure here is certain: Redis had its whole second.
        """
        await self._off_loop(lambda client: client.ping())

    async def _off_loop(self, work: Callable[[redis.Redis], object]) -> None:
        """Run ``work`` in a thread with a blocking client of its own; failures certain."""

        def run() -> None:
            client = redis.Redis.from_url(
                self._url,
                socket_timeout=PROBE_SECONDS,
                socket_connect_timeout=PROBE_SECONDS,
                retry=SyncRetry(NoBackoff(), 0),
            )
            try:
                work(client)
            finally:
                client.close()

        try:
            await asyncio.to_thread(run)
        except (redis.RedisError, OSError) as exc:
            raise StateUnavailable(problem_of(exc)) from exc

    async def reconnect(self) -> None:
        """Disconnect the pool's idle connections; calls open new ones."""
        with contextlib.suppress(aioredis.RedisError, OSError):  # already broken: all closed
            await self._r.connection_pool.disconnect(inuse_connections=False)

    async def ping(self) -> None:
        """Return when Redis answers PING within the deadline."""
        await self._call(self._r.ping)

    async def set_many_if_absent(self, items: Sequence[tuple[str, str, float]]) -> None:
        """SET NX PX each item, ``HAND_OVER_BATCH`` to a pipelined round trip, from a thread
        (a background task: no request waits for it, and the loop is not held by it)."""
        prefix = self._prefix

        def send(client: redis.Redis) -> None:
            for start in range(0, len(items), HAND_OVER_BATCH):
                pipe = client.pipeline(transaction=False)
                for key, value, ttl in items[start : start + HAND_OVER_BATCH]:
                    pipe.set(prefix + key, value, px=max(1, int(ttl * 1000)), nx=True)
                pipe.execute()

        await self._off_loop(send)

    async def close(self) -> None:
        """Close the pool, once the calls left behind have ended (or after a bound)."""
        await self._lag.stop()
        if self._left:
            for task in self._left:
                task.cancel()
            await asyncio.wait(set(self._left), timeout=PROBE_SECONDS)
        with contextlib.suppress(aioredis.RedisError, OSError):  # closing what already broke
            await self._r.aclose()
