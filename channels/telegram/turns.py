"""What the bot says in answer to one update: its messages, keyboards and button note."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

ReplyMarkup = ReplyKeyboardMarkup | InlineKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send, with the keyboard to show under it."""

    text: str
    markup: ReplyMarkup | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """How one update is answered, and what happened (for the log)."""

    outcome: str
    messages: tuple[Outgoing, ...] = ()
    #: The short note a tapped button shows (callback queries only).
    notice: str | None = None
    #: New buttons for the message whose button was tapped (paging).
    new_buttons: InlineKeyboardMarkup | None = None
    tracking_codes: tuple[str, ...] = field(default_factory=tuple)
