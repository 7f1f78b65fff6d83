"""The chat-to-phone bindings (the store's ``chats`` port): the same behaviour in memory, on
SQLite and on PostgreSQL, kept across reopening the store and restarting the gateway.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from eligibility_gw.adapters.memory.store import MemoryStore
from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.ports.chats import Binding, TelegramBindings
from eligibility_gw.wording import Wording
from tests.channels.telegram.conftest import MakeTelegram
from tests.channels.telegram.support import ALI_PHONE, only_text
from tests.contract.stores import postgres_backend, postgres_reachable, sqlite_backend

BOUND_AT = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def bindings(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[TelegramBindings]:
    """Each store's ``chats`` in turn: a fresh SQLite file, a fresh PostgreSQL schema."""
    if request.param == "memory":
        yield MemoryStore().chats
        return
    if request.param == "postgres":
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        async with postgres_backend() as backend:
            yield backend.store.chats
        return
    async with sqlite_backend(tmp_path) as backend:
        yield backend.store.chats


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


async def test_chat_ids_beyond_32_bits(bindings: TelegramBindings) -> None:
    big = Binding(-1_002_000_000_001, 7_000_000_001, "+989121110001", "fa", BOUND_AT)
    await bindings.bind(big)
    assert await bindings.get(big.chat_id) == big


async def test_sqlite_bindings_survive_reopening_the_store(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    first = await open_sqlite_store(path)
    try:
        await first.chats.bind(
            Binding(5_000_000_001, 5_000_000_001, "+989121110001", "fa", BOUND_AT)
        )
    finally:
        await first.close()
    again = await open_sqlite_store(path)
    try:
        found = await again.chats.get(5_000_000_001)
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


async def test_a_linked_chat_stays_linked_after_a_restart(make_telegram: MakeTelegram) -> None:
    first = await make_telegram(store="sqlite")
    user = first.user("fa", user_id=7001)
    await user.share_contact(ALI_PHONE)
    await user.tap("l:en")
    url = first.test.settings.store.url
    await first.client.close()
    await first.test.gateway.close()

    restarted = await make_telegram(store="sqlite", fresh=False, extra={"store": {"url": url}})
    assert restarted.test.settings.store.url == url
    user = restarted.user("fa", user_id=7001)
    text = only_text(await user.command("cover"))
    assert Wording("en").t("label.cover_end") in text  # linked, and still in English
