"""PostgreSQL ``TelegramBindings``: chat to phone bindings (migration 0003).

The bindings use the gateway store's pool, which the store closes; ``close`` releases nothing.
"""

from __future__ import annotations

import asyncpg

from eligibility_gw.adapters.postgres.database import unavailable
from eligibility_gw.ports.chats import Binding

_COLUMNS = "chat_id, user_id, phone, language, bound_at"


def _changed(status: str) -> int:
    """The row count of a command status such as ``UPDATE 1`` or ``DELETE 0``."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresTelegramBindings:
    """The PostgreSQL implementation of ``ports.chats.TelegramBindings``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def get(self, chat_id: int) -> Binding | None:
        """The chat's binding."""
        async with self._pool.acquire() as conn:
            r = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM telegram_binding WHERE chat_id = $1", chat_id
            )
        if r is None:
            return None
        return Binding(r["chat_id"], r["user_id"], r["phone"], r["language"], r["bound_at"])

    @unavailable
    async def bind(self, binding: Binding) -> None:
        """Keep the binding, replacing the chat's earlier one."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                f"INSERT INTO telegram_binding ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (chat_id) DO UPDATE SET user_id = excluded.user_id,"
                " phone = excluded.phone, language = excluded.language,"
                " bound_at = excluded.bound_at",
                binding.chat_id,
                binding.user_id,
                binding.phone,
                binding.language,
                binding.bound_at,
            )

    @unavailable
    async def set_language(self, chat_id: int, language: str) -> bool:
        """Change the chat's language."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE telegram_binding SET language = $1 WHERE chat_id = $2", language, chat_id
            )
        return _changed(status) > 0

    @unavailable
    async def forget(self, chat_id: int) -> bool:
        """Remove the chat's binding."""
        async with self._pool.acquire() as conn:
            status = await conn.execute("DELETE FROM telegram_binding WHERE chat_id = $1", chat_id)
        return _changed(status) > 0

    @unavailable
    async def by_phone(self, phone: str) -> list[Binding]:
        """The chats bound to ``phone``, the most recently bound first."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_COLUMNS} FROM telegram_binding WHERE phone = $1"
                " ORDER BY bound_at DESC, chat_id",
                phone,
            )
        return [
            Binding(r["chat_id"], r["user_id"], r["phone"], r["language"], r["bound_at"])
            for r in found
        ]

    async def close(self) -> None:
        """Nothing to release: the pool is the store's."""
