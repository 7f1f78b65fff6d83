"""Whose cover ends soon, because of which rule, and what would keep it: reminders' rules.

Built on ``decide()``: the cover end date it gives an eligible member is the last day of the
covered run (every birthday at a pack's age, certificate end and cover period end is one of
its change days), and the decision on the day after says why cover stops there, with the
document that would prevent it. A reminder goes out at each milestone of the pack's
``reminder_days`` (30, 7 and 0 days before the last covered day, say), once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from eligibility_gw.domain.dates import add_months, age_on, anniversary
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import (
    Decision,
    Family,
    Person,
    Reason,
    ServiceSetting,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack

#: Cover of a dependent that stops with the principal's own.
WITH_PRINCIPAL = "PRINCIPAL_NOT_COVERED"
#: The principal's own cover period reaching its end.
PERIOD_ENDS = "OUTSIDE_COVER_PERIOD"


class EndingRule(enum.StrEnum):
    """Why cover stops, as reminders word it."""

    #: A birthday at one of the pack's ages, without the document the new age needs.
    AGE = "age"
    #: A certificate (or another document with a validity) reaching its end.
    DOCUMENT_ENDS = "document_ends"
    #: The principal's own cover period reaching its end.
    COVER_PERIOD = "cover_period"
    #: The principal's cover ending takes the dependent's with it.
    WITH_PRINCIPAL = "with_principal"
    #: Any other rule of the pack (an age limit, say): the reason's own words.
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CoverEnding:
    """A member covered today whose cover stops after ``last_day``, and why."""

    member: Person
    last_day: date
    #: What the rules say on the first day without cover: the reason reminders name.
    reason: Reason
    rule: EndingRule
    #: The member's age in full years on the first day without cover (None: not known).
    age_then: int | None = None

    @property
    def first_uncovered(self) -> date:
        """The first day without cover."""
        return self.last_day + timedelta(days=1)

    @property
    def document(self) -> str | None:
        """The document kind that would keep cover going, if one would."""
        return self.reason.resolve_with


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder to send today: the ending, its milestone and the phone to tell."""

    ending: CoverEnding
    #: The milestone it stands for: one of the pack's ``reminder_days``.
    milestone: int
    #: Days from today to the last covered day (0: today is the last covered day).
    days_left: int
    #: The member's own phone on file, else the principal's.
    phone: str

    @property
    def national_id(self) -> str:
        """Whose cover it is about."""
        return self.ending.member.national_id


def milestone(days_left: int, reminder_days: tuple[int, ...]) -> int | None:
    """The milestone ``days_left`` falls under: the nearest reminder day at or beyond it.

    With days (30, 7, 0): 30 to 8 days left fall under 30, 7 to 1 under 7, the last covered
    day itself under 0; more than 30 days left, or a day already past, under none. A run
    missed on a milestone's own day still sends that milestone's reminder later.
    """
    if days_left < 0:
        return None
    reached = [d for d in reminder_days if d >= days_left]
    return min(reached) if reached else None


def rule_of(reason: Reason, last_day: date, birthday: bool) -> EndingRule:
    """The rule a reason on the day after ``last_day`` stands for.

    ``birthday``: the member reaches a new age on that day. A certificate that lapsed
    earlier is not what ends cover then: the birthday is.
    """
    if reason.code == PERIOD_ENDS:
        return EndingRule.COVER_PERIOD
    if reason.code == WITH_PRINCIPAL:
        return EndingRule.WITH_PRINCIPAL
    if reason.resolve_with and reason.code.endswith("_EXPIRED"):
        if reason.param("expired_on") == last_day.isoformat():
            return EndingRule.DOCUMENT_ENDS
        return EndingRule.AGE if birthday else EndingRule.OTHER
    if reason.resolve_with and reason.code.endswith("_REQUIRED") and birthday:
        return EndingRule.AGE
    return EndingRule.OTHER


def _why(decision: Decision) -> Reason | None:
    """The reason to name: the first blocking one that a document would put right, else the
    first blocking one."""
    blocking = [r for r in decision.reasons if r.blocking]
    if not blocking:
        return None
    return next((r for r in blocking if r.resolve_with), blocking[0])


