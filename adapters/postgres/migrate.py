"""Versioned schema migrations for PostgreSQL: numbered SQL files applied once, in order.

Several processes may start at once: an advisory lock lets one migrate while the others wait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg
from asyncpg.pool import PoolConnectionProxy

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x6567_775F  # "egw_": the advisory lock held while migrating


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    sql: str


def shipped_migrations() -> list[Migration]:
    """The PostgreSQL migrations shipped with this adapter, by version."""
    folder = resources.files("eligibility_gw.adapters.postgres.migrations")
    found = [
        Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8"))
        for entry in folder.iterdir()
        if (m := _NAME.match(entry.name))
    ]
    return sorted(found, key=lambda m: m.version)


async def migrate(conn: asyncpg.Connection | PoolConnectionProxy) -> list[int]:
    """Apply the migrations not applied yet; return the versions applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migration")}
        applied = []
        for m in shipped_migrations():
            if m.version in done:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
                    m.version,
                    m.name,
                )
            applied.append(m.version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
