"""The shared state degrades instead of failing: Redis killed, restarted, hung.

A real ``redis-server`` of the test's own is SIGKILLed mid-run and started again on the same
port; a fake that accepts connections and never answers stands for a hung one. Through it all
every call of the state port returns (from the process's own memory while Redis is out), the
transition is told once each way (one warning line, the gauge), and shared state resumes by
itself, with what the process kept meanwhile handed on to Redis.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
import tomllib
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from eligibility_gw.adapters import redis_state
from eligibility_gw.adapters.memory.state import MemoryKeyValueStore
from eligibility_gw.adapters.redis_state import RedisKeyValueStore
from eligibility_gw.bootstrap import open_key_value
from eligibility_gw.keyvalue import Deduplicator, RateLimiter, Sessions
from eligibility_gw.ports import StateUnavailable, StoreUnavailable
from eligibility_gw.settings import (
    SettingsError,
    StateSettings,
    default_config_text,
    parse_settings,
)
from eligibility_gw.state import DegradingKeyValueStore
from tests.integration.degraded_support import (
    NEEDS_REDIS_SERVER,
    PSEUDONYM_KEY,
    RedisProcess,
    black_hole,
    eventually,
    redis_process,
)

pytestmark = NEEDS_REDIS_SERVER

#: The deadline of one Redis call in these tests, as shipped.
DEADLINE = 0.05
#: How much a hung Redis may slow one call at most (a bound far above the deadline).
SLOWEST_CALL = 1.0


def gauge(dependency: str) -> float | None:
    """``eligibility_dependency_up{dependency}`` now."""
    return REGISTRY.get_sample_value("eligibility_dependency_up", {"dependency": dependency})


def fallbacks(operation: str) -> float:
    """``eligibility_state_fallbacks_total{operation}`` now."""
    value = REGISTRY.get_sample_value("eligibility_state_fallbacks_total", {"operation": operation})
    return value or 0.0


def transitions(logs: list[MutableMapping[str, Any]]) -> list[str]:
    """The warning lines of state transitions, in order."""
    return [
        str(e["event"])
        for e in logs
        if e.get("dependency") == "state" and e["log_level"] == "warning"
    ]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own."""
    with redis_process(tmp_path) as server:
        yield server


def degrading(url: str, **options: float) -> DegradingKeyValueStore:
    """The degrading state over Redis at ``url``, as bootstrap builds it (fast reconnection)."""
    shared = RedisKeyValueStore.from_url(url, "t:", 64, DEADLINE)
    return DegradingKeyValueStore(
        shared,
        MemoryKeyValueStore(),
        reconnect_min=options.get("reconnect_min", 0.05),
        reconnect_max=options.get("reconnect_max", 0.2),
    )


@pytest.fixture
async def state(redis_server: RedisProcess) -> AsyncIterator[DegradingKeyValueStore]:
    """A degrading state over the test's Redis, started."""
    kv = degrading(redis_server.url)
    await kv.start()
    yield kv
    await kv.close()


async def raw_get(server: RedisProcess, key: str) -> str | None:
    """What Redis itself holds under our prefix (a client of the test's own)."""
    client = aioredis.Redis.from_url(server.url, decode_responses=True)
    try:
        value = await client.get("t:" + key)
    finally:
        await client.aclose()
    return None if value is None else str(value)


# -- the adapter's one error ------------------------------------------------------------------


async def test_the_redis_adapter_raises_one_core_error(redis_server: RedisProcess) -> None:
    kv = RedisKeyValueStore.from_url(redis_server.url, "t:", 8, DEADLINE)
    try:
        await kv.set("a", "1", 60)
        assert await kv.get("a") == "1"
        redis_server.kill()
        for call in (kv.get("a"), kv.set("a", "2", 60), kv.incr("n", 60), kv.delete("a")):
            with pytest.raises(StateUnavailable) as caught:
                await call
            # A kind of StoreUnavailable: met where no fallback catches it, it still reads as
            # "unavailable" in a channel, never as a traceback.
            assert isinstance(caught.value, StoreUnavailable)
            assert caught.value.problem
        with pytest.raises(StateUnavailable):
            await kv.ping()
    finally:
        await kv.close()


