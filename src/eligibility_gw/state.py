"""Shared state that degrades instead of failing: Redis while it answers, this process otherwise.

Redis holds conveniences (sessions, de-duplication keys, rate counters), never facts: when it
fails, answers go on and only the conveniences get looser. ``DegradingKeyValueStore`` is the
``KeyValueStore`` every channel is handed when ``[state] url`` names a shared store:

- While the shared store answers, every call goes to it, each within its deadline.
- A call that fails is answered from the process's own memory. One that could not reach
  the store marks it down at once; one that ran out of its deadline (or had a command
  refused) makes a probe decide, from a thread, since a loop busy with requests (or many
  connections opening at once) makes calls late while the store is up; then what the late
  calls wrote is handed on to it. Down (one warning line,
  ``eligibility_dependency_up`` at 0), every call is answered from memory: rate
  counters count per process (looser across processes), de-duplication keys are per process
  (a redelivery that reaches the same process is still answered once), a session kept in
  Redis reads as absent, which every channel ends politely ("start again"), and sessions
  begun meanwhile live in the process that began them.
- In the background a probe retries with back-off; once it answers, calls go to the shared
  store again (one more warning line, the gauge at 1) and the keys the process kept meanwhile
  are handed on to it (set only where absent: what another process wrote since wins), so that
  sessions begun during the outage go on in any process. Until a key is handed on, this
  process reads its own copy of it: what it wrote last.
- A call that began before the store came back and fails after it does not mark it down
  again (``_epoch``): one transition, one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Coroutine
from typing import Any

import structlog

from eligibility_gw.health import Dependency, HealthReport
from eligibility_gw.metrics import STATE_FALLBACKS
from eligibility_gw.ports import LocalKeyValueStore, SharedKeyValueStore, StateUnavailable

log = structlog.get_logger(__name__)

#: What the gateway does without its shared state, as the transition's log line says it.
WITHOUT_SHARED_STATE = (
    "answering on; rate limits, de-duplication and sessions kept per process until it is back"
)
#: Keys handed on per call to the shared store (each call one round trip).
HAND_OVER_BATCH = 2000
#: Seconds a probe that answered is trusted: calls past their deadline meanwhile are
#: answered locally without another probe (a burst opening connections, a slow moment).
TRUSTED_AFTER_PROBE = 1.0


def _background(work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
    """Run ``work`` as a task of its own, outside the request that happened to start it
    (its log lines carry no request id of a request long answered)."""
    return asyncio.create_task(work, name=name, context=contextvars.Context())


class DegradingKeyValueStore:
    """A ``KeyValueStore`` over a shared one, answering from a local one while it fails."""

    def __init__(
        self,
        shared: SharedKeyValueStore,
        local: LocalKeyValueStore,
        *,
        reconnect_min: float = 0.1,
        reconnect_max: float = 2.0,
        dependency: str = "state",
    ) -> None:
        self._shared = shared
        self._local = local
        self._reconnect = (reconnect_min, max(reconnect_min, reconnect_max))
        self.health = Dependency(dependency, WITHOUT_SHARED_STATE)
        #: Counts the shared store's returns: a failure of a call begun before the latest
        #: return is old news.
        self._epoch = 0
        #: Keys deleted while a hand-over runs: the hand-over must not set them again.
        self._deleted: set[str] | None = None
        self._task: asyncio.Task[None] | None = None
        #: A probe under way after an uncertain failure, and until when a probe that
        #: answered is trusted (uncertain failures meanwhile are answered locally, no more).
        self._verifying: asyncio.Task[None] | None = None
        self._verified_until = 0.0
        self._fallbacks = {
            op: STATE_FALLBACKS.labels(op)
            for op in ("get", "set", "set_if_absent", "incr", "delete")
        }

    @property
    def shared_up(self) -> bool:
        """Say whether calls go to the shared store now."""
        return self.health.up

    @property
    def local_keys(self) -> int:
        """Keys this process holds of its own (kept while the shared store was down)."""
        return len(self._local)

    async def start(self) -> None:
        """Probe the shared store once: when it does not answer, start degraded."""
        try:
            await self._shared.probe()
        except StateUnavailable as exc:
            self._down(exc.problem)

    async def check(self) -> HealthReport:
        """Ask the shared store for a PING when it is thought up (readiness); its health."""
        if self.health.up:
            epoch = self._epoch
            try:
                await self._shared.ping()
            except StateUnavailable as exc:
                self._lost(exc, epoch)
        return self.health.report()

    # -- the KeyValueStore port ---------------------------------------------------------------

    async def get(self, key: str) -> str | None:
        """The value this process wrote last, wherever that went: the local one while it is
        there (written while the shared store failed, not yet handed on), else the shared one."""
        if self.health.up:
            if len(self._local):
                mine = await self._local.get(key)
                if mine is not None:
                    return mine
            epoch = self._epoch
            try:
                return await self._shared.get(key)
            except StateUnavailable as exc:
                self._lost(exc, epoch)
        self._fallbacks["get"].inc()
        return await self._local.get(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store in the shared store (dropping an older local copy), else locally."""
        if self.health.up:
            epoch = self._epoch
            try:
                await self._shared.set(key, value, ttl)
            except StateUnavailable as exc:
                self._lost(exc, epoch)
            else:
                if len(self._local):
                    await self._local.delete(key)
                return
        self._fallbacks["set"].inc()
        await self._local.set(key, value, ttl)

    async def set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """Claim in the shared store, unless this process claimed it while it was down."""
        if self.health.up:
            if len(self._local) and await self._local.get(key) is not None:
                return False
            epoch = self._epoch
            try:
                return await self._shared.set_if_absent(key, value, ttl)
            except StateUnavailable as exc:
                self._lost(exc, epoch)
        self._fallbacks["set_if_absent"].inc()
        return await self._local.set_if_absent(key, value, ttl)

    async def incr(self, key: str, ttl: float) -> int:
        """Count in the shared store; in this process alone while it is down."""
        if self.health.up:
            epoch = self._epoch
            try:
                return await self._shared.incr(key, ttl)
            except StateUnavailable as exc:
                self._lost(exc, epoch)
        self._fallbacks["incr"].inc()
        return await self._local.incr(key, ttl)

    async def delete(self, key: str) -> None:
        """Remove everywhere this process can reach."""
        await self._local.delete(key)
        if self._deleted is not None:
            self._deleted.add(key)
        if self.health.up:
            epoch = self._epoch
            try:
                await self._shared.delete(key)
            except StateUnavailable as exc:
                self._lost(exc, epoch)
            else:
                return
        self._fallbacks["delete"].inc()

    async def close(self) -> None:
        """Stop probing; close both stores."""
        for task in (self._task, self._verifying):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._shared.close()
        await self._local.close()

    # -- losing and finding the shared store --------------------------------------------------

    def _lost(self, exc: StateUnavailable, epoch: int) -> None:
        """A call failed (and was answered locally): mark the store down, or find out.

        Unreachable, it is down at once. A call past its deadline or one refused command
        says less (a loop busy with requests delays every call past its deadline, many
        connections opening at once take longer): a probe off the loop decides, while calls
        go on trying the store. A call older than the store's latest return is old news.
        """
        if epoch != self._epoch or not self.health.up:
            return
        if exc.certain:
            self._down(exc.problem)
        elif self._verifying is not None:
            return
        elif time.monotonic() >= self._verified_until:
            self._verifying = _background(self._verify(exc.problem), "state-verify")
        elif self._task is None or self._task.done():  # found alive just now: hand on
            self._task = _background(self._recover(), "state-hand-over")

    async def _verify(self, problem: str) -> None:
        """Probe once: down if the store does not answer; else trust it a while."""
        epoch = self._epoch
        try:
            await self._shared.probe()
        except StateUnavailable as exc:
            if epoch == self._epoch:
                self._down(f"{problem}; probe: {exc.problem}")
        else:
            self._verified_until = time.monotonic() + TRUSTED_AFTER_PROBE
            # Calls that ran late were answered locally: hand what they wrote on, too.
            if len(self._local) and (self._task is None or self._task.done()):
                self._task = _background(self._recover(), "state-hand-over")
        finally:
            self._verifying = None

    def _down(self, problem: str) -> None:
        """Mark the store down and start probing for its return."""
        self.health.down(problem)
        if self._task is None or self._task.done():
            self._task = _background(self._recover(), "state-reconnect")

    async def _recover(self) -> None:
        """Probe with back-off until the shared store answers; then hand the local keys on."""
        first, most = self._reconnect
        delay = first
        outage = not self.health.up
        while True:
            if not self.health.up:
                outage = True
                await asyncio.sleep(delay)
                try:
                    await self._shared.probe()
                except StateUnavailable:
                    delay = min(delay * 2, most)
                    continue
                await self._shared.reconnect()
                self._epoch += 1
                self._verified_until = time.monotonic() + TRUSTED_AFTER_PROBE
                self.health.restored()
                delay = first
            try:
                await self._hand_over(outage)
            except StateUnavailable as exc:
                if exc.certain:
                    self.health.down(exc.problem)
                else:  # a deletion after a batch ran late: try the rest again shortly
                    await asyncio.sleep(first)
                continue
            if self.health.up:
                return

    async def _hand_over(self, outage: bool) -> None:
        """Give the shared store the keys kept meanwhile (where it has none), then drop them
        here (each unless rewritten here since). Told at info after an outage; the few keys
        of calls that only ran late, at debug."""
        items = self._local.live_items()
        if not items:
            return
        self._deleted = set()
        try:
            for start in range(0, len(items), HAND_OVER_BATCH):
                if not self.health.up:
                    return
                batch = items[start : start + HAND_OVER_BATCH]
                await self._shared.set_many_if_absent(batch)
                # Deleted while the batch was on its way: delete again, after it.
                for key in self._deleted.intersection(k for k, _, _ in batch):
                    await self._shared.delete(key)
                self._local.forget(batch)
            (log.info if outage else log.debug)("state_handed_over", keys=len(items))
        finally:
            self._deleted = None