def ending_of(
    member: Person,
    family: Family,
    today: Decision,
    after: Decision,
) -> CoverEnding | None:
    """The ending that ``today``'s decision (eligible, with its cover end) and the decision
    on the day after that end (not eligible) describe; None when they describe none."""
    if today.status is not Status.ELIGIBLE or today.cover_end is None:
        return None
    if after.status is not Status.NOT_ELIGIBLE:
        return None  # undetermined is not an end anyone can be told of
    reason = _why(after)
    if reason is None:
        return None
    last = today.cover_end
    first = last + timedelta(days=1)
    born = member.birth_date
    age = age_on(born, first) if born is not None and born <= first else None
    birthday = age is not None and born is not None and age != age_on(born, last)
    return CoverEnding(member, last, reason, rule_of(reason, last, birthday), age)


def cover_ending(
    member: Person, family: Family, today: date, pack: RulePack, horizon: int
) -> CoverEnding | None:
    """The member's cover ending within ``horizon`` days of ``today`` (on file), or None.

    None for a member not covered today, covered for longer, or whose cover would turn
    *undetermined* rather than end (a fact not on file: nobody can be told it ends).
    """
    now = decide(member, family, today, ServiceSetting.OUTPATIENT, pack)
    if now.status is not Status.ELIGIBLE or now.cover_end is None:
        return None
    if (now.cover_end - today).days > horizon:
        return None
    after = decide(
        member, family, now.cover_end + timedelta(days=1), ServiceSetting.OUTPATIENT, pack
    )
    return ending_of(member, family, now, after)


def recipient(member: Person, family: Family) -> str | None:
    """The phone a reminder about ``member`` goes to: their own, else the principal's."""
    return member.phone or family.principal.phone or None


def due(ending: CoverEnding, family: Family, today: date, pack: RulePack) -> DueReminder | None:
    """The reminder ``ending`` calls for today, or None (no milestone, no phone, or told
    already through the principal: a dependent whose cover stops only because the
    principal's does is named in the principal's own reminder, unless they have a phone)."""
    days_left = (ending.last_day - today).days
    step = milestone(days_left, pack.reminder_days)
    phone = recipient(ending.member, family)
    if step is None or phone is None:
        return None
    if ending.rule is EndingRule.WITH_PRINCIPAL and phone == family.principal.phone:
        return None
    return DueReminder(ending, step, days_left, phone)


@dataclass(frozen=True, slots=True)
class Horizon:
    """What may end someone's cover within a run's reach, as ranges a store can look up.

    A cover ends within the reach only where a fact changes in it: a principal's cover
    period ends, a document stops being valid, or a dependent reaches one of the pack's ages.
    The families holding such a fact are a superset of those with a reminder due; the rules
    decide on each of them.
    """

    #: Today, and the last day a covered run may end on to be reminded of.
    first: date
    last: date
    #: Birth-date ranges (inclusive) of dependents reaching a pack's age in the reach.
    births: tuple[tuple[date, date], ...]
    #: Issue-date ranges (inclusive) of documents of a kind valid for months from their issue
    #: (``valid_for_months``) whose validity ends in the reach: ``(kind, low, high)``.
    issued: tuple[tuple[str, date, date], ...] = ()


def horizon(today: date, pack: RulePack) -> Horizon | None:
    """The reach of a run on ``today`` under ``pack``; None when the pack reminds nobody."""
    if not pack.reminder_days:
        return None
    last = today + timedelta(days=pack.reminder_days[0])
    ages = sorted({a for rel in pack.dependent_relationships for a in pack.ages_of(rel)})
    # The first uncovered day is a birthday from today + 1 to last + 1. A day's slack on each
    # side takes 29 February (its birthdays fall on 1 March) in; the rules sort the rest out.
    slack = timedelta(days=2)
    births = tuple(
        (
            anniversary(today + timedelta(days=1), -age) - slack,
            anniversary(last + timedelta(days=1), -age) + slack,
        )
        for age in ages
    )
    issued = tuple(
        (
            kind.name,
            add_months(today, -kind.valid_for_months) - slack,
            add_months(last, -kind.valid_for_months) + slack,
        )
        for kind in pack.documents.values()
        if kind.valid_for_months is not None
    )
    return Horizon(today, last, births, issued)


def due_reminders(family: Family, today: date, pack: RulePack) -> list[DueReminder]:
    """Every reminder ``family`` calls for today, on the facts on file, principal first."""
    if not pack.reminder_days:
        return []
    horizon = pack.reminder_days[0]
    found: list[DueReminder] = []
    for member in family.members:
        ending = cover_ending(member, family, today, pack, horizon)
        if ending is None:
            continue
        reminder = due(ending, family, today, pack)
        if reminder is not None:
            found.append(reminder)
    return found
