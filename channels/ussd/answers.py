"""The last screen of a session: an answer, a verified code or a refusal, cut to the budget.

Words come from the shared catalogs (``status.*``, ``short.*``, reasons in their short form,
dates through ``Wording.date``), so an answer reads as it does by SMS. When the richest form
does not fit one screen, less important parts are dropped in a fixed order; the leanest form
(status and tracking code) always fits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from eligibility_gw.channels.ussd.screens import Budget, lines
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.model import MemberView, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.presenting import Audience, present
from eligibility_gw.wording import Wording


@dataclass(frozen=True, slots=True)
class Answered:
    """A logged answer, and what its audience may be shown about the member."""

    record: AnswerRecord
    audience: Audience
    member: MemberView | None = None


@dataclass(frozen=True, slots=True)
class Verified:
    """A recorded answer this phone received: only its status and date are shown."""

    record: AnswerRecord


@dataclass(frozen=True, slots=True)
class Refused:
    """The session ends with a message (a message id and its parameters)."""

    message: str
    params: Mapping[str, str] = field(default_factory=dict)


Outcome = Answered | Verified | Refused


def render_outcome(outcome: Outcome, w: Wording, pack: RulePack, budget: Budget) -> str:
    """The final screen for ``outcome``."""
    if isinstance(outcome, Refused):
        return w.t(outcome.message, **outcome.params)
    if isinstance(outcome, Verified):
        return _verified(outcome.record, w)
    for text in _answer_forms(outcome, w, pack):
        if budget.fits(text):
            return text
    raise AssertionError("the leanest answer form always fits")  # pragma: no cover


def _code(record: AnswerRecord, w: Wording) -> str:
    return w.t("short.label.code", code=w.digits(record.tracking_code.grouped()))


def _short_status(status: Status, w: Wording) -> str:
    return w.t(f"short.status.{status.value}")


def _verified(record: AnswerRecord, w: Wording) -> str:
    return w.t(
        "ussd.verify.result",
        code=w.digits(record.tracking_code.grouped()),
        status=_short_status(record.status, w),
        date=w.date(record.draft.service_date),
    )


def _answer_forms(a: Answered, w: Wording, pack: RulePack) -> Iterator[str]:
    """Every form of the answer, richest first, ending with one that always fits."""
    shown = present(a.record, w, pack, a.audience, a.member)
    status = shown.status
    code = _code(a.record, w)
    if a.audience is Audience.PROVIDER:
        who = (
            w.t("ussd.member", name=shown.member_name, relationship=shown.relationship_text)
            if shown.member_name and shown.relationship_text
            else None
        )
    else:
        who = a.member.given_name if a.member else None
    # An eligible answer carries notices only (decided on documents on file): shown too.
    reasons = a.record.reasons
    words = [w.reason(r, short=True) for r in reasons]
    resolve = w.t("short.resolve") if any(r.resolve_with for r in reasons) else None
    why_forms: list[str | None] = []
    for chosen in (words, words[:1]):
        if chosen and resolve:
            why_forms.append("; ".join([*chosen, resolve]))
        if chosen:
            why_forms.append("; ".join(chosen))
    why_forms.append(None)

    def stated(text: str) -> str:
        if a.audience is Audience.PROVIDER:
            return w.t("ussd.answer.on", status=text, date=shown.service_date_text)
        if shown.cover_end_text:
            return f"{text} {w.t('short.label.until', date=shown.cover_end_text)}"
        return text

    statuses = (stated(shown.status_text), stated(_short_status(status, w)))
    # Why matters more than who: the name is dropped before the reason is cut.
    for why in dict.fromkeys(why_forms):
        for person in (who, None) if who else (None,):
            for said in statuses:
                if person and a.audience is not Audience.PROVIDER:
                    yield lines(f"{person}: {said}", why, code)
                else:
                    yield lines(person, said, why, code)
    yield lines(_short_status(status, w), code)
