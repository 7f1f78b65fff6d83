"""Which phone each private chat proved: the port of the chat binding store.

A chat is bound when its user shares their own contact; the binding lets the bot answer
about the people on file for that phone, and outlives restarts in the SQLite store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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

    async def by_phone(self, phone: str) -> list[Binding]:
        """The chats bound to ``phone``, the most recently bound first (reminders)."""

    async def close(self) -> None:
        """Release connections."""
