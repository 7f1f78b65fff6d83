"""Reading what the bot said: tracking codes, answer records, expected shared wording."""

from __future__ import annotations

from collections.abc import Sequence

from eligibility_gw.adapters.sqlite import SqliteStore
from eligibility_gw.appkeys import CORE
from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.telegram.keyboards import Action, menu_label
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.model import Decision, ServiceSetting
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.wording import Wording
from tests.channels.telegram.support import CODE, Client


def core_of(client: Client) -> Core:
    """The running gateway's core."""
    return client.app[CORE]


def codes_in(text: str) -> list[str]:
    """The tracking codes a text quotes, as ASCII digits."""
    return [ascii_digits(c).replace("-", "") for c in CODE.findall(text)]


async def record_of(client: Client, text: str) -> AnswerRecord:
    """The logged answer whose (one) tracking code ``text`` quotes."""
    [code] = codes_in(text)
    record = await core_of(client).service.recorded(TrackingCode(code))
    assert record is not None
    return record


async def logged_answers(client: Client) -> int:
    """How many answers the log holds."""
    store = core_of(client).store
    assert isinstance(store, SqliteStore)
    await store.answers.drain()  # answers are written by group commit
    return (await store.answers.verify()).rows


async def expected_decision(client: Client, national_id: str) -> Decision:
    """What the rules say today about ``national_id`` (decided directly, not logged)."""
    core = core_of(client)
    family = await core.store.registry.find_family(national_id)
    assert family is not None
    person = family.member(national_id)
    assert person is not None
    return decide(person, family, core.settings.today(), ServiceSetting.OUTPATIENT, core.pack)


def shared_wording(client: Client, w: Wording, decision: Decision) -> list[str]:
    """The shared texts every channel shows for ``decision``: status, reasons, what to bring."""
    pack = core_of(client).pack
    parts = [w.status(decision.status)]
    for reason in decision.reasons:
        parts.append(w.reason(reason))
        document = pack.documents.get(reason.resolve_with) if reason.resolve_with else None
        resolve = w.resolve(reason, document.issued_by if document else None)
        if resolve:
            parts.append(resolve)
    return parts


def labels(w: Wording, actions: Sequence[Action]) -> list[str]:
    """Menu labels in ``w``'s language."""
    return [menu_label(w, a) for a in actions]
