"""SQLite ``TelegramBindings``: chat to phone bindings (migration 0004)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.ports.chats import Binding

_COLUMNS = "chat_id, user_id, phone, language, bound_at"


class SqliteTelegramBindings:
    """The SQLite implementation of ``ports.chats.TelegramBindings``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        return await self._db.execute(sql, params)

    @unavailable
    async def get(self, chat_id: int) -> Binding | None:
        """The chat's binding."""
        r = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM telegram_binding WHERE chat_id = ?", (chat_id,)
        )
        if r is None:
            return None
        return Binding(int(r[0]), int(r[1]), str(r[2]), str(r[3]), datetime.fromisoformat(r[4]))

    @unavailable
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

    @unavailable
    async def set_language(self, chat_id: int, language: str) -> bool:
        """Change the chat's language."""
        changed = await self._write(
            "UPDATE telegram_binding SET language = ? WHERE chat_id = ?", (language, chat_id)
        )
        return changed > 0

    @unavailable
    async def forget(self, chat_id: int) -> bool:
        """Remove the chat's binding."""
        removed = await self._write("DELETE FROM telegram_binding WHERE chat_id = ?", (chat_id,))
        return removed > 0

    @unavailable
    async def by_phone(self, phone: str) -> list[Binding]:
        """The chats bound to ``phone``, the most recently bound first."""
        found = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM telegram_binding WHERE phone = ?"
            " ORDER BY bound_at DESC, chat_id",
            (phone,),
        )
        return [
            Binding(int(r[0]), int(r[1]), str(r[2]), str(r[3]), datetime.fromisoformat(r[4]))
            for r in found
        ]

    async def close(self) -> None:
        """Nothing of its own to release: the database is closed by the store."""