# -- killed mid-run ---------------------------------------------------------------------------


async def test_killed_redis_costs_conveniences_not_calls(
    state: DegradingKeyValueStore, redis_server: RedisProcess
) -> None:
    limiter = RateLimiter(state)
    sessions = Sessions(state, "ussd", ttl=120)
    await sessions.save("before", {"screen": "main"})
    assert (await limiter.hit("t", "+989121110001", 3, 60)).count == 1
    assert gauge("state") == 1.0
    assert await raw_get(redis_server, "session:ussd:" + "x") is None  # the raw client works

    with capture_logs() as logs:
        redis_server.kill()
        # Every call returns: the session kept in Redis reads as absent ("start again")…
        assert await sessions.load("before") is None
        # …counters start again in this process (looser across processes)…
        assert (await limiter.hit("t", "+989121110001", 3, 60)).count == 1
        assert (await limiter.hit("t", "+989121110001", 3, 60)).count == 2
        # …and sessions begun now live in this process.
        await sessions.save("during", {"screen": "check"})
        assert await sessions.load("during") == {"screen": "check"}
        await state.delete("nothing")
        assert not state.shared_up
        assert gauge("state") == 0.0
        assert fallbacks("incr") >= 2

        redis_server.start()
        await eventually(lambda: state.shared_up, what="shared state resumed")
        assert gauge("state") == 1.0
        # The session begun during the outage was handed on to Redis: any process sees it.
        await eventually(lambda: state.local_keys == 0, what="local keys handed on")
        assert await sessions.load("during") == {"screen": "check"}
        held = await raw_get(redis_server, Sessions(state, "ussd", 120)._key("during"))
        assert held is not None
    assert transitions(logs) == ["dependency_unavailable", "dependency_restored"]
    down = next(e for e in logs if e["event"] == "dependency_unavailable")
    assert down["meanwhile"] and down["problem"]


async def test_a_redelivery_during_the_outage_is_answered_once(
    state: DegradingKeyValueStore, redis_server: RedisProcess
) -> None:
    dedup = Deduplicator(state, "sms")
    assert await dedup.claim("SM-before")
    redis_server.kill()
    # The claim kept in Redis is gone with it: a redelivery of that one is answered afresh…
    assert await dedup.claim("SM-before")
    # …but one first delivered during the outage reaches this process again: answered once.
    assert await dedup.claim("SM-during")
    await dedup.store_reply("SM-during", "<Response><Message>x</Message></Response>")
    assert not await dedup.claim("SM-during")
    assert await dedup.reply_of("SM-during") == "<Response><Message>x</Message></Response>"
    redis_server.start()
    await eventually(lambda: state.shared_up and state.local_keys == 0, what="handed on")
    # Still once after Redis is back, in this process or any other reading Redis.
    assert not await dedup.claim("SM-during")
    assert await dedup.reply_of("SM-during") == "<Response><Message>x</Message></Response>"
    other = degrading(redis_server.url)
    try:
        assert not await Deduplicator(other, "sms").claim("SM-during")
    finally:
        await other.close()


async def test_a_key_deleted_after_the_return_stays_deleted(
    state: DegradingKeyValueStore, redis_server: RedisProcess
) -> None:
    """Signing out right after Redis is back ends the session everywhere."""
    redis_server.kill()
    await state.set("session:portal:s1", "signed-in", 600)
    redis_server.start()
    await eventually(lambda: state.shared_up, what="shared state resumed")
    await state.delete("session:portal:s1")
    await eventually(lambda: state.local_keys == 0, what="handed on")
    assert await state.get("session:portal:s1") is None
    assert await raw_get(redis_server, "session:portal:s1") is None


async def test_restarted_redis_resumes_without_a_second_failure(
    state: DegradingKeyValueStore, redis_server: RedisProcess
) -> None:
    """After a restart the pool's old connections are dead: none of them fails a call."""
    for i in range(20):  # fill the pool with connections
        await asyncio.gather(*(state.incr(f"warm:{i}:{j}", 60) for j in range(8)))
    with capture_logs() as logs:
        redis_server.kill()
        await state.get("a")
        redis_server.start()
        await eventually(lambda: state.shared_up, what="shared state resumed")
        for i in range(50):
            assert await state.incr("after", 60) == i + 1
    assert transitions(logs) == ["dependency_unavailable", "dependency_restored"]


