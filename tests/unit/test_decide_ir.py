"""decide() under ir-tamin: every rule at its boundaries, cover end dates, overlap policy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from eligibility_gw.domain.dates import anniversary
from eligibility_gw.domain.decide import OVERLAP, decide
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    Document,
    Family,
    MaritalStatus,
    Person,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack
from tests.unit.builders import (
    COVER,
    birth_certificate,
    dependent,
    family,
    principal,
    student,
)

OUT = ServiceSetting.OUTPATIENT
IN = ServiceSetting.INPATIENT
ONE = timedelta(days=1)
DAY = date(2026, 11, 23)
#: A son or daughter who turns 19 on DAY.
BORN_19_ON_DAY = date(2007, 11, 23)


def _decide(
    pack: RulePack,
    person: Person,
    fam: Family | None = None,
    day: date = DAY,
    setting: ServiceSetting = OUT,
) -> Decision:
    fam = fam or family(principal(), person)
    return decide(person, fam, day, setting, pack)


def _codes(d: Decision) -> list[str]:
    return [r.code for r in d.reasons]


# --- the principal ----------------------------------------------------------------------------

PERIOD = CoverPeriod(date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("day", "status", "cover_end", "params"),
    [
        (date(2025, 12, 31), Status.NOT_ELIGIBLE, None, (("starts_on", "2026-01-01"),)),
        (date(2026, 1, 1), Status.ELIGIBLE, date(2026, 12, 31), None),
        (date(2026, 6, 15), Status.ELIGIBLE, date(2026, 12, 31), None),
        (date(2026, 12, 31), Status.ELIGIBLE, date(2026, 12, 31), None),
        (date(2027, 1, 1), Status.NOT_ELIGIBLE, None, (("ended_on", "2026-12-31"),)),
    ],
)
def test_principal_at_the_edges_of_the_cover_period(
    ir_pack: RulePack,
    day: date,
    status: Status,
    cover_end: date | None,
    params: tuple[tuple[str, str], ...] | None,
) -> None:
    head = principal(PERIOD)
    d = decide(head, family(head), day, OUT, ir_pack)
    assert d.status is status
    assert d.cover_end == cover_end
    assert (d.rule_pack, d.rule_pack_version) == ("ir-tamin", "2026.1")
    if params is None:
        assert d.reasons == ()
    else:
        assert d.reasons == (Reason("OUTSIDE_COVER_PERIOD", params=params),)
        assert d.reasons[0].blocking
        assert d.reasons[0].resolve_with is None


def test_cover_ending_today_counts_all_day(ir_pack: RulePack) -> None:
    head = principal(CoverPeriod(date(2025, 11, 24), DAY))
    d = decide(head, family(head), DAY, OUT, ir_pack)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == DAY


def test_contiguous_periods_join(ir_pack: RulePack) -> None:
    head = principal(
        CoverPeriod(date(2026, 7, 1), date(2026, 12, 31)),  # registry order need not be sorted
        CoverPeriod(date(2026, 1, 1), date(2026, 6, 30)),
        CoverPeriod(date(2027, 1, 1), date(2027, 3, 31)),
    )
    for day in (date(2026, 1, 1), date(2026, 6, 30), date(2026, 7, 1), date(2027, 3, 31)):
        d = decide(head, family(head), day, OUT, ir_pack)
        assert d.status is Status.ELIGIBLE
        assert d.cover_end == date(2027, 3, 31)


def test_a_gap_ends_cover(ir_pack: RulePack) -> None:
    head = principal(
        CoverPeriod(date(2026, 1, 1), date(2026, 6, 30)),
        CoverPeriod(date(2026, 7, 2), date(2026, 12, 31)),
    )
    fam = family(head)
    assert decide(head, fam, date(2026, 3, 1), OUT, ir_pack).cover_end == date(2026, 6, 30)
    gap = decide(head, fam, date(2026, 7, 1), OUT, ir_pack)
    assert gap.status is Status.NOT_ELIGIBLE
    assert gap.cover_end is None
    assert gap.reasons == (
        Reason(
            "OUTSIDE_COVER_PERIOD", params=(("ended_on", "2026-06-30"), ("starts_on", "2026-07-02"))
        ),
    )
    after = decide(head, fam, date(2026, 7, 2), OUT, ir_pack)
    assert after.cover_end == date(2026, 12, 31)


def test_overlapping_periods_count_once(ir_pack: RulePack) -> None:
    head = principal(
        CoverPeriod(date(2026, 1, 1), date(2026, 9, 30)),
        CoverPeriod(date(2026, 3, 1), date(2027, 2, 28)),
    )
    d = decide(head, family(head), date(2026, 2, 1), OUT, ir_pack)
    assert d.cover_end == date(2027, 2, 28)


def test_outside_reason_names_the_latest_end_and_the_nearest_start(ir_pack: RulePack) -> None:
    head = principal(
        CoverPeriod(date(2024, 1, 1), date(2024, 12, 31)),
        CoverPeriod(date(2025, 1, 1), date(2025, 6, 30)),
        CoverPeriod(date(2027, 1, 1), date(2027, 12, 31)),
        CoverPeriod(date(2028, 1, 1), date(2028, 12, 31)),
    )
    d = decide(head, family(head), DAY, OUT, ir_pack)
    assert d.reasons[0].param("ended_on") == "2025-06-30"
    assert d.reasons[0].param("starts_on") == "2027-01-01"


def test_principal_without_any_period(ir_pack: RulePack) -> None:
    head = Person("1000000001", "A", "B", date(1980, 1, 1), Sex.MALE, "self")
    d = decide(head, family(head), DAY, OUT, ir_pack)
    assert d.status is Status.NOT_ELIGIBLE
    assert d.reasons == (Reason("OUTSIDE_COVER_PERIOD"),)


# --- dependents follow the principal ------------------------------------------------------------


@pytest.mark.parametrize(
    "member",
    [
        dependent("spouse", date(1982, 1, 1), Sex.FEMALE, marital=MaritalStatus.MARRIED),
        dependent("spouse", date(1982, 1, 1), Sex.FEMALE, has_income=True),
        dependent("child", date(2015, 1, 1)),
        dependent("child", BORN_19_ON_DAY, Sex.FEMALE),
        dependent("parent", date(1950, 1, 1)),
    ],
)
def test_dependents_only_while_the_principal_is_covered(ir_pack: RulePack, member: Person) -> None:
    head = principal(PERIOD)
    fam = family(head, member)
    outside = decide(member, fam, date(2027, 1, 1), OUT, ir_pack)
    assert outside.status is Status.NOT_ELIGIBLE
    assert outside.reasons == (Reason("PRINCIPAL_NOT_COVERED"),)
    assert outside.cover_end is None
    before = decide(member, fam, date(2025, 12, 31), OUT, ir_pack)
    assert before.reasons == (Reason("PRINCIPAL_NOT_COVERED"),)
    inside = decide(member, fam, date(2026, 12, 31), OUT, ir_pack)
    assert "PRINCIPAL_NOT_COVERED" not in _codes(inside)
    if inside.status is Status.ELIGIBLE:
        assert inside.cover_end == date(2026, 12, 31)


def test_a_dependents_own_cover_periods_are_not_read(ir_pack: RulePack) -> None:
    head = principal(PERIOD)
    spouse = Person(
        "2000000002",
        "S",
        "P",
        date(1982, 1, 1),
        Sex.FEMALE,
        "spouse",
        principal_id=head.national_id,
        has_income=False,
        cover_periods=(CoverPeriod(date(2020, 1, 1), date(2030, 12, 31)),),
    )
    fam = family(head, spouse)
    assert decide(spouse, fam, date(2027, 1, 1), OUT, ir_pack).status is Status.NOT_ELIGIBLE
    assert decide(spouse, fam, DAY, OUT, ir_pack).cover_end == date(2026, 12, 31)


# --- sons ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "documents", "status", "codes", "cover_end"),
    [
        # the day before his 19th birthday: no condition yet; cover ends that same day
        (DAY - ONE, (), Status.ELIGIBLE, [], DAY - ONE),
        # a certificate running past the birthday carries cover to its end
        (DAY - ONE, (student(date(2027, 6, 30)),), Status.ELIGIBLE, [], date(2027, 6, 30)),
        # on the birthday
        (DAY, (), Status.NOT_ELIGIBLE, ["STUDENT_CERTIFICATE_REQUIRED"], None),
        (DAY, (student(date(2027, 6, 30)),), Status.ELIGIBLE, [], date(2027, 6, 30)),
        (DAY, (student(DAY),), Status.ELIGIBLE, [], DAY),
        (DAY, (student(DAY - ONE),), Status.NOT_ELIGIBLE, ["STUDENT_CERTIFICATE_EXPIRED"], None),
        # the day after
        (DAY + ONE, (), Status.NOT_ELIGIBLE, ["STUDENT_CERTIFICATE_REQUIRED"], None),
        (DAY + ONE, (student(date(2027, 6, 30)),), Status.ELIGIBLE, [], date(2027, 6, 30)),
    ],
)
def test_son_around_his_nineteenth_birthday(
    ir_pack: RulePack,
    day: date,
    documents: tuple[Document, ...],
    status: Status,
    codes: list[str],
    cover_end: date | None,
) -> None:
    son = dependent("child", BORN_19_ON_DAY, Sex.MALE, documents=documents)
    d = _decide(ir_pack, son, day=day)
    assert d.status is status
    assert _codes(d) == codes
    assert d.cover_end == cover_end


def test_missing_student_certificate_says_what_to_bring(ir_pack: RulePack) -> None:
    son = dependent("child", date(2005, 3, 1))
    d = _decide(ir_pack, son)
    assert d.reasons == (
        Reason("STUDENT_CERTIFICATE_REQUIRED", resolve_with="student_certificate"),
    )


def test_student_certificate_expired_yesterday(ir_pack: RulePack) -> None:
    son = dependent("child", date(2005, 3, 1), documents=(student(DAY - ONE),))
    d = _decide(ir_pack, son)
    assert d.status is Status.NOT_ELIGIBLE
    assert d.reasons == (
        Reason(
            "STUDENT_CERTIFICATE_EXPIRED",
            resolve_with="student_certificate",
            params=(("expired_on", "2026-11-22"),),
        ),
    )


def test_expired_names_the_latest_of_several_lapsed_certificates(ir_pack: RulePack) -> None:
    docs = (student(date(2025, 6, 30)), student(date(2026, 6, 30)), student(date(2024, 6, 30)))
    d = _decide(ir_pack, dependent("child", date(2005, 3, 1), documents=docs))
    assert d.reasons[0].param("expired_on") == "2026-06-30"


def test_one_valid_certificate_among_lapsed_ones_is_enough(ir_pack: RulePack) -> None:
    docs = (student(date(2025, 6, 30)), student(date(2027, 6, 30)))
    d = _decide(ir_pack, dependent("child", date(2005, 3, 1), documents=docs))
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == date(2027, 6, 30)


def test_certificate_valid_only_from_a_later_day_does_not_count_yet(ir_pack: RulePack) -> None:
    cert = student(date(2027, 6, 30), valid_from=DAY + ONE)
    son = dependent("child", date(2005, 3, 1), documents=(cert,))
    assert _codes(_decide(ir_pack, son)) == ["STUDENT_CERTIFICATE_REQUIRED"]
    later = _decide(ir_pack, son, day=DAY + ONE)
    assert later.status is Status.ELIGIBLE
    assert later.cover_end == date(2027, 6, 30)


def test_a_certificate_of_another_kind_does_not_count(ir_pack: RulePack) -> None:
    son = dependent("child", date(2005, 3, 1), documents=(birth_certificate(),))
    assert _codes(_decide(ir_pack, son)) == ["STUDENT_CERTIFICATE_REQUIRED"]


@pytest.mark.parametrize("age", [19, 25, 40])
def test_disabled_son_is_covered_without_a_certificate(ir_pack: RulePack, age: int) -> None:
    son = dependent("child", anniversary(DAY, -age), disabled=True)
    d = _decide(ir_pack, son)
    assert d.status is Status.ELIGIBLE
    assert d.reasons == ()
    assert d.cover_end == COVER.end


def test_disability_unknown_counts_as_not_disabled(ir_pack: RulePack) -> None:
    son = dependent("child", date(2001, 1, 1), disabled=None)
    assert _codes(_decide(ir_pack, son)) == ["STUDENT_CERTIFICATE_REQUIRED"]


def test_son_has_no_income_or_marriage_condition(ir_pack: RulePack) -> None:
    son = dependent(
        "child",
        date(2003, 1, 1),
        marital=MaritalStatus.MARRIED,
        has_income=True,
        documents=(student(date(2027, 1, 31)),),
    )
    assert _decide(ir_pack, son).status is Status.ELIGIBLE


@pytest.mark.parametrize(
    ("documents", "cover_end"),
    [
        ((), date(2027, 3, 9)),  # the day before his 19th birthday (2027-03-10)
        ((student(date(2027, 9, 30)),), date(2027, 9, 30)),  # the certificate's end
        ((student(date(2027, 1, 31)),), date(2027, 3, 9)),  # lapses before the birthday
        ((student(date(2030, 9, 30)),), COVER.end),  # never after the principal's cover
    ],
)
def test_cover_end_of_a_son_of_eighteen(
    ir_pack: RulePack, documents: tuple[Document, ...], cover_end: date
) -> None:
    son = dependent("child", date(2008, 3, 10), documents=documents)
    d = _decide(ir_pack, son)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == cover_end


def test_cover_end_follows_a_renewed_certificate(ir_pack: RulePack) -> None:
    docs = (student(date(2026, 12, 31)), student(date(2027, 6, 30), valid_from=date(2027, 1, 1)))
    d = _decide(ir_pack, dependent("child", date(2005, 3, 1), documents=docs))
    assert d.cover_end == date(2027, 6, 30)
    gap = (student(date(2026, 12, 31)), student(date(2027, 6, 30), valid_from=date(2027, 1, 2)))
    d = _decide(ir_pack, dependent("child", date(2005, 3, 1), documents=gap))
    assert d.cover_end == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("day", "status", "cover_end"),
    [
        (date(2027, 2, 28), Status.ELIGIBLE, date(2027, 2, 28)),
        (date(2027, 3, 1), Status.NOT_ELIGIBLE, None),
        (date(2026, 3, 1), Status.ELIGIBLE, date(2027, 2, 28)),
    ],
)
def test_son_born_on_29_february_turns_19_on_1_march(
    ir_pack: RulePack, day: date, status: Status, cover_end: date | None
) -> None:
    son = dependent("child", date(2008, 2, 29))
    d = _decide(ir_pack, son, day=day)
    assert d.status is status
    assert d.cover_end == cover_end


def test_daughter_born_on_29_february(ir_pack: RulePack) -> None:
    # Born 2004-02-29, she turns 19 on 2023-03-01 (2023 has no 29 February).
    head = principal(CoverPeriod(date(2020, 1, 1), date(2030, 12, 31)))
    daughter = dependent("child", date(2004, 2, 29), Sex.FEMALE)
    fam = family(head, daughter)
    assert decide(daughter, fam, date(2023, 2, 28), OUT, ir_pack).status is Status.ELIGIBLE
    assert decide(daughter, fam, date(2023, 1, 1), OUT, ir_pack).cover_end == date(2023, 2, 28)
    after = decide(daughter, fam, date(2023, 3, 1), OUT, ir_pack)
    assert after.status is Status.NOT_ELIGIBLE
    assert _codes(after) == ["BIRTH_CERTIFICATE_REQUIRED"]


# --- daughters ----------------------------------------------------------------------------------

BC = (birth_certificate(),)


@pytest.mark.parametrize(
    ("day", "documents", "marital", "income", "status", "codes"),
    [
        # before 19: no condition at all
        (DAY - ONE, (), MaritalStatus.MARRIED, True, Status.ELIGIBLE, []),
        (DAY - ONE, (), None, None, Status.ELIGIBLE, []),
        # from 19: birth certificate, unmarried, no income
        (DAY, BC, MaritalStatus.SINGLE, False, Status.ELIGIBLE, []),
        (DAY, BC, MaritalStatus.DIVORCED, False, Status.ELIGIBLE, []),
        (DAY, BC, MaritalStatus.WIDOWED, False, Status.ELIGIBLE, []),
        (DAY, (), MaritalStatus.SINGLE, False, Status.NOT_ELIGIBLE, ["BIRTH_CERTIFICATE_REQUIRED"]),
        (DAY, BC, MaritalStatus.MARRIED, False, Status.NOT_ELIGIBLE, ["MARRIED"]),
        (DAY, BC, MaritalStatus.SINGLE, True, Status.NOT_ELIGIBLE, ["HAS_INCOME"]),
        (DAY, BC, None, False, Status.UNDETERMINED, ["MARITAL_STATUS_UNKNOWN"]),
        (DAY, BC, MaritalStatus.SINGLE, None, Status.UNDETERMINED, ["INCOME_UNKNOWN"]),
        (
            DAY,
            BC,
            None,
            None,
            Status.UNDETERMINED,
            ["MARITAL_STATUS_UNKNOWN", "INCOME_UNKNOWN"],
        ),
        # a failed condition outweighs unknown ones, which are still listed
        (DAY, BC, MaritalStatus.MARRIED, None, Status.NOT_ELIGIBLE, ["MARRIED", "INCOME_UNKNOWN"]),
        (
            DAY + ONE,
            (),
            MaritalStatus.MARRIED,
            True,
            Status.NOT_ELIGIBLE,
            ["BIRTH_CERTIFICATE_REQUIRED", "MARRIED", "HAS_INCOME"],
        ),
    ],
)
def test_daughter_from_nineteen(
    ir_pack: RulePack,
    day: date,
    documents: tuple[Document, ...],
    marital: MaritalStatus | None,
    income: bool | None,
    status: Status,
    codes: list[str],
) -> None:
    daughter = dependent(
        "child",
        BORN_19_ON_DAY,
        Sex.FEMALE,
        marital=marital,
        has_income=income,
        documents=documents,
    )
    d = _decide(ir_pack, daughter, day=day)
    assert d.status is status
    assert _codes(d) == codes
    assert (d.cover_end is not None) == (status is Status.ELIGIBLE)


def test_daughter_reasons_say_what_resolves_them(ir_pack: RulePack) -> None:
    daughter = dependent("child", date(2004, 1, 1), Sex.FEMALE, marital=None, has_income=None)
    d = _decide(ir_pack, daughter)
    assert {r.code: r.resolve_with for r in d.reasons} == {
        "BIRTH_CERTIFICATE_REQUIRED": "birth_certificate",
        "MARITAL_STATUS_UNKNOWN": "birth_certificate",
        "INCOME_UNKNOWN": "income_declaration",
    }


def test_daughter_cover_ends_the_day_before_19_without_a_birth_certificate(
    ir_pack: RulePack,
) -> None:
    young = dependent("child", date(2008, 5, 5), Sex.FEMALE)
    assert _decide(ir_pack, young).cover_end == date(2027, 5, 4)
    seen = dependent("child", date(2008, 5, 5), Sex.FEMALE, documents=BC)
    assert _decide(ir_pack, seen).cover_end == COVER.end
    married = dependent(
        "child", date(2008, 5, 5), Sex.FEMALE, documents=BC, marital=MaritalStatus.MARRIED
    )
    assert _decide(ir_pack, married).cover_end == date(2027, 5, 4)


def test_child_of_unknown_sex_has_no_sex_specific_rule(ir_pack: RulePack) -> None:
    child = dependent("child", date(2000, 1, 1), None)
    assert _decide(ir_pack, child).status is Status.ELIGIBLE


# --- spouse and parents -------------------------------------------------------------------------


@pytest.mark.parametrize("relationship", ["spouse", "parent"])
@pytest.mark.parametrize(
    ("income", "status", "reasons"),
    [
        (False, Status.ELIGIBLE, ()),
        (True, Status.NOT_ELIGIBLE, (Reason("HAS_INCOME"),)),
        (
            None,
            Status.UNDETERMINED,
            (Reason("INCOME_UNKNOWN", resolve_with="income_declaration"),),
        ),
    ],
)
def test_spouse_and_parent_need_no_income(
    ir_pack: RulePack,
    relationship: str,
    income: bool | None,
    status: Status,
    reasons: tuple[Reason, ...],
) -> None:
    member = dependent(relationship, date(1955, 4, 4), Sex.FEMALE, has_income=income)
    d = _decide(ir_pack, member)
    assert d.status is status
    assert d.reasons == reasons
    assert d.cover_end == (COVER.end if status is Status.ELIGIBLE else None)


def test_relationship_not_in_the_pack(ir_pack: RulePack) -> None:
    member = dependent("grandparent", date(1940, 1, 1))
    d = _decide(ir_pack, member)
    assert d.status is Status.NOT_ELIGIBLE
    assert d.reasons == (
        Reason("RELATIONSHIP_NOT_COVERED", params=(("relationship", "grandparent"),)),
    )


def test_birth_date_unknown_is_undetermined(ir_pack: RulePack) -> None:
    d = _decide(ir_pack, dependent("child", None))
    assert d.status is Status.UNDETERMINED
    assert d.reasons == (Reason("BIRTH_DATE_UNKNOWN", resolve_with="birth_certificate"),)
    assert d.cover_end is None


def test_a_date_before_birth(ir_pack: RulePack) -> None:
    baby = dependent("child", DAY + ONE)
    d = _decide(ir_pack, baby)
    assert d.status is Status.NOT_ELIGIBLE
    assert _codes(d) == ["NOT_BORN_ON_DATE"]
    assert _decide(ir_pack, baby, day=DAY + ONE).status is Status.ELIGIBLE


# --- inpatient overlap (policy "undetermined") --------------------------------------------------


def test_inpatient_with_another_insurer_is_undetermined(ir_pack: RulePack) -> None:
    mother = dependent("parent", date(1950, 1, 1), Sex.FEMALE, other_insurer="IHIO")
    d = _decide(ir_pack, mother, setting=IN)
    assert d.status is Status.UNDETERMINED
    assert d.cover_end is None
    assert d.reasons == (
        Reason(
            OVERLAP,
            resolve_with="overlap_resolution",
            params=(("insurer", "IHIO"),),
            blocking=True,
        ),
    )
    assert OVERLAP == "OVERLAP_WITH_OTHER_INSURER"


def test_outpatient_ignores_another_insurer(ir_pack: RulePack) -> None:
    mother = dependent("parent", date(1950, 1, 1), Sex.FEMALE, other_insurer="IHIO")
    d = _decide(ir_pack, mother, setting=OUT)
    assert d.status is Status.ELIGIBLE
    assert d.reasons == ()
    assert d.cover_end == COVER.end


def test_inpatient_overlap_adds_to_a_refusal_without_changing_it(ir_pack: RulePack) -> None:
    father = dependent("parent", date(1950, 1, 1), has_income=True, other_insurer="IHIO")
    d = _decide(ir_pack, father, setting=IN)
    assert d.status is Status.NOT_ELIGIBLE
    assert _codes(d) == ["HAS_INCOME", OVERLAP]


def test_inpatient_overlap_of_the_principal(ir_pack: RulePack) -> None:
    head = principal(other_insurer="Armed Forces")
    d = decide(head, family(head), DAY, IN, ir_pack)
    assert d.status is Status.UNDETERMINED
    assert d.reasons[0].param("insurer") == "Armed Forces"


def test_inpatient_without_another_insurer(ir_pack: RulePack) -> None:
    for other in (None, ""):
        mother = dependent("parent", date(1950, 1, 1), Sex.FEMALE, other_insurer=other)
        d = _decide(ir_pack, mother, setting=IN)
        assert d.status is Status.ELIGIBLE
        assert d.reasons == ()
