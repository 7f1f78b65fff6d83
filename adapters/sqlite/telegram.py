"""SQLite ``TelegramBindings``: chat to phone bindings (migration 0004).

It keeps its own connection to the store's file, so binding a chat never waits behind the
answer log's group commits for a lock of ours (SQLite's busy timeout orders them).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from eligibility_gw.adapters.sqlite.gate import write_gate
from eligibility_gw.channels.telegram.bindings import Binding

_COLUMNS = "chat_id, user_id, phone, language, bound_at"


class SqliteTelegramBindings:
    """The SQLite implementation of ``channels.telegram.bindings.TelegramBindings``."""

    def __init__(self, conn: aiosqlite.Connection, path: str | Path = ":memory:") -> None:
        self._conn = conn
        self._lock = write_gate(path)

    async def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            count = cur.rowcount
            await cur.close()
        return count

    async def get(self, chat_id: int) -> Binding | None:
        """The chat's binding."""
        async with self._conn.execute(
            f"SELECT {_COLUMNS} FROM telegram_binding WHERE chat_id = ?", (chat_id,)
        ) as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        return Binding(int(r[0]), int(r[1]), str(r[2]), str(r[3]), datetime.fromisoformat(r[4]))

    async def bind(self, binding: Binding) -> None:
        """Keep the binding, replacing the chat's earlier one."""
        await self._write(
            f"INSERT INTO telegram_binding ({_COLUMNS}) VALUES (?,?,?,?,?)"
            " ON CONFLICT (chat_id) DO UPDATE SET user_id = excluded.user_id,"
            " phone = excluded.phone, language = excluded.language, bound_at = excluded.bound_at",
            (
                binding.chat_id,
                binding.user_id,
                binding.phone,
                binding.language,
                binding.bound_at.astimezone(UTC).isoformat(),
            ),
        )

    async def set_language(self, chat_id: int, language: str) -> bool:
        """Change the chat's language."""
        changed = await self._write(
            "UPDATE telegram_binding SET language = ? WHERE chat_id = ?", (language, chat_id)
        )
        return changed > 0

    async def forget(self, chat_id: int) -> bool:
        """Remove the chat's binding."""
        removed = await self._write("DELETE FROM telegram_binding WHERE chat_id = ?", (chat_id,))
        return removed > 0

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()


async def open_sqlite_telegram_bindings(path: str | Path) -> SqliteTelegramBindings:
    """Open bindings on the store's (already migrated) SQLite file."""
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        await conn.execute("PRAGMA busy_timeout=10000")
        await conn.execute("PRAGMA journal_mode=WAL")
        async with conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'telegram_binding'"
        ) as cur:
            if await cur.fetchone() is None:
                raise sqlite3.OperationalError(f"{path}: migration 0004_telegram is not applied")
    except BaseException:
        await conn.close()
        raise
    return SqliteTelegramBindings(conn, path)
