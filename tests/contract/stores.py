"""Open each store backend for the contract suite, with a way to tamper with its log."""

from __future__ import annotations

import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from eligibility_gw.adapters.postgres import PostgresStore, open_postgres_store
from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
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
