"""Texts the bot sends: a disclosed answer laid out from the shared presentation, cut to
Telegram's size.

An answer reads like every other channel's: the status, for the person's own family when
cover ends (or when it ended), each reason with the document that would put it right, and
the tracking code, all worded by ``eligibility_gw.wording`` (``label.*``, ``status.*``,
``reason.*``, ``resolve.*``). What a reader may be told is the ``Disclosure``'s to say: a
provider's holds no date of the member's, so none can be shown.
"""

from __future__ import annotations

from telegram.constants import MessageLimit

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.presenting import PresentedAnswer, present
from eligibility_gw.textbudget import ucs2_length
from eligibility_gw.wording import Wording

#: Telegram counts a message's length in UTF-16 code units.
MAX_TEXT: int = MessageLimit.MAX_TEXT_LENGTH
_BREAKS = ("\n\n", "\n", " ")


def layout(p: PresentedAnswer, w: Wording) -> str:
    """One answer as labelled lines."""
    lines = []
    if p.member_name:
        who = p.member_name
        lines.append(f"{who} ({p.relationship_text})" if p.relationship_text else who)
    lines.append(p.status_text)
    if p.category_text:
        named = f"{w.digits(p.category or '')} {p.category_name or ''}".rstrip()
        lines.append(f"{w.t('label.category')}: {named}")
    for held in p.privileges:
        name = f"{held.name} ({held.marker})" if held.marker else held.name
        until = f" {w.t('label.privilege_until', date=held.until_text)}" if held.until_text else ""
        lines.append(f"{w.t('label.privilege')}: {name}{until}")
        if held.instruction:
            lines.append(held.instruction)
    if p.cover_end_text:
        lines.append(f"{w.t('label.cover_end')}: {p.cover_end_text}")
    if p.cover_ended_text:
        lines.append(f"{w.t('label.cover_ended')}: {p.cover_ended_text}")
    lines.append(f"{w.t('label.service_date')}: {p.service_date_text}")
    resolves: list[str] = []
    for r in p.reasons:
        lines.append(f"{w.t('label.reasons')}: {r.message}")
        if r.resolve and r.resolve not in resolves:
            resolves.append(r.resolve)
    lines.extend(f"{w.t('label.resolve')}: {text}" for text in resolves)
    lines.append(f"{w.t('label.tracking_code')}: {w.digits(p.tracking_code)}")
    return "\n".join(lines)


def answer_text(shown: Disclosure, w: Wording, pack: RulePack) -> str:
    """An answer as its reader may read it (new, or given earlier under a tracking code)."""
    return layout(present(shown, w, pack), w)


def text_length(text: str) -> int:
    """A text's length as Telegram counts it (UTF-16 code units)."""
    return ucs2_length(text)


def _longest_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def split_message(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into messages Telegram accepts: between answers, lines or words if it can."""
    if limit < 2:
        raise ValueError("limit must hold any one character (2 units)")
    parts: list[str] = []
    rest = text.strip()
    while text_length(rest) > limit:
        fits = _longest_prefix(rest, limit)  # at least 1: any character takes 2 units or less
        head = rest[:fits]
        cut = next((head.rfind(b) for b in _BREAKS if head.rfind(b) > 0), fits)
        piece = rest[:cut].rstrip()
        if piece:
            parts.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
