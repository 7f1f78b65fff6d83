"""Versioned schema migrations: numbered SQL files applied once each, in order."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import aiosqlite

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    sql: str


def shipped_migrations() -> list[Migration]:
    """The migrations shipped with this adapter, by version."""
    folder = resources.files(__package__).joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    return found


async def migrate(conn: aiosqlite.Connection) -> list[int]:
    """Apply the migrations not applied yet; return the versions applied now."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migration") as cur:
        done = {row[0] for row in await cur.fetchall()}
    applied = []
    for m in shipped_migrations():
        if m.version in done:
            continue
        now = datetime.now(UTC).isoformat()
        # executescript commits first; one script keeps a step and its record atomic. The
        # record is written first: when another connection (a second worker opening the same
        # file) applied the step since ``done`` was read, it fails before any of the step runs.
        try:
            await conn.executescript(
                "BEGIN IMMEDIATE;\n"
                f"INSERT INTO schema_migration VALUES ({m.version}, '{m.name}', '{now}');\n"
                + m.sql
                + "\nCOMMIT;"
            )
        except sqlite3.IntegrityError:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            if m.version in await _applied(conn):
                continue
            raise
        applied.append(m.version)
    return applied


async def _applied(conn: aiosqlite.Connection) -> set[int]:
    async with conn.execute("SELECT version FROM schema_migration") as cur:
        return {int(row[0]) for row in await cur.fetchall()}


async def schema_version(conn: aiosqlite.Connection) -> int:
    """The highest migration applied."""
    async with conn.execute("SELECT coalesce(max(version), 0) FROM schema_migration") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0
