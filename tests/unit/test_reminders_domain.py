"""Whose cover ends soon and why (``domain.reminders``): each rule at its boundaries.

The pack's reminder days are 30, 7 and 0 (the last covered day itself). For each rule that
ends cover (a son turning 19 without a student certificate, a certificate reaching its end,
a daughter turning 19 without the birth certificate presented, the principal's own cover
period ending) the reminder is due exactly from 30 days before, then from 7, then on the
day itself, and never the day after or 31 days before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from eligibility_gw.domain.dates import anniversary
from eligibility_gw.domain.errors import RulePackError
from eligibility_gw.domain.model import CoverPeriod, Family, MaritalStatus, Person, Sex
from eligibility_gw.domain.reminders import (
    EndingRule,
    cover_ending,
    due_reminders,
    milestone,
    recipient,
)
from eligibility_gw.domain.rulepack import RulePack, parse_rule_pack
from eligibility_gw.rulepacks import load_rule_pack
from tests.unit.builders import birth_certificate, dependent, family, principal, student

TODAY = date(2026, 11, 23)
ONE = timedelta(days=1)
PRINCIPAL_PHONE = "+989121110001"
SON_PHONE = "+989121110077"
DAYS = (30, 7, 0)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    found = load_rule_pack("ir-tamin")
    assert found.reminder_days == DAYS
    return found


def _head(end: date = date(2030, 12, 31)) -> Person:
    return replace(principal(CoverPeriod(date(2020, 1, 1), end)), phone=PRINCIPAL_PHONE)


def son_turning_19_after(last_day: date, **kw: Any) -> Person:
    """A son whose 19th birthday is the day after ``last_day``."""
    first = last_day + ONE
    return dependent("child", first.replace(year=first.year - 19), Sex.MALE, **kw)


def daughter_turning_19_after(last_day: date, **kw: Any) -> Person:
    first = last_day + ONE
    return dependent(
        "child", first.replace(year=first.year - 19), Sex.FEMALE, national_id="2000000003", **kw
    )


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [(31, None), (30, 30), (29, 30), (8, 30), (7, 7), (1, 7), (0, 0), (-1, None)],
)
def test_milestones(days_left: int, expected: int | None) -> None:
    assert milestone(days_left, DAYS) == expected


def test_without_a_zero_day_the_last_day_falls_under_the_nearest() -> None:
    assert milestone(0, (30, 7)) == 7
    assert milestone(3, ()) is None


# Each rule at the boundaries: 31 / 30 / 8 / 7 / 1 / 0 days left, and the day after.
BOUNDARIES = [(31, None), (30, 30), (8, 30), (7, 7), (1, 7), (0, 0), (-1, None)]


@pytest.mark.parametrize(("days_left", "expected"), BOUNDARIES)
def test_son_turning_19_without_a_student_certificate(
    pack: RulePack, days_left: int, expected: int | None
) -> None:
    last_day = TODAY + timedelta(days=days_left)
    son = son_turning_19_after(last_day)
    found = due_reminders(family(_head(), son), TODAY, pack)
    if expected is None:
        assert found == []
        return
    [reminder] = found
    ending = reminder.ending
    assert (reminder.milestone, reminder.days_left) == (expected, days_left)
    assert ending.last_day == last_day and ending.first_uncovered == last_day + ONE
    assert ending.rule is EndingRule.AGE and ending.age_then == 19
    assert ending.reason.code == "STUDENT_CERTIFICATE_REQUIRED"
    assert ending.document == "student_certificate"
    assert reminder.phone == PRINCIPAL_PHONE  # he has none of his own


@pytest.mark.parametrize(("days_left", "expected"), BOUNDARIES)
def test_a_student_certificate_reaching_its_end(
    pack: RulePack, days_left: int, expected: int | None
) -> None:
    last_day = TODAY + timedelta(days=days_left)
    son = dependent("child", date(2005, 3, 1), Sex.MALE, documents=(student(last_day),))
    found = due_reminders(family(_head(), son), TODAY, pack)
    if expected is None:
        assert found == []
        return
    [reminder] = found
    assert reminder.milestone == expected
    assert reminder.ending.rule is EndingRule.DOCUMENT_ENDS
    assert reminder.ending.reason.code == "STUDENT_CERTIFICATE_EXPIRED"
    assert reminder.ending.last_day == last_day


@pytest.mark.parametrize(("days_left", "expected"), BOUNDARIES)
def test_daughter_turning_19_without_the_birth_certificate(
    pack: RulePack, days_left: int, expected: int | None
) -> None:
    last_day = TODAY + timedelta(days=days_left)
    daughter = daughter_turning_19_after(last_day)
    found = due_reminders(family(_head(), daughter), TODAY, pack)
    if expected is None:
        assert found == []
        return
    [reminder] = found
    assert reminder.milestone == expected
    assert reminder.ending.rule is EndingRule.AGE
    assert reminder.ending.reason.code == "BIRTH_CERTIFICATE_REQUIRED"
    assert reminder.ending.document == "birth_certificate"


@pytest.mark.parametrize(("days_left", "expected"), BOUNDARIES)
def test_the_principals_own_cover_period_ending(
    pack: RulePack, days_left: int, expected: int | None
) -> None:
    last_day = TODAY + timedelta(days=days_left)
    head = _head(last_day)
    spouse = dependent("spouse", date(1982, 1, 1), Sex.FEMALE, national_id="2000000009")
    found = due_reminders(family(head, spouse), TODAY, pack)
    if expected is None:
        assert found == []
        return
    # One message to the principal's phone: the spouse's cover ends with it, and she has
    # no phone of her own to be told on.
    [reminder] = found
    assert reminder.national_id == head.national_id
    assert reminder.milestone == expected
    assert reminder.ending.rule is EndingRule.COVER_PERIOD
    assert reminder.ending.reason.code == "OUTSIDE_COVER_PERIOD"
    assert reminder.ending.document is None


def test_a_dependent_with_a_phone_is_told_the_principals_cover_ends(pack: RulePack) -> None:
    last_day = TODAY + timedelta(days=7)
    son = replace(dependent("child", date(2012, 1, 1), Sex.MALE), phone=SON_PHONE)
    found = due_reminders(family(_head(last_day), son), TODAY, pack)
    assert [(r.phone, r.ending.rule) for r in found] == [
        (PRINCIPAL_PHONE, EndingRule.COVER_PERIOD),
        (SON_PHONE, EndingRule.WITH_PRINCIPAL),
    ]


def test_the_members_own_phone_comes_first(pack: RulePack) -> None:
    son = replace(son_turning_19_after(TODAY + timedelta(days=7)), phone=SON_PHONE)
    fam = family(_head(), son)
    assert recipient(son, fam) == SON_PHONE
    [reminder] = due_reminders(fam, TODAY, pack)
    assert reminder.phone == SON_PHONE


def test_nobody_to_tell_means_no_reminder(pack: RulePack) -> None:
    head = replace(_head(), phone=None)
    son = son_turning_19_after(TODAY + timedelta(days=7))
    assert due_reminders(family(head, son), TODAY, pack) == []


def test_a_lapsed_certificate_does_not_make_the_birthday_a_document_end(pack: RulePack) -> None:
    last_day = TODAY + timedelta(days=30)
    son = son_turning_19_after(last_day, documents=(student(TODAY - timedelta(days=100)),))
    [reminder] = due_reminders(family(_head(), son), TODAY, pack)
    assert reminder.ending.rule is EndingRule.AGE
    assert reminder.ending.reason.code == "STUDENT_CERTIFICATE_EXPIRED"


def test_a_valid_certificate_past_the_birthday_postpones_the_reminder(pack: RulePack) -> None:
    birthday_eve = TODAY + timedelta(days=7)
    cert_end = TODAY + timedelta(days=200)
    son = son_turning_19_after(birthday_eve, documents=(student(cert_end),))
    assert due_reminders(family(_head(), son), TODAY, pack) == []
    later = cert_end - timedelta(days=7)
    [reminder] = due_reminders(family(_head(), son), later, pack)
    assert (reminder.milestone, reminder.ending.rule) == (7, EndingRule.DOCUMENT_ENDS)


def test_cover_that_turns_undetermined_is_not_said_to_end(pack: RulePack) -> None:
    # Birth certificate presented, but her income is not on file: at 19 the answer is
    # "cannot determine", not "not covered". Nobody can be told cover ends.
    last_day = TODAY + timedelta(days=7)
    daughter = daughter_turning_19_after(
        last_day, documents=(birth_certificate(),), has_income=None
    )
    assert cover_ending(daughter, family(_head(), daughter), TODAY, pack, 30) is None


def test_a_married_daughter_is_told_why_with_no_document_to_send(pack: RulePack) -> None:
    last_day = TODAY + timedelta(days=7)
    daughter = daughter_turning_19_after(
        last_day, documents=(birth_certificate(),), marital=MaritalStatus.MARRIED
    )
    [reminder] = due_reminders(family(_head(), daughter), TODAY, pack)
    assert reminder.ending.rule is EndingRule.OTHER
    assert reminder.ending.reason.code == "MARRIED"
    assert reminder.ending.document is None


def test_members_not_covered_today_are_not_reminded(pack: RulePack) -> None:
    son = son_turning_19_after(TODAY - timedelta(days=3))
    assert due_reminders(family(_head(), son), TODAY, pack) == []


def test_leap_day_birthdays_end_cover_on_the_28th(pack: RulePack) -> None:
    son = dependent("child", date(2008, 2, 29), Sex.MALE)
    birthday = anniversary(son.birth_date or TODAY, 19)
    assert birthday == date(2027, 3, 1)
    [reminder] = due_reminders(family(_head(), son), date(2027, 2, 21), pack)
    assert reminder.ending.last_day == date(2027, 2, 28)
    assert reminder.milestone == 7


def test_a_pack_without_reminder_days_reminds_nobody(pack: RulePack) -> None:
    off = replace(pack, reminder_days=())
    son = son_turning_19_after(TODAY)
    assert due_reminders(family(_head(), son), TODAY, off) == []


def _pack_data(**extra: Any) -> dict[str, Any]:
    return {
        "pack": {"name": "t", "version": "1", **extra},
        "national_id": {
            "length": 10,
            "weights": [10, 9, 8, 7, 6, 5, 4, 3, 2],
            "modulus": 11,
            "remainder_to_digit": [0, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        },
        "relationships": {"principal": "self", "dependents": ["child"]},
    }


def test_reminder_days_are_read_largest_first() -> None:
    assert parse_rule_pack(_pack_data(reminder_days=[7, 0, 30])).reminder_days == (30, 7, 0)
    assert parse_rule_pack(_pack_data()).reminder_days == ()


@pytest.mark.parametrize(
    ("days", "problem"),
    [([7, -1], "negative"), ([7, 7], "twice"), (["7"], "integers"), ([True], "integers")],
)
def test_bad_reminder_days_are_refused(days: list[Any], problem: str) -> None:
    with pytest.raises(RulePackError, match=problem):
        parse_rule_pack(_pack_data(reminder_days=days))


def test_every_member_of_a_family_is_looked_at(pack: RulePack) -> None:
    son = son_turning_19_after(TODAY + timedelta(days=30))
    daughter = daughter_turning_19_after(TODAY + timedelta(days=7))
    found = due_reminders(Family(_head(), (son, daughter)), TODAY, pack)
    assert [(r.national_id, r.milestone) for r in found] == [
        (son.national_id, 30),
        (daughter.national_id, 7),
    ]
