"""Reading what the bot said: tracking codes, logged answers, the expected shared wording."""

from __future__ import annotations

from collections.abc import Sequence

from eligibility_gw.channels.telegram.keyboards import Action, menu_label
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.model import Decision
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import undated
from eligibility_gw.presenting import resolve_text
from eligibility_gw.wording import Wording
from tests.channels.telegram.support import CODE, TelegramGateway

#: Whoever reads the log and the registry in these tests (nothing it asks is logged).
OPERATOR = Asker.for_operator("telegram-tests")


def codes_in(text: str) -> list[str]:
    """The tracking codes a text quotes, as ASCII digits."""
    return [ascii_digits(c).replace("-", "") for c in CODE.findall(text)]


async def record_of(tg: TelegramGateway, text: str) -> AnswerRecord:
    """The logged answer whose (one) tracking code ``text`` quotes."""
    [code] = codes_in(text)
    record = await tg.test.store.answers.find(TrackingCode(code))
    assert record is not None
    return record


async def logged_answers(tg: TelegramGateway) -> int:
    """How many answers the log holds."""
    return await tg.test.answers()


async def expected_decision(tg: TelegramGateway, national_id: str) -> Decision:
    """What the rules say today about ``national_id`` (the staff preview: not logged)."""
    family = await tg.inquiries.family_of(OPERATOR, national_id)
    assert family is not None
    [status] = [
        s.decision
        for s in await tg.inquiries.preview(OPERATOR, family)
        if s.person.national_id == national_id
    ]
    return status


def shared_wording(
    tg: TelegramGateway, w: Wording, decision: Decision, provider: bool = False
) -> list[str]:
    """The shared texts every channel shows for ``decision``: status, reasons, what to bring.

    ``provider``: as a provider reads them, without the member's dates.
    """
    pack = tg.test.gateway.pack
    parts = [w.status(decision.status)]
    for reason in decision.reasons:
        shown = undated(reason) if provider else reason
        parts.append(w.reason(shown))
        resolve = resolve_text(w, pack, shown)
        if resolve:
            parts.append(resolve)
    return parts


def labels(w: Wording, actions: Sequence[Action]) -> list[str]:
    """Menu labels in ``w``'s language."""
    return [menu_label(w, a) for a in actions]


def worded(text: str, w: Wording, key: str) -> bool:
    """Say whether ``text`` is message ``key`` with some number of minutes (1 to 99)."""
    return text in {w.n(key, m, minutes=w.digits(str(m))) for m in range(1, 100)}