async def test_one_warning_each_way_under_many_calls_at_once(
    state: DegradingKeyValueStore, redis_server: RedisProcess
) -> None:
    with capture_logs() as logs:
        redis_server.kill()
        counts = await asyncio.gather(*(state.incr("burst", 60) for _ in range(300)))
        assert sorted(counts) == list(range(1, 301))  # one process: exact, even degraded
        for _ in range(100):
            await state.get("x")
        redis_server.start()
        await eventually(lambda: state.shared_up, what="shared state resumed")
        await asyncio.gather(*(state.incr("burst-after", 60) for _ in range(300)))
    assert transitions(logs) == ["dependency_unavailable", "dependency_restored"]


async def test_the_state_comes_back_after_redis_was_out_at_start_up(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path)  # not started yet
    kv = degrading(server.url)
    try:
        with capture_logs() as logs:
            await kv.start()
            assert not kv.shared_up
            assert await kv.set_if_absent("k", "v", 60)
            server.start()
            await eventually(lambda: kv.shared_up, what="shared state resumed")
        assert transitions(logs) == ["dependency_unavailable", "dependency_restored"]
        await eventually(lambda: kv.local_keys == 0, what="handed on")
        assert await raw_get(server, "k") == "v"
    finally:
        await kv.close()
        server.stop()


