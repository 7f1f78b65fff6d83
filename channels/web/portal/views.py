"""What the portal shows of a recorded answer: the card and a history row, provider's view only.

Everything about the member goes through ``present(..., Audience.PROVIDER)``: a masked name,
never the cover end date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from eligibility_gw.bootstrap import Core
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.presenting import Audience, PresentedAnswer, present
from eligibility_gw.wording import Wording


def moment_text(moment: datetime, w: Wording, tz: ZoneInfo) -> str:
    """A moment as its reader writes it, in the gateway's time zone (date and minutes)."""
    local = moment.astimezone(tz)
    return f"{w.date(local.date())} {w.digits(local.strftime('%H:%M'))}"


def channel_text(channel: str, w: Wording) -> str:
    """The channel an inquiry came through, in words when there are words for it."""
    key = f"portal.channel.{channel}"
    return w.t(key) if w.has(key) else channel


@dataclass(frozen=True, slots=True)
class AnswerCard:
    """One answer as a provider reads it on the portal."""

    shown: PresentedAnswer
    code_digits: str
    asked_at: str
    setting: str
    channel: str
    #: The documents the counter should ask the person for, in words.
    ask_for: tuple[str, ...]


def answer_card(record: AnswerRecord, w: Wording, core: Core) -> AnswerCard:
    """Word ``record`` for the provider that asked."""
    shown = present(record, w, core.pack, Audience.PROVIDER)
    documents = tuple(
        dict.fromkeys(w.document(r.resolve_with) for r in shown.reasons if r.resolve_with)
    )
    return AnswerCard(
        shown=shown,
        code_digits=record.tracking_code.digits,
        asked_at=moment_text(record.created_at, w, core.settings.tz),
        setting=w.t(f"portal.setting.{record.draft.setting.value}"),
        channel=channel_text(record.draft.channel, w),
        ask_for=documents,
    )
