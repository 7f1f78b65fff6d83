"""The other seed countries' schemes, decided: age limits, categories, privileges, documents
valid for months from their issue, settings that ask for them, and every boundary day."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest

from eligibility_gw.domain.dates import add_months, anniversary
from eligibility_gw.domain.decide import CATEGORY_AGE_LIMIT, decide, document_end
from eligibility_gw.domain.errors import RulePackError
from eligibility_gw.domain.model import (
    CoverPeriod,
    Document,
    Person,
    PrivilegeOnFile,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.national_id import NationalIdScheme
from eligibility_gw.domain.provider import Provider, ProviderKind, is_stale, stale_from
from eligibility_gw.domain.rulepack import parse_rule_pack
from eligibility_gw.policy.standing import inactive, is_stale_now, standing
from eligibility_gw.rulepacks import load_rule_pack
from tests.unit.builders import dependent, family, principal

TODAY = date(2026, 11, 23)
ONE = timedelta(days=1)
OUT = ServiceSetting.OUTPATIENT
SANATORIUM = ServiceSetting.SANATORIUM
PL = load_rule_pack("pl-nfz")
RO = load_rule_pack("ro-cnas")
RU = load_rule_pack("ru-oms")
BR = load_rule_pack("br-sus")
WIDE = CoverPeriod(date(2000, 1, 1), date(2040, 12, 31))


def _child(birth: date, *documents: Document, category: str | None = None) -> Person:
    return replace(dependent("child", birth, Sex.MALE, documents=documents), category=category)


def _codes(d: object) -> list[str]:
    return [r.code for r in d.reasons]  # type: ignore[attr-defined]


# --- age limits: the day before, of and after --------------------------------------------


@pytest.mark.parametrize(
    ("offset", "status", "codes"),
    [
        (-1, Status.ELIGIBLE, []),
        (0, Status.NOT_ELIGIBLE, ["SCHOOL_CERTIFICATE_REQUIRED"]),
        (1, Status.NOT_ELIGIBLE, ["SCHOOL_CERTIFICATE_REQUIRED"]),
    ],
)
def test_pl_a_child_is_covered_until_18(offset: int, status: Status, codes: list[str]) -> None:
    birth = anniversary(TODAY, -18)  # 18 today
    child = _child(birth)
    d = decide(child, family(principal(WIDE), child), TODAY + offset * ONE, OUT, PL)
    assert (d.status, _codes(d)) == (status, codes)
    if status is Status.ELIGIBLE:
        assert d.cover_end == TODAY - ONE


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-1, Status.ELIGIBLE), (0, Status.NOT_ELIGIBLE), (1, Status.NOT_ELIGIBLE)],
)
def test_pl_a_pupil_is_covered_until_26(offset: int, status: Status) -> None:
    school = Document("school_certificate", None, date(2030, 6, 30))
    child = _child(anniversary(TODAY, -26), school)
    d = decide(child, family(principal(WIDE), child), TODAY + offset * ONE, OUT, PL)
    assert d.status is status
    if status is Status.ELIGIBLE:
        assert d.cover_end == TODAY - ONE  # the certificate runs on; the age limit ends cover
    else:
        assert _codes(d) == ["DISABILITY_CERTIFICATE_REQUIRED"]


def test_pl_a_significant_disability_has_no_age_limit() -> None:
    child = _child(date(1990, 1, 1), Document("disability_certificate"))
    d = decide(child, family(principal(WIDE), child), TODAY, OUT, PL)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == WIDE.end


def test_pl_ascendants_need_a_common_household() -> None:
    head = principal(WIDE)
    parent = dependent("parent", date(1950, 1, 1))
    grand = dependent("grandparent", date(1930, 1, 1), national_id="2000000003")
    spouse = dependent("spouse", date(1980, 1, 1), national_id="2000000004")
    declared = replace(parent, documents=(Document("common_household_declaration"),))
    fam = family(head, parent, grand, spouse)
    assert _codes(decide(parent, fam, TODAY, OUT, PL)) == ["COMMON_HOUSEHOLD_DECLARATION_REQUIRED"]
    assert _codes(decide(grand, fam, TODAY, OUT, PL)) == ["COMMON_HOUSEHOLD_DECLARATION_REQUIRED"]
    assert decide(declared, family(head, declared), TODAY, OUT, PL).status is Status.ELIGIBLE
    assert decide(spouse, fam, TODAY, OUT, PL).status is Status.ELIGIBLE


# --- categories ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-1, Status.ELIGIBLE), (0, Status.NOT_ELIGIBLE), (1, Status.NOT_ELIGIBLE)],
)
def test_ro_category_01_ends_at_18(offset: int, status: Status) -> None:
    student = Document("student_certificate", None, date(2030, 6, 30))
    child = _child(anniversary(TODAY, -18), student, category="01")
    d = decide(child, family(principal(WIDE), child), TODAY + offset * ONE, OUT, RO)
    assert d.status is status
    assert d.category == "01"
    if status is Status.ELIGIBLE:
        assert d.cover_end == TODAY - ONE  # the category's band ends cover too
    else:
        (reason,) = d.reasons
        assert reason.code == CATEGORY_AGE_LIMIT
        assert reason.resolve_with == "category_update"
        assert dict(reason.params) == {"category": "01", "to_age": "18"}


def test_ro_category_07_is_met_like_its_conditions() -> None:
    student = Document("student_certificate", None, date(2030, 6, 30))
    ok = _child(date(2005, 1, 1), student, category="07")
    assert decide(ok, family(principal(WIDE), ok), TODAY, OUT, RO).status is Status.ELIGIBLE
    earning = replace(ok, has_income=True)
    d = decide(earning, family(principal(WIDE), earning), TODAY, OUT, RO)
    assert (d.status, _codes(d)) == (Status.NOT_ELIGIBLE, ["HAS_INCOME"])


def test_ro_a_principal_category_needs_its_proof() -> None:
    head = replace(principal(WIDE), category="05")
    d = decide(head, family(head), TODAY, OUT, RO)
    assert (d.status, _codes(d)) == (Status.NOT_ELIGIBLE, ["DISABILITY_PENSION_DECISION_REQUIRED"])
    issued = TODAY - timedelta(days=40)
    proved = replace(head, documents=(Document("disability_pension_decision", issued),))
    d = decide(proved, family(proved), TODAY, OUT, RO)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == add_months(issued, 12)  # the proof ends before the cover period
    employee = replace(principal(WIDE), category="03")
    assert decide(employee, family(employee), TODAY, OUT, RO).cover_end == WIDE.end


def test_category_codes_read_alike_padded_or_not() -> None:
    assert [RO.category_code(t) for t in ("7", "07", "007", " 7 ")] == ["07"] * 4
    assert RO.category_code("2") is None
    assert RO.category_code("x") is None
    assert PL.category_code("1") is None  # no categories


# --- documents valid for months from their issue -----------------------------------------


def _ivan(*documents: Document, privileges: tuple[PrivilegeOnFile, ...] = ()) -> Person:
    return replace(principal(WIDE), documents=documents, privileges=privileges)


SOCIAL = (PrivilegeOnFile("social_services_set"),)


@pytest.mark.parametrize(
    ("issued", "status", "end"),
    [
        (add_months(TODAY, -6), Status.ELIGIBLE, TODAY),  # 6 months ago today: its last day
        (add_months(TODAY, -6) - ONE, Status.NOT_ELIGIBLE, None),  # and yesterday: lapsed
        (TODAY, Status.ELIGIBLE, add_months(TODAY, 6)),
        (TODAY - timedelta(days=30), Status.ELIGIBLE, add_months(TODAY - timedelta(days=30), 6)),
    ],
)
def test_ru_a_referral_counts_six_months_from_its_issue(
    issued: date, status: Status, end: date | None
) -> None:
    ivan = _ivan(Document("sanatorium_referral", issued), privileges=SOCIAL)
    d = decide(ivan, family(ivan), TODAY, SANATORIUM, RU)
    assert d.status is status
    assert d.cover_end == end
    if status is Status.NOT_ELIGIBLE:
        (reason,) = d.reasons
        assert reason.code == "SANATORIUM_REFERRAL_EXPIRED"
        assert dict(reason.params) == {"expired_on": (TODAY - ONE).isoformat()}
        assert d.cover_ended == TODAY - ONE
    # The outpatient answer never asks for the referral.
    assert decide(ivan, family(ivan), TODAY, OUT, RU).status is Status.ELIGIBLE


def test_a_valid_until_before_the_months_ends_the_document_first() -> None:
    early = Document("sanatorium_referral", TODAY - ONE, TODAY + timedelta(days=10))
    assert document_end(early, RU) == TODAY + timedelta(days=10)
    undated = Document("sanatorium_referral")
    assert document_end(undated, RU) is None


def test_ru_sanatorium_needs_the_benefit_too() -> None:
    referral = Document("sanatorium_referral", TODAY - ONE)
    without = _ivan(referral)
    d = decide(without, family(without), TODAY, SANATORIUM, RU)
    assert _codes(d) == ["PRIVILEGE_REQUIRED"]
    assert d.reasons[0].resolve_with == "social_services_certificate"
    lapsed = _ivan(referral, privileges=(PrivilegeOnFile("social_services_set", TODAY - ONE),))
    d = decide(lapsed, family(lapsed), TODAY, SANATORIUM, RU)
    assert _codes(d) == ["PRIVILEGE_EXPIRED"]
    assert dict(d.reasons[0].params)["expired_on"] == (TODAY - ONE).isoformat()
    ending = _ivan(referral, privileges=(PrivilegeOnFile("social_services_set", TODAY + ONE),))
    assert decide(ending, family(ending), TODAY, SANATORIUM, RU).cover_end == TODAY + ONE


# --- privileges on the answer --------------------------------------------------------------


def test_the_answer_carries_the_privileges_that_hold_on_the_date() -> None:
    held = (
        PrivilegeOnFile("honorary_blood_donor", TODAY),
        PrivilegeOnFile("war_invalid", TODAY - ONE),
    )
    jan = replace(principal(WIDE), privileges=held)
    assert decide(jan, family(jan), TODAY, OUT, PL).privileges == held[:1]
    assert decide(jan, family(jan), TODAY + ONE, OUT, PL).privileges == ()
    assert decide(jan, family(jan), TODAY - ONE, OUT, PL).privileges == held


# --- universal cover, and an id of a given format -----------------------------------------


def test_br_universal_cover_has_no_end_for_a_cns() -> None:
    forever = CoverPeriod(date(2016, 1, 1), date.max)
    ids = BR.national_id
    assert isinstance(ids, NationalIdScheme)
    cns = replace(principal(forever), national_id=ids.sample_of("cns", 1, 1))
    d = decide(cns, family(cns), TODAY, OUT, BR)
    assert (d.status, d.cover_end) == (Status.ELIGIBLE, None)
    assert BR.national_id.format_of(cns.national_id) == "cns"
    cpf = replace(cns, national_id="39053344705")
    d = decide(cpf, family(cpf), TODAY, OUT, BR)
    assert (d.status, _codes(d)) == (Status.NOT_ELIGIBLE, ["CNS_REQUIRED"])
    assert d.reasons[0].resolve_with == "cns_registration"
    ended = replace(cns, cover_periods=(CoverPeriod(date(2016, 1, 1), TODAY - ONE),))
    d = decide(ended, family(ended), TODAY, OUT, BR)
    assert (d.status, d.cover_ended) == (Status.NOT_ELIGIBLE, TODAY - ONE)


# --- stale providers: the day before, of and after ---------------------------------------


TODAY_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _clinic(last: date | None) -> Provider:
    return Provider("2345678", "UBS", ProviderKind.CLINIC, None, True, TODAY_AT, last_updated=last)


@pytest.mark.parametrize(
    ("day", "stale"),
    [(date(2026, 11, 29), False), (date(2026, 11, 30), False), (date(2026, 12, 1), True)],
)
def test_a_provider_is_stale_from_the_day_after_its_data_turns_six_months(
    day: date, stale: bool
) -> None:
    clinic = _clinic(date(2026, 5, 31))  # 31 May + 6 months: 30 November, clamped
    assert stale_from(clinic, 6) == date(2026, 12, 1)
    assert is_stale(clinic, 6, day) is stale
    stood = standing(clinic, 6, day)
    assert (stood.active, is_stale_now(stood)) == (not stale, stale)
    if stale:
        refusal = inactive(stood, 6)
        assert refusal.params == {
            "problem": "stale",
            "last_updated": date(2026, 5, 31),
            "months": 6,
        }


def test_a_provider_without_data_or_a_pack_without_a_period_is_never_stale() -> None:
    assert not is_stale(_clinic(None), 6, date(2099, 1, 1))
    assert not is_stale(_clinic(date(2000, 1, 1)), None, date(2099, 1, 1))
    off = replace(_clinic(date(2000, 1, 1)), active=False)
    assert standing(off, None, TODAY) is off
    assert inactive(off, None).params == {}


# --- rule packs that do not hold together are refused --------------------------------------


def _shipped(name: str) -> dict[str, Any]:
    text = resources.files("eligibility_gw.config").joinpath("rules", f"{name}.toml")
    return tomllib.loads(text.read_text("utf-8"))


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return mutate


@pytest.mark.parametrize(
    ("pack", "mutate", "message"),
    [
        ("ro-cnas", _set("category.0.relationships", ["cousin"]), "must list the pack's"),
        ("ro-cnas", _set("category.1.code", "01"), "code 01 is listed twice"),
        ("ro-cnas", _set("category.3.require", ["pension_papers"]), "unknown condition"),
        ("ro-cnas", _set("category.0.colour", "red"), "unknown key(s) colour"),
        ("ru-oms", _set("documents.sanatorium_referral.valid_for_months", 0), "must be positive"),
        ("ru-oms", _set("privileges.social_services_set.document", "card"), "unknown document"),
        ("ru-oms", _set("setting.sanatorium.require", ["x"]), "unknown condition"),
        ("ru-oms", _set("setting.spa", {"require": ["sanatorium_referral"]}), "unknown service"),
        ("pl-nfz", _set("setting", {"inpatient": {"require": ["war_invalid"]}}), None),
        ("br-sus", _set("coverage.0.require", ["id:rg"]), "unknown condition"),
        ("br-sus", _set("providers.id_pattern", "[0-9"), "not a regular expression"),
        ("br-sus", _set("providers.stale_after_months", -1), "must be positive"),
        ("br-sus", _set("national_id.format.1.leading_digits", [1, 2]), "digits as strings"),
        ("pl-nfz", _set("national_id.stdnum", "xx.nothing"), "python-stdnum has no"),
        ("pl-nfz", _set("national_id.example", "44051401358"), "is not valid"),
    ],
)
def test_inconsistent_scheme_packs_are_refused(
    pack: str, mutate: Callable[[dict[str, Any]], None], message: str | None
) -> None:
    data = copy.deepcopy(_shipped(pack))
    parse_rule_pack(data)
    mutate(data)
    if message is None:  # a privilege may be a setting's condition: accepted
        parsed = parse_rule_pack(data)
        assert ServiceSetting.INPATIENT in parsed.setting_rules
        return
    with pytest.raises(RulePackError) as info:
        parse_rule_pack(data)
    assert message in str(info.value)
