"""The KeyValueStore contract, run unchanged against every state a gateway may be handed.

- ``memory``: one process's own state (``memory://``);
- ``redis``: the Redis adapter alone, on a ``redis-server`` of the suite's own (skipped with
  the reason where none is installed), with a deadline far from the test's concern;
- ``degrading``: what bootstrap hands out for ``redis://``, over that server;
- ``degraded``: the same while its Redis is down (nothing listens): every call is answered
  by the process's own state, and the contract holds all the same.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from eligibility_gw.adapters.memory.state import MemoryKeyValueStore
from eligibility_gw.adapters.redis_state import RedisKeyValueStore
from eligibility_gw.keyvalue import Deduplicator, RateLimiter, Sessions
from eligibility_gw.ports import KeyValueStore
from eligibility_gw.state import DegradingKeyValueStore
from tests.integration.degraded_support import (
    RedisProcess,
    free_port,
    redis_process,
    redis_server_path,
)

REDIS_URL = "redis://127.0.0.1:6379/15"
#: The contract is about values, not time: a deadline no test run comes near.
UNHURRIED = 5.0


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A redis-server for this module."""
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    with redis_process(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(params=["memory", "redis", "degrading", "degraded"])
async def kv(request: pytest.FixtureRequest) -> AsyncIterator[KeyValueStore]:
    prefix = f"test-{secrets.token_hex(4)}:"
    store: KeyValueStore
    if request.param == "memory":
        store = MemoryKeyValueStore()
    elif request.param == "degraded":
        nobody = f"redis://127.0.0.1:{free_port()}/0"
        degraded = DegradingKeyValueStore(
            RedisKeyValueStore.from_url(nobody, prefix, 600, UNHURRIED), MemoryKeyValueStore()
        )
        await degraded.start()
        assert not degraded.shared_up
        store = degraded
    else:
        server: RedisProcess = request.getfixturevalue("redis_server")
        shared = RedisKeyValueStore.from_url(server.url, prefix, 600, UNHURRIED)
        if request.param == "redis":
            store = shared
        else:
            degrading = DegradingKeyValueStore(shared, MemoryKeyValueStore())
            await degrading.start()
            assert degrading.shared_up
            store = degrading
    yield store
    await store.close()


async def test_set_get_delete(kv: KeyValueStore) -> None:
    assert await kv.get("a") is None
    await kv.set("a", "one", ttl=60)
    assert await kv.get("a") == "one"
    await kv.set("a", "two", ttl=60)
    assert await kv.get("a") == "two"
    await kv.delete("a")
    assert await kv.get("a") is None


async def test_values_expire(kv: KeyValueStore) -> None:
    await kv.set("short", "x", ttl=0.2)
    assert await kv.get("short") == "x"
    await asyncio.sleep(0.35)
    assert await kv.get("short") is None


async def test_set_if_absent_is_first_come(kv: KeyValueStore) -> None:
    results = await asyncio.gather(*(kv.set_if_absent("claim", str(i), ttl=60) for i in range(20)))
    assert results.count(True) == 1
    winner = results.index(True)
    assert await kv.get("claim") == str(winner)


async def test_incr_counts_atomically_and_expires(kv: KeyValueStore) -> None:
    counts = await asyncio.gather(*(kv.incr("n", ttl=0.3) for _ in range(50)))
    assert sorted(counts) == list(range(1, 51))
    await asyncio.sleep(0.45)
    assert await kv.incr("n", ttl=0.3) == 1


async def test_rate_limiter_over_the_store(kv: KeyValueStore) -> None:
    limiter = RateLimiter(kv)
    decisions = [await limiter.hit("t", "+989121110001", limit=3, window=60) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert all(1 <= d.retry_after <= 60 for d in decisions)
    other = await limiter.hit("t", "+989121110002", limit=3, window=60)
    assert other.allowed


async def test_sessions_round_trip_json(kv: KeyValueStore) -> None:
    sessions = Sessions(kv, "ussd", ttl=60)
    assert await sessions.load("s1") is None
    await sessions.save("s1", {"screen": "main", "history": ["1", "۲"], "n": 3})
    assert await sessions.load("s1") == {"screen": "main", "history": ["1", "۲"], "n": 3}
    await sessions.drop("s1")
    assert await sessions.load("s1") is None


async def test_deduplicator_claims_once_and_replays(kv: KeyValueStore) -> None:
    dedup = Deduplicator(kv, "sms")
    assert await dedup.claim("SM1") is True
    assert await dedup.claim("SM1") is False
    assert await dedup.reply_of("SM1") is None  # still being answered
    await dedup.store_reply("SM1", "<Response/>")
    assert await dedup.reply_of("SM1") == "<Response/>"
    await dedup.release("SM2")
    assert await dedup.claim("SM2") is True


async def test_keys_hold_no_phone_in_clear(kv: KeyValueStore) -> None:
    if not isinstance(kv, MemoryKeyValueStore):
        pytest.skip("inspects the in-memory keys (the key functions are the same for all)")
    await RateLimiter(kv).hit("sms", "+989121110001", limit=3, window=60)
    await Sessions(kv, "ussd", ttl=60).save("+989121110001", {"a": 1})
    assert not any("989121110001" in key for key in kv._data)


def test_shared_state_needs_the_pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio as aio

    from eligibility_gw.bootstrap import open_key_value
    from eligibility_gw.settings import SettingsError, parse_settings

    monkeypatch.delenv("ELIGIBILITY_GW_PSEUDONYM_KEY", raising=False)
    settings = parse_settings({"state": {"url": REDIS_URL}})
    with pytest.raises(SettingsError, match="ELIGIBILITY_GW_PSEUDONYM_KEY"):
        aio.run(open_key_value(settings))


async def test_as_many_concurrent_calls_as_requests_let_in(kv: KeyValueStore) -> None:
    """A burst of calls at once (up to the shedding bound) all succeed: none finds the pool
    exhausted."""
    counts = await asyncio.gather(*(kv.incr("burst", ttl=60) for _ in range(400)))
    assert sorted(counts) == list(range(1, 401))
