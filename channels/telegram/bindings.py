"""Which phone each private chat proved: the binding store's interface and its memory form.

A chat is bound when its user shares their own contact; the binding lets the bot answer
about the people on file for that phone, and outlives restarts in the SQLite store.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from eligibility_gw.ports import Store

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Binding:
    """A private chat, the Telegram user in it, the phone they proved, their language."""

    chat_id: int
    user_id: int
    phone: str
    language: str
    bound_at: datetime


class TelegramBindings(Protocol):
    """Where bindings are kept."""

    async def get(self, chat_id: int) -> Binding | None:
        """The chat's binding, or None when it has none."""

    async def bind(self, binding: Binding) -> None:
        """Keep the binding, replacing the chat's earlier one."""

    async def set_language(self, chat_id: int, language: str) -> bool:
        """Change the chat's language; say whether the chat is bound."""

    async def forget(self, chat_id: int) -> bool:
        """Remove the chat's binding; say whether there was one."""

    async def close(self) -> None:
        """Release connections."""


class MemoryTelegramBindings:
    """Bindings in the process: for stores without a table of their own, and tests."""

    def __init__(self) -> None:
        self._by_chat: dict[int, Binding] = {}

    async def get(self, chat_id: int) -> Binding | None:
        """The chat's binding."""
        return self._by_chat.get(chat_id)

    async def bind(self, binding: Binding) -> None:
        """Keep the binding."""
        self._by_chat[binding.chat_id] = binding

    async def set_language(self, chat_id: int, language: str) -> bool:
        """Change the language."""
        found = self._by_chat.get(chat_id)
        if found is None:
            return False
        self._by_chat[chat_id] = dataclasses.replace(found, language=language)
        return True

    async def forget(self, chat_id: int) -> bool:
        """Remove the binding."""
        return self._by_chat.pop(chat_id, None) is not None

    async def close(self) -> None:
        """Nothing to release."""


async def open_bindings(store: Store) -> TelegramBindings:
    """The bindings next to the store: SQLite on its file, PostgreSQL on its pool, else in
    memory (with a warning)."""
    from eligibility_gw.adapters.postgres import PostgresStore
    from eligibility_gw.adapters.postgres.telegram import open_postgres_telegram_bindings
    from eligibility_gw.adapters.sqlite import SqliteStore
    from eligibility_gw.adapters.sqlite.telegram import open_sqlite_telegram_bindings

    if isinstance(store, SqliteStore) and store.path != ":memory:":
        return await open_sqlite_telegram_bindings(store.path)
    if isinstance(store, PostgresStore):
        return await open_postgres_telegram_bindings(store.pool)
    log.warning(
        "telegram_bindings_in_memory",
        reason="no Telegram table in this store: chats share their phone again after a restart",
    )
    return MemoryTelegramBindings()
