"""What the portal shows of an answer: the card and a history row, from the provider's view.

The core hands the portal a ``Disclosure`` in the provider's view (a masked name, no date of
the member's); this module only words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.presenting import PresentedAnswer, present
from eligibility_gw.wording import Wording


def moment_text(moment: datetime, w: Wording, tz: ZoneInfo) -> str:
    """A moment as its reader writes it, in the gateway's time zone (date and minutes)."""
    local = moment.astimezone(tz)
    return f"{w.date(local.date())} {w.digits(local.strftime('%H:%M'))}"


def asked_through(shown: Disclosure) -> str | None:
    """The channel the provider asked through (None for an answer that does not say)."""
    return shown.channel or None


def channel_text(channel: str | None, w: Wording) -> str | None:
    """The channel an inquiry came through, in words when there are words for it."""
    if channel is None:
        return None
    key = f"portal.channel.{channel}"
    return w.t(key) if w.has(key) else channel


@dataclass(frozen=True, slots=True)
class AnswerCard:
    """One answer as a provider reads it on the portal."""

    shown: PresentedAnswer
    code_digits: str
    asked_at: str
    setting: str
    #: The channel in words; None while the core does not say.
    channel: str | None
    #: The documents the counter should ask the person for, in words.
    ask_for: tuple[str, ...]


def answer_card(shown: Disclosure, w: Wording, pack: RulePack, tz: ZoneInfo) -> AnswerCard:
    """Word ``shown`` for the provider that asked."""
    documents = tuple(dict.fromkeys(w.document(kind) for kind in shown.documents_to_bring))
    return AnswerCard(
        shown=present(shown, w, pack),
        code_digits=shown.tracking_code.digits,
        asked_at=moment_text(shown.asked_at, w, tz),
        setting=w.t(f"portal.setting.{shown.setting.value}"),
        channel=channel_text(asked_through(shown), w),
        ask_for=documents,
    )
