"""decide() under ro-cnas: the age bands of children, dependants without income, "flag"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from eligibility_gw.domain.dates import anniversary
from eligibility_gw.domain.decide import OVERLAP, decide
from eligibility_gw.domain.model import (
    Decision,
    Document,
    MaritalStatus,
    Person,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.rulepack import OverlapPolicy, RulePack
from tests.unit.builders import COVER, dependent, family, principal, student

OUT = ServiceSetting.OUTPATIENT
IN = ServiceSetting.INPATIENT
ONE = timedelta(days=1)
DAY = date(2026, 11, 23)
CERT = (student(date(2027, 6, 30)),)


def _decide(
    pack: RulePack, person: Person, day: date = DAY, setting: ServiceSetting = OUT
) -> Decision:
    return decide(person, family(principal(), person), day, setting, pack)


def _born(years: int, days: int = 0) -> date:
    """Born so as to be ``years`` old on DAY, plus ``days`` later."""
    return anniversary(DAY, -years) + timedelta(days=days)


def _codes(d: Decision) -> list[str]:
    return [r.code for r in d.reasons]


def test_pack_settings(ro_pack: RulePack) -> None:
    assert ro_pack.inpatient_overlap is OverlapPolicy.FLAG
    assert ro_pack.ages_of("child") == (18, 26)
    assert ro_pack.ages_of("spouse") == ()
    assert ro_pack.dependent_relationships == ("spouse", "child", "parent", "grandparent")


@pytest.mark.parametrize("sex", [Sex.MALE, Sex.FEMALE])
def test_child_of_seventeen_is_covered_with_no_condition(ro_pack: RulePack, sex: Sex) -> None:
    child = dependent(
        "child",
        _born(17, days=-100),
        sex,
        marital=MaritalStatus.MARRIED,
        has_income=True,
        disabled=None,
    )
    d = _decide(ro_pack, child)
    assert d.status is Status.ELIGIBLE
    assert d.reasons == ()
    # born 2009-08-15: cover ends the day before the 18th birthday
    assert child.birth_date == date(2009, 8, 15)
    assert d.cover_end == date(2027, 8, 14)


@pytest.mark.parametrize(
    ("day", "documents", "income", "status", "codes", "cover_end"),
    [
        (DAY - ONE, (), False, Status.ELIGIBLE, [], DAY - ONE),
        (DAY - ONE, (), True, Status.ELIGIBLE, [], DAY - ONE),
        (DAY - ONE, CERT, False, Status.ELIGIBLE, [], date(2027, 6, 30)),
        (DAY - ONE, CERT, True, Status.ELIGIBLE, [], DAY - ONE),
        (DAY, (), False, Status.NOT_ELIGIBLE, ["STUDENT_CERTIFICATE_REQUIRED"], None),
        (DAY, CERT, False, Status.ELIGIBLE, [], date(2027, 6, 30)),
        (DAY, CERT, True, Status.NOT_ELIGIBLE, ["HAS_INCOME"], None),
        (DAY, CERT, None, Status.UNDETERMINED, ["INCOME_UNKNOWN"], None),
        (
            DAY,
            (),
            None,
            Status.NOT_ELIGIBLE,
            ["STUDENT_CERTIFICATE_REQUIRED", "INCOME_UNKNOWN"],
            None,
        ),
        (
            DAY,
            (student(DAY - ONE),),
            False,
            Status.NOT_ELIGIBLE,
            ["STUDENT_CERTIFICATE_EXPIRED"],
            None,
        ),
        (DAY + ONE, (), False, Status.NOT_ELIGIBLE, ["STUDENT_CERTIFICATE_REQUIRED"], None),
    ],
)
def test_child_around_the_eighteenth_birthday(
    ro_pack: RulePack,
    day: date,
    documents: tuple[Document, ...],
    income: bool | None,
    status: Status,
    codes: list[str],
    cover_end: date | None,
) -> None:
    child = dependent("child", _born(18), Sex.FEMALE, has_income=income, documents=documents)
    d = _decide(ro_pack, child, day=day)
    assert d.status is status
    assert _codes(d) == codes
    assert d.cover_end == cover_end


@pytest.mark.parametrize("age", [18, 21, 25])
def test_student_of_18_to_25_without_income(ro_pack: RulePack, age: int) -> None:
    child = dependent("child", _born(age, days=-10), documents=CERT)
    d = _decide(ro_pack, child)
    assert d.status is Status.ELIGIBLE
    eve_of_26 = anniversary(child.birth_date or DAY, 26) - ONE
    assert d.cover_end == min(date(2027, 6, 30), eve_of_26)
    if age == 25:
        assert d.cover_end == date(2027, 6, 30)


def test_student_turning_26_before_the_certificate_ends(ro_pack: RulePack) -> None:
    child = dependent("child", date(2001, 1, 10), documents=CERT)
    assert _decide(ro_pack, child).cover_end == date(2027, 1, 9)


@pytest.mark.parametrize("age", [18, 22, 25])
def test_student_with_income(ro_pack: RulePack, age: int) -> None:
    child = dependent("child", _born(age), has_income=True, documents=CERT)
    d = _decide(ro_pack, child)
    assert d.status is Status.NOT_ELIGIBLE
    assert d.reasons == (Reason("HAS_INCOME"),)


def test_daughter_of_twenty_needs_no_birth_certificate_here(ro_pack: RulePack) -> None:
    daughter = dependent("child", _born(20), Sex.FEMALE, marital=None, documents=CERT)
    assert _decide(ro_pack, daughter).status is Status.ELIGIBLE
    without = dependent("child", _born(20), Sex.FEMALE)
    d = _decide(ro_pack, without)
    assert d.reasons == (
        Reason("STUDENT_CERTIFICATE_REQUIRED", resolve_with="student_certificate"),
    )


@pytest.mark.parametrize(
    ("day", "status", "codes", "cover_end"),
    [
        (DAY - ONE, Status.ELIGIBLE, [], DAY - ONE),
        (DAY, Status.NOT_ELIGIBLE, ["AGE_LIMIT_REACHED"], None),
        (DAY + ONE, Status.NOT_ELIGIBLE, ["AGE_LIMIT_REACHED"], None),
    ],
)
def test_student_around_the_twenty_sixth_birthday(
    ro_pack: RulePack, day: date, status: Status, codes: list[str], cover_end: date | None
) -> None:
    child = dependent("child", _born(26), documents=(student(date(2028, 6, 30)),))
    d = _decide(ro_pack, child, day=day)
    assert d.status is status
    assert _codes(d) == codes
    assert d.cover_end == cover_end
    if codes:
        assert d.reasons[0].param("age") == "26"
        assert d.reasons[0].resolve_with is None


@pytest.mark.parametrize(
    ("disabled", "income", "status", "codes"),
    [
        (True, False, Status.ELIGIBLE, []),
        (True, True, Status.NOT_ELIGIBLE, ["HAS_INCOME"]),
        (True, None, Status.UNDETERMINED, ["INCOME_UNKNOWN"]),
        (False, False, Status.NOT_ELIGIBLE, ["AGE_LIMIT_REACHED"]),
        (None, False, Status.NOT_ELIGIBLE, ["AGE_LIMIT_REACHED"]),
        (False, True, Status.NOT_ELIGIBLE, ["AGE_LIMIT_REACHED", "HAS_INCOME"]),
    ],
)
@pytest.mark.parametrize("age", [26, 30, 60])
def test_from_twenty_six_only_disabled_without_income(
    ro_pack: RulePack,
    age: int,
    disabled: bool | None,
    income: bool | None,
    status: Status,
    codes: list[str],
) -> None:
    child = dependent("child", _born(age), disabled=disabled, has_income=income)
    d = _decide(ro_pack, child)
    assert d.status is status
    assert _codes(d) == codes
    assert d.cover_end == (COVER.end if status is Status.ELIGIBLE else None)


def test_disabled_child_is_covered_from_18_on_without_a_break(ro_pack: RulePack) -> None:
    child = dependent("child", date(2009, 1, 10), disabled=True)
    d = _decide(ro_pack, child)
    assert d.cover_end == COVER.end
    # under the 18-26 band through its second alternative
    adult = dependent("child", _born(20), disabled=True)
    assert _decide(ro_pack, adult).status is Status.ELIGIBLE


@pytest.mark.parametrize("relationship", ["spouse", "parent", "grandparent"])
@pytest.mark.parametrize(
    ("income", "status", "codes"),
    [
        (False, Status.ELIGIBLE, []),
        (True, Status.NOT_ELIGIBLE, ["HAS_INCOME"]),
        (None, Status.UNDETERMINED, ["INCOME_UNKNOWN"]),
    ],
)
def test_dependants_without_income(
    ro_pack: RulePack, relationship: str, income: bool | None, status: Status, codes: list[str]
) -> None:
    member = dependent(relationship, date(1944, 2, 2), Sex.FEMALE, has_income=income)
    d = _decide(ro_pack, member)
    assert d.status is status
    assert _codes(d) == codes


@pytest.mark.parametrize("relationship", ["sibling", "cousin", "self-employed", "SPOUSE"])
def test_relationship_not_in_the_pack(ro_pack: RulePack, relationship: str) -> None:
    member = dependent(relationship, date(1990, 1, 1))
    d = _decide(ro_pack, member)
    assert d.status is Status.NOT_ELIGIBLE
    assert d.reasons == (
        Reason("RELATIONSHIP_NOT_COVERED", params=(("relationship", relationship),)),
    )


def test_child_born_on_29_february_turns_18_on_1_march(ro_pack: RulePack) -> None:
    child = dependent("child", date(2008, 2, 29))
    assert _decide(ro_pack, child, day=date(2025, 12, 1)).cover_end == date(2026, 2, 28)
    assert _decide(ro_pack, child, day=date(2026, 2, 28)).status is Status.ELIGIBLE
    assert _codes(_decide(ro_pack, child, day=date(2026, 3, 1))) == ["STUDENT_CERTIFICATE_REQUIRED"]


# --- inpatient overlap (policy "flag") ----------------------------------------------------------


def test_inpatient_overlap_is_flagged_not_blocking(ro_pack: RulePack) -> None:
    wife = dependent("spouse", date(1984, 1, 1), Sex.FEMALE, other_insurer="PRIVATE-X")
    d = _decide(ro_pack, wife, setting=IN)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == COVER.end
    assert d.reasons == (
        Reason(
            OVERLAP,
            resolve_with="overlap_resolution",
            params=(("insurer", "PRIVATE-X"),),
            blocking=False,
        ),
    )


def test_flag_does_not_turn_a_refusal_into_anything_else(ro_pack: RulePack) -> None:
    wife = dependent("spouse", date(1984, 1, 1), has_income=None, other_insurer="X")
    d = _decide(ro_pack, wife, setting=IN)
    assert d.status is Status.UNDETERMINED
    assert [(r.code, r.blocking) for r in d.reasons] == [
        ("INCOME_UNKNOWN", True),
        (OVERLAP, False),
    ]


def test_outpatient_overlap_is_not_mentioned(ro_pack: RulePack) -> None:
    wife = dependent("spouse", date(1984, 1, 1), Sex.FEMALE, other_insurer="PRIVATE-X")
    d = _decide(ro_pack, wife, setting=OUT)
    assert d.reasons == ()
