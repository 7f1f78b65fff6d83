"""The in-memory state store forgets expired keys as time passes, not only when full."""

from __future__ import annotations

import pytest

from eligibility_gw.adapters.memory import state as memory
from eligibility_gw.adapters.memory.state import MemoryKeyValueStore


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(memory, "clock", lambda: now[0])
    return now


async def test_expired_keys_are_swept_by_later_writes(clock: list[float]) -> None:
    kv = MemoryKeyValueStore()
    for i in range(5000):
        await kv.set(f"dedup:{i}", "x", ttl=60)
        await kv.incr(f"rate:{i}", ttl=30)
    assert len(kv) == 10_000
    clock[0] += 31  # the counters are done with, the de-duplication keys are not
    await kv.set("one-more", "x", ttl=60)
    assert len(kv) == 5001
    clock[0] += 30
    await kv.incr("another", ttl=60)
    assert len(kv) == 2  # "one-more" and "another"
    assert await kv.get("dedup:1") is None


async def test_a_rewritten_key_keeps_its_new_expiry(clock: list[float]) -> None:
    kv = MemoryKeyValueStore()
    await kv.set("session", "a", ttl=10)
    clock[0] += 5
    await kv.set("session", "b", ttl=60)  # the old expiry entry must not remove it
    clock[0] += 10
    await kv.set("other", "x", ttl=1)
    assert await kv.get("session") == "b"
    assert await kv.incr("count", ttl=10) == 1
    assert await kv.incr("count", ttl=10) == 2


async def test_memory_stays_bounded_under_steady_traffic(clock: list[float]) -> None:
    """A day of arrivals with 60 s keys holds about a minute's worth, heap included."""
    kv = MemoryKeyValueStore()
    for i in range(20_000):
        clock[0] += 0.05  # 20 arrivals a second
        await kv.incr(f"rate:{i}", ttl=60)
    assert len(kv) <= 60 * 20 + 1
    assert len(kv._expiries) <= 2 * len(kv) + 1024


async def test_full_store_drops_the_oldest(clock: list[float]) -> None:
    kv = MemoryKeyValueStore(max_keys=3)
    for key in ("a", "b", "c", "d"):
        await kv.set(key, key, ttl=60)
    assert await kv.get("a") is None
    assert await kv.get("d") == "d"
