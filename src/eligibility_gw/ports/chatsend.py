"""The port of chat messages sent outside a webhook: reminders and review outcomes by Telegram.

A chat's answers to its own updates go back inside the webhook; what the gateway says on its
own initiative (a reminder before cover ends, the outcome of a document's review) goes
through a ``ChatSender``, built by ``bootstrap`` when the Telegram channel has a bot token.
"""

from __future__ import annotations

from typing import Protocol


class ChatSendError(Exception):
    """A chat message could not be handed over (the chat is gone, the API failed)."""


class ChatSender(Protocol):
    """Send text messages to private chats."""

    async def send(self, chat_id: int, text: str) -> str:
        """Send one message; its id. ``ChatSendError`` when it cannot be sent."""

    async def close(self) -> None:
        """Release connections."""
