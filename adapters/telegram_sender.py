"""Telegram messages sent outside a webhook (reminders, review outcomes): the ``ChatSender``.

A bare python-telegram-bot ``Bot`` on the channel's Bot API address, initialised (``getMe``)
on first use and shut down with the gateway. Its errors never reach a log as text: an
``InvalidToken``'s message holds the token.
"""

from __future__ import annotations

import asyncio
import logging

import structlog
from telegram import Bot
from telegram.error import TelegramError

from eligibility_gw.ports.chatsend import ChatSendError

log = structlog.get_logger(__name__)


class TelegramChatSender:
    """Send private chat messages through the Bot API (the core's ``ChatSender``)."""

    def __init__(self, token: str, api_base_url: str, timeout: float = 10.0) -> None:
        self._bot = Bot(token, base_url=api_base_url)
        self._timeout = timeout
        self._lock = asyncio.Lock()
        self._started = False

    async def _start(self) -> None:
        async with self._lock:
            if not self._started:
                # httpx logs each request's URL at INFO, and a Bot API URL holds the token.
                httpx_log = logging.getLogger("httpx")
                httpx_log.setLevel(max(logging.WARNING, httpx_log.level))
                await self._bot.initialize()
                self._started = True

    async def send(self, chat_id: int, text: str) -> str:
        """Send one message; its id. ``ChatSendError`` when it cannot be sent."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._start()
                message = await self._bot.send_message(chat_id, text)
        except (TelegramError, TimeoutError) as exc:
            log.warning("telegram_send_failed", error=type(exc).__name__)
            raise ChatSendError(type(exc).__name__) from exc
        return str(message.message_id)

    async def close(self) -> None:
        """Close the Bot API client's connections."""
        try:
            await self._bot.shutdown()
        except TelegramError as exc:  # closing: nothing left to tell anyone
            log.warning("telegram_sender_close_failed", error=type(exc).__name__)
