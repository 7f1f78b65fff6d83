"""The language each phone chose, in every store (SQLite, PostgreSQL, memory), and the
migrations that add it on a fresh database and on one that already holds data.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from eligibility_gw.adapters.postgres import open_postgres_store
from eligibility_gw.adapters.postgres.migrate import shipped_migrations as postgres_migrations
from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.adapters.sqlite.migrate import shipped_migrations as sqlite_migrations
from eligibility_gw.languages import Languages
from eligibility_gw.ports.languages import LanguagePreference
from tests.contract.stores import (
    PG_DSN,
    Backend,
    postgres_reachable,
)

PHONE = "+989121110001"
OTHER = "+40721000001"
AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


async def test_a_preference_is_kept_replaced_and_forgotten(backend: Backend) -> None:
    kept = backend.store.languages
    assert await kept.get(PHONE) is None
    await kept.set(LanguagePreference(PHONE, "ro", "sms", AT))
    await kept.set(LanguagePreference(OTHER, "pt_BR", "telegram", AT))
    found = await kept.get(PHONE)
    assert found == LanguagePreference(PHONE, "ro", "sms", AT)
    later = AT + timedelta(days=3)
    await kept.set(LanguagePreference(PHONE, "pl", "ussd", later))
    assert await kept.get(PHONE) == LanguagePreference(PHONE, "pl", "ussd", later)
    assert await kept.get(OTHER) == LanguagePreference(OTHER, "pt_BR", "telegram", AT)
    assert await kept.forget(PHONE) is True
    assert await kept.forget(PHONE) is False
    assert await kept.get(PHONE) is None
    assert await kept.get(OTHER) is not None


async def test_the_core_reads_a_choice_only_while_it_is_offered(backend: Backend) -> None:
    offered = Languages(backend.store.languages, ("en", "fa", "ru"))
    assert await offered.choose(PHONE, "ru", "sms") == "ru"
    assert await offered.for_phone(PHONE, "fa") == "ru"
    assert await offered.choose(PHONE, "pl", "sms") is None  # not offered: nothing kept
    assert await offered.for_phone(PHONE) == "ru"
    # A deployment that stops offering a language falls back to the signal, then the default.
    fewer = Languages(backend.store.languages, ("en", "fa"))
    assert await fewer.for_phone(PHONE, "fa") == "fa"
    assert await fewer.for_phone(PHONE) == "en"


async def _sqlite_up_to(path: Path, version: int) -> None:
    """A file migrated as a release before this one left it, with a chat bound on it."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute(
            "CREATE TABLE schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)"
        )
        for m in sqlite_migrations():
            if m.version > version:
                break
            await conn.executescript(
                f"BEGIN; INSERT INTO schema_migration VALUES ({m.version}, '{m.name}', "
                f"'{AT.isoformat()}');\n{m.sql}\nCOMMIT;"
            )
        await conn.execute(
            "INSERT INTO telegram_binding VALUES (7, 7, ?, 'fa', ?)", (PHONE, AT.isoformat())
        )


async def test_sqlite_migrates_a_fresh_file_and_one_holding_data(tmp_path: Path) -> None:
    assert [m.version for m in sqlite_migrations()][-1] >= 11
    fresh = await open_sqlite_store(tmp_path / "fresh.sqlite3")
    try:
        await fresh.languages.set(LanguagePreference(PHONE, "ro", "sms", AT))
        assert await fresh.languages.get(PHONE) is not None
    finally:
        await fresh.close()

    existing = tmp_path / "existing.sqlite3"
    await _sqlite_up_to(existing, 10)
    store = await open_sqlite_store(existing)
    try:
        binding = await store.chats.get(7)
        assert binding is not None
        assert binding.phone == PHONE
        assert await store.languages.get(PHONE) is None
        await store.languages.set(LanguagePreference(PHONE, "fa", "telegram", AT))
        assert await store.languages.get(PHONE) == LanguagePreference(PHONE, "fa", "telegram", AT)
    finally:
        await store.close()
    async with (
        aiosqlite.connect(existing) as conn,
        conn.execute("SELECT version FROM schema_migration WHERE name = 'languages'") as cur,
    ):
        assert [tuple(r) for r in await cur.fetchall()] == [(11,)]


@pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL server on 127.0.0.1:5432")
async def test_postgres_migrates_a_schema_holding_data() -> None:
    assert [m.version for m in postgres_migrations()][-1] >= 8
    schema = f"languages_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        conn = await asyncpg.connect(PG_DSN, server_settings={"search_path": schema})
        try:
            await conn.execute(
                "CREATE TABLE schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            for m in postgres_migrations():
                if m.version > 7:
                    break
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                    m.version,
                    m.name,
                )
            await conn.execute(
                "INSERT INTO telegram_binding VALUES (7, 7, $1, 'fa', $2)", PHONE, AT
            )
        finally:
            await conn.close()
        store = await open_postgres_store(f"{PG_DSN}?options=-csearch_path%3D{schema}", 1, 2)
        try:
            assert (await store.chats.get(7)) is not None
            await store.languages.set(LanguagePreference(PHONE, "ru", "ussd", AT))
            assert await store.languages.get(PHONE) == LanguagePreference(PHONE, "ru", "ussd", AT)
            async with store.pool.acquire() as c:
                names = await c.fetch("SELECT version FROM schema_migration WHERE version = 8")
            assert len(names) == 1
        finally:
            await store.close()
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
