"""The port of outbound text messages: what the core sends (check notices, outcomes, reminders).

The Twilio adapter implements it (``adapters/twilio``); every message it hands over is kept in
``SmsRecords`` with its delivery status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SmsSendError(Exception):
    """An SMS could not be handed to the provider of the service."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class SmsNotConfigured(SmsSendError):
    """Outbound SMS has no account, token or sender configured."""


@dataclass(frozen=True, slots=True)
class SentSms:
    """A message the service accepted."""

    message_sid: str
    status: str
    attempts: int


class SmsSender(Protocol):
    """Send text messages to phones."""

    @property
    def ready(self) -> bool:
        """Say whether messages can be sent."""

    async def send(self, to: str, body: str, purpose: str, reference: str | None = None) -> SentSms:
        """Hand one SMS over, retrying transient failures; ``SmsSendError`` when it fails."""

    def send_later(self, to: str, body: str, purpose: str, reference: str | None = None) -> None:
        """Send in the background (no caller waits); failures are logged."""

    async def drain(self) -> None:
        """Wait for the messages queued with ``send_later``."""

    async def close(self) -> None:
        """Let queued messages go out (within their deadline), then release connections."""
