"""The chat-to-phone bindings: the same behaviour in memory, SQLite and PostgreSQL, kept
across restarts of the store and of the whole gateway.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from eligibility_gw.adapters.postgres.telegram import PostgresTelegramBindings
from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.adapters.sqlite.telegram import open_sqlite_telegram_bindings
from eligibility_gw.channels.telegram.bindings import (
    Binding,
    MemoryTelegramBindings,
    TelegramBindings,
    open_bindings,
)
from eligibility_gw.wording import Wording
from tests.channels.telegram.conftest import MakeGateway
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import TelegramUser, only_text
from tests.contract.stores import postgres_backend, postgres_reachable

BOUND_AT = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def bindings(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[TelegramBindings]:
    """Each implementation in turn: a migrated file for SQLite, a fresh schema for PostgreSQL."""
    if request.param == "memory":
        yield MemoryTelegramBindings()
        return
    if request.param == "postgres":
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        async with postgres_backend() as backend:
            on_pool = await open_bindings(backend.store)
            assert isinstance(on_pool, PostgresTelegramBindings)
            yield on_pool
            await on_pool.close()  # the pool stays the store's, closed by it
        return
    path = tmp_path / "b.sqlite3"
    await (await open_sqlite_store(path)).close()
    found = await open_sqlite_telegram_bindings(path)
    try:
        yield found
    finally:
        await found.close()


async def test_bind_read_relanguage_forget(bindings: TelegramBindings) -> None:
    assert await bindings.get(11) is None
    first = Binding(11, 11, "+989121110001", "fa", BOUND_AT)
    await bindings.bind(first)
    assert await bindings.get(11) == first
    assert await bindings.set_language(11, "en")
    assert (await bindings.get(11)) == Binding(11, 11, "+989121110001", "en", BOUND_AT)
    rebound = Binding(11, 11, "+989121110002", "fa", BOUND_AT)
    await bindings.bind(rebound)
    assert await bindings.get(11) == rebound
    assert not await bindings.set_language(12, "en")
    assert await bindings.forget(11)
    assert not await bindings.forget(11)
    assert await bindings.get(11) is None


async def test_sqlite_bindings_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    await (await open_sqlite_store(path)).close()
    first = await open_sqlite_telegram_bindings(path)
    await first.bind(Binding(5_000_000_001, 5_000_000_001, "+989121110001", "fa", BOUND_AT))
    await first.close()
    again = await open_sqlite_telegram_bindings(path)
    try:
        found = await again.get(5_000_000_001)
    finally:
        await again.close()
    assert found == Binding(5_000_000_001, 5_000_000_001, "+989121110001", "fa", BOUND_AT)


async def test_the_table_holds_only_what_answering_needs(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    await (await open_sqlite_store(path)).close()
    async with aiosqlite.connect(path) as conn:
        async with conn.execute("PRAGMA table_info(telegram_binding)") as cur:
            columns = [row[1] for row in await cur.fetchall()]
        async with conn.execute("SELECT version, name FROM schema_migration") as cur:
            migrations = {row[0]: row[1] for row in await cur.fetchall()}
    assert columns == ["chat_id", "user_id", "phone", "language", "bound_at"]
    assert migrations[4] == "telegram"


async def test_opening_an_unmigrated_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match="0004_telegram"):
        await open_sqlite_telegram_bindings(tmp_path / "empty.sqlite3")


async def test_a_store_without_a_file_keeps_bindings_in_memory(tmp_path: Path) -> None:
    store = await open_sqlite_store(":memory:")
    try:
        assert isinstance(await open_bindings(store), MemoryTelegramBindings)
    finally:
        await store.close()


async def test_a_linked_chat_stays_linked_after_a_restart(
    make_gateway: MakeGateway, fake_api: FakeBotApi
) -> None:
    client = await make_gateway()
    user = TelegramUser(client, fake_api, 7001, "fa")
    await user.share_contact("+989121110001")
    await user.tap("l:en")
    await client.close()

    restarted = await make_gateway()
    user = TelegramUser(restarted, fake_api, 7001, "fa")
    text = only_text(await user.command("cover"))
    assert Wording("en").t("label.cover_end") in text  # linked, and still in English


async def test_chat_ids_beyond_32_bits(bindings: TelegramBindings) -> None:
    big = Binding(-1_002_000_000_001, 7_000_000_001, "+989121110001", "fa", BOUND_AT)
    await bindings.bind(big)
    assert await bindings.get(big.chat_id) == big
