"""Which language each phone reads: the port of the language preference store.

A person chooses a language on one channel (SMS ``LANG ro``, the USSD language menu, the
Telegram language buttons) and is answered in it on every channel that knows their phone.
Only the phone (E.164), the language, the channel it was chosen on and when are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LanguagePreference:
    """The language a phone chose, on which channel, and when."""

    phone: str
    language: str
    channel: str
    chosen_at: datetime


class LanguagePreferences(Protocol):
    """Where preferences are kept, one per phone."""

    async def get(self, phone: str) -> LanguagePreference | None:
        """The phone's preference, or None when it chose none."""

    async def set(self, preference: LanguagePreference) -> None:
        """Keep the preference, replacing the phone's earlier one."""

    async def forget(self, phone: str) -> bool:
        """Remove the phone's preference; say whether there was one."""

    async def close(self) -> None:
        """Release connections."""
