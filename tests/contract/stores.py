"""Open each store backend for the contract suite, with a way to tamper with its log."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg

from eligibility_gw.adapters.memory.store import MemoryAnswerLog, MemoryStore
from eligibility_gw.adapters.postgres import PostgresStore, open_postgres_store
from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.domain.model import Status
from eligibility_gw.ports import Store

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_reachable() -> bool:
    """Say whether a PostgreSQL server listens on 127.0.0.1:5432."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Backend:
    """A store under test, and raw SQL access to it for tampering."""

    store: Store
    raw: Callable[[str], Awaitable[None]]
    url: str

    @property
    def sql(self) -> bool:
        """Say whether the store is an SQL database (with triggers to get past)."""
        return self.url != "memory://"

    async def edit_status(self, seq: int, status: str) -> None:
        """Change one logged answer's status behind the log's back."""
        if not self.sql:
            memory = self.store.answers
            assert isinstance(memory, MemoryAnswerLog)
            i = seq - 1
            old = memory.records[i]
            decision = replace(old.draft.decision, status=Status(status))
            memory.records[i] = replace(old, draft=replace(old.draft, decision=decision))
            return
        await self.raw(
            "DROP TRIGGER answer_log_no_update ON answer_log"
            if self.url.startswith("postgresql")
            else "DROP TRIGGER answer_log_no_update"
        )
        await self.raw(f"UPDATE answer_log SET status = '{status}' WHERE seq = {int(seq)}")

    async def delete(self, seq: int) -> None:
        """Remove one logged answer behind the log's back."""
        if not self.sql:
            memory = self.store.answers
            assert isinstance(memory, MemoryAnswerLog)
            del memory.records[seq - 1]
            return
        if self.url.startswith("postgresql"):
            await self.raw("DROP TRIGGER answer_log_no_update ON answer_log")
        else:
            await self.raw("DROP TRIGGER answer_log_no_delete")
        await self.raw(f"DELETE FROM answer_log WHERE seq = {int(seq)}")


@asynccontextmanager
async def memory_backend() -> AsyncIterator[Backend]:
    """The memory store (no SQL: ``raw`` refuses)."""
    store = MemoryStore()

    async def raw(sql: str) -> None:
        raise NotImplementedError("the memory store runs no SQL")

    try:
        yield Backend(store, raw, "memory://")
    finally:
        await store.close()


@asynccontextmanager
async def sqlite_backend(tmp: Path) -> AsyncIterator[Backend]:
    """A fresh SQLite file."""
    path = tmp / "contract.sqlite3"
    store: SqliteStore = await open_sqlite_store(path)

    async def raw(sql: str) -> None:
        await store.execute_raw(sql)

    try:
        yield Backend(store, raw, f"sqlite:///{path}")
    finally:
        await store.close()


async def fresh_postgres_url() -> tuple[str, str]:
    """A URL to a new, empty schema of the local database ``test``, and the schema's name."""
    schema = f"gateway_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_DSN)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    return f"{PG_DSN}?options=-csearch_path%3D{schema}", schema


async def drop_postgres_schemas(schemas: list[str]) -> None:
    """Drop the schemas ``fresh_postgres_url`` made."""
    admin = await asyncpg.connect(PG_DSN)
    try:
        for schema in schemas:
            await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await admin.close()


@asynccontextmanager
async def postgres_backend() -> AsyncIterator[Backend]:
    """A fresh schema in the local PostgreSQL database ``test``, dropped afterwards."""
    schema = f"contract_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_DSN}?options=-csearch_path%3D{schema}"
    store: PostgresStore = await open_postgres_store(url, min_size=1, max_size=4)

    async def raw(sql: str) -> None:
        async with store.pool.acquire() as conn:
            await conn.execute(sql)

    try:
        yield Backend(store, raw, url)
    finally:
        await store.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
