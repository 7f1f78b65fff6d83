"""Chat bindings in the process (the ``memory://`` store, and tests)."""

from __future__ import annotations

import dataclasses

from eligibility_gw.ports.chats import Binding


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

    async def by_phone(self, phone: str) -> list[Binding]:
        """The chats bound to ``phone``, the most recently bound first."""
        found = [b for b in self._by_chat.values() if b.phone == phone]
        return sorted(found, key=lambda b: (-b.bound_at.timestamp(), b.chat_id))

    async def close(self) -> None:
        """Nothing to release."""