async def test_calls_past_their_deadline_do_not_mark_a_live_redis_down(
    redis_server: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop too busy to see answers in time is not a Redis down: a probe off the loop says
    so. The late calls were answered locally; the process reads what it wrote, and hands it
    on to Redis."""
    monkeypatch.setattr(redis_state, "LAG_FACTOR", 0.0)  # late by a microsecond, whatever
    shared = RedisKeyValueStore.from_url(redis_server.url, "t:", 8, deadline=1e-6)
    kv = DegradingKeyValueStore(shared, MemoryKeyValueStore(), reconnect_min=0.05)
    await kv.start()
    try:
        with capture_logs() as logs:
            await kv.set("session:ussd:late", "hop-2", 60)  # too late: kept here
            assert await kv.get("session:ussd:late") == "hop-2"  # read-your-writes
            assert not await kv.set_if_absent("session:ussd:late", "other", 60)
            await eventually(
                lambda: raw_get(redis_server, "session:ussd:late"), what="handed on to Redis"
            )
            assert await raw_get(redis_server, "session:ussd:late") == "hop-2"
            assert kv.shared_up
        assert transitions(logs) == []
        assert fallbacks("set") >= 1
    finally:
        await kv.close()


async def test_the_deadline_counts_the_loops_own_lateness() -> None:
    """A loop busy elsewhere makes every call late: that time is added to the deadline."""
    lag = redis_state.LoopLag()
    lag.watch()
    try:
        await asyncio.sleep(0.1)
        idle = lag.seconds
        for _ in range(5):  # requests holding the loop 60 ms at a time
            time.sleep(0.06)  # noqa: ASYNC251 (holding the loop is the point)
            await asyncio.sleep(0)
        assert lag.seconds > max(0.01, 2 * idle)
    finally:
        await lag.stop()
    kv = RedisKeyValueStore.from_url("redis://127.0.0.1:1/0", "t:", 8, deadline=0.05)
    kv._lag.seconds = 10.0
    assert kv.deadline == 0.05 + redis_state.LAG_ALLOWANCE_CAP
    kv._lag.seconds = 0.0
    assert kv.deadline == 0.05
    await kv.close()


# -- hung -------------------------------------------------------------------------------------


async def test_a_redis_that_never_answers_slows_nothing() -> None:
    async with black_hole() as hole:
        kv = degrading(hole.url)
        try:
            with capture_logs() as logs:
                started = time.perf_counter()
                await kv.start()  # the probe waits its own (longer) bound, once, at start-up
                assert not kv.shared_up
                assert time.perf_counter() - started < 2 * SLOWEST_CALL + 1
                slowest = 0.0
                for i in range(200):
                    began = time.perf_counter()
                    await kv.incr("n", 60)
                    await kv.set(f"s{i}", "x", 60)
                    assert await kv.get(f"s{i}") == "x"
                    slowest = max(slowest, time.perf_counter() - began)
                assert slowest < SLOWEST_CALL
            assert hole.accepted >= 1
            assert transitions(logs) == ["dependency_unavailable"]
        finally:
            await kv.close()


async def test_a_redis_that_hangs_mid_run_costs_one_deadline(redis_server: RedisProcess) -> None:
    """A server that stops answering (SIGSTOP, a full network) is a hung one: the first calls
    wait their deadline, then the process answers on its own."""
    kv = degrading(redis_server.url)
    await kv.start()
    assert redis_server.proc is not None
    try:
        await kv.set("a", "1", 60)
        redis_server.proc.send_signal(signal.SIGSTOP)
        try:
            started = time.perf_counter()
            results = await asyncio.gather(*(kv.incr("n", 60) for _ in range(50)))
            assert time.perf_counter() - started < SLOWEST_CALL
            assert sorted(results) == list(range(1, 51))  # each answered in this process
            # A call past its deadline is not proof: a probe of its own decides, within its
            # bound; meanwhile each call waits its deadline at most.
            slowest = 0.0
            while kv.shared_up:
                began = time.perf_counter()
                await kv.incr("m", 60)
                slowest = max(slowest, time.perf_counter() - began)
                assert time.perf_counter() - started < 10 * SLOWEST_CALL, "never marked down"
            assert slowest < SLOWEST_CALL
        finally:
            redis_server.proc.send_signal(signal.SIGCONT)
        await eventually(lambda: kv.shared_up, what="shared state resumed")
        assert await kv.get("a") == "1"  # nothing was lost: Redis only stopped answering
    finally:
        await kv.close()


# -- wiring and settings ----------------------------------------------------------------------


async def test_bootstrap_wraps_redis_in_the_degrading_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELIGIBILITY_GW_PSEUDONYM_KEY", PSEUDONYM_KEY)
    server = RedisProcess(tmp_path)  # down at start-up: the gateway starts all the same
    settings = parse_settings({"state": {"url": server.url, "timeout": 0.03, "reconnect_max": 0.2}})
    kv = await open_key_value(settings)
    try:
        assert isinstance(kv, DegradingKeyValueStore)
        assert not kv.shared_up
        server.start()
        await eventually(lambda: kv.shared_up, what="shared state resumed")
    finally:
        await kv.close()
        server.stop()
    memory = await open_key_value(parse_settings({"state": {"url": "memory://"}}))
    assert isinstance(memory, MemoryKeyValueStore)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"timeout": 0}, r"\[state\] timeout"),
        ({"timeout": -1.0}, r"\[state\] timeout"),
        ({"reconnect_min": 0.0}, r"\[state\] reconnect_min"),
        ({"reconnect_min": 5.0, "reconnect_max": 1.0}, r"\[state\] reconnect_max"),
        ({"fallback_max_keys": 0}, r"\[state\] fallback_max_keys"),
        ({"timeout": "fast"}, r"\[state\] timeout: expected float"),
    ],
)
def test_state_settings_are_checked(table: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings({"state": {"url": "redis://127.0.0.1:6379/0", **table}})


def test_state_settings_take_whole_seconds() -> None:
    state = parse_settings({"state": {"timeout": 1, "reconnect_max": 3}}).state
    assert state.timeout == 1.0
    assert state.reconnect_max == 3.0


def test_every_state_key_is_documented_in_the_example() -> None:
    text = default_config_text()
    block = text[text.index("[state]") : text.index("\n[", text.index("[state]") + 1)]
    for name in (f.name for f in fields(StateSettings)):
        assert re.search(rf"^#? ?{name} = ", block, re.MULTILINE), name
    assert parse_settings(tomllib.loads(text)).state == StateSettings()
