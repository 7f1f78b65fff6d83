"""decide() with live evidence: registry facts override the file; a silent registry falls back
to documents on file (marked) where the pack allows it, and is undetermined where it does not."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest

from eligibility_gw.domain.decide import decide, evidence_needed
from eligibility_gw.domain.errors import RulePackError
from eligibility_gw.domain.evidence import (
    EVIDENCE_ON_FILE,
    CivilRecord,
    Evidence,
    EvidenceKind,
    StudentRecord,
    StudyCertificate,
)
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    MaritalStatus,
    Person,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack, parse_rule_pack
from eligibility_gw.rulepacks import load_rule_pack
from tests.unit.builders import birth_certificate, dependent, family, principal, student

OUT = ServiceSetting.OUTPATIENT
DAY = date(2026, 11, 23)
#: 20 on DAY: past ir-tamin's 19, inside ro-cnas' 18 to 26.
BORN_20 = date(2006, 5, 1)
STUDENT = EvidenceKind.STUDENT
CIVIL = EvidenceKind.CIVIL
DOWN_STUDENT = Evidence(unavailable=frozenset({STUDENT}))
DOWN_CIVIL = Evidence(unavailable=frozenset({CIVIL}))
ON_FILE_STUDENT = Reason(EVIDENCE_ON_FILE, params=(("registry", "student"),), blocking=False)
ON_FILE_CIVIL = Reason(EVIDENCE_ON_FILE, params=(("registry", "civil"),), blocking=False)


def _decide(pack: RulePack, person: Person, evidence: Evidence | None) -> Decision:
    return decide(person, family(principal(), person), DAY, OUT, pack, evidence)


def _codes(d: Decision) -> list[str]:
    return [r.code for r in d.reasons]


def _son(*docs: Any, disabled: bool = False) -> Person:
    return dependent("child", BORN_20, Sex.MALE, documents=tuple(docs), disabled=disabled)


def _daughter(*docs: Any, marital: MaritalStatus | None = MaritalStatus.SINGLE) -> Person:
    return dependent("child", BORN_20, Sex.FEMALE, documents=tuple(docs), marital=marital)


def _live(*periods: tuple[date | None, date | None]) -> Evidence:
    return Evidence(student=StudentRecord(tuple(StudyCertificate(a, b) for a, b in periods)))


def _pack_with(base: str, evidence: dict[str, Any]) -> RulePack:
    """A shipped pack with its ``[evidence]`` tables replaced."""
    text = resources.files("eligibility_gw.config").joinpath("rules", f"{base}.toml").read_text()
    data = tomllib.loads(text)
    data["evidence"] = evidence
    return parse_rule_pack(data)


# --- the shipped packs declare their fallbacks ----------------------------------------------------


def test_shipped_packs_declare_which_registry_may_fall_back_to_the_file(
    ir_pack: RulePack, ro_pack: RulePack
) -> None:
    assert ir_pack.evidence[STUDENT].on_file_fallback is True
    assert ir_pack.evidence[STUDENT].answers == ("student_certificate",)
    assert ir_pack.evidence[CIVIL].on_file_fallback is False
    assert ir_pack.evidence[CIVIL].answers == ("birth_certificate", "unmarried")
    assert set(ro_pack.evidence) == {STUDENT}
    assert ro_pack.evidence[STUDENT].on_file_fallback is True


# --- no evidence, or evidence not needed: exactly today's answers ---------------------------------


@pytest.mark.parametrize(
    "person",
    [
        _son(student(DAY + timedelta(days=90))),
        _son(),
        _daughter(birth_certificate()),
        _daughter(),
        dependent("spouse", date(1985, 1, 1), Sex.FEMALE),
    ],
)
def test_an_empty_evidence_changes_nothing(any_pack: RulePack, person: Person) -> None:
    assert _decide(any_pack, person, Evidence()) == _decide(any_pack, person, None)


def test_a_silent_registry_no_rule_reads_changes_nothing(ir_pack: RulePack) -> None:
    """A principal, a spouse, a son under 19: no notice, no undetermined."""
    both = Evidence(unavailable=frozenset({STUDENT, CIVIL}))
    head = principal()
    young = dependent("child", date(2012, 1, 1), Sex.MALE)
    spouse = dependent("spouse", date(1985, 1, 1), Sex.FEMALE)
    for person in (young, spouse):
        assert _decide(ir_pack, person, both) == _decide(ir_pack, person, None)
    assert decide(head, family(head), DAY, OUT, ir_pack, both) == decide(
        head, family(head), DAY, OUT, ir_pack
    )


@pytest.mark.parametrize(
    ("person", "fam_cover", "needed"),
    [
        (_son(), None, {STUDENT}),
        (_daughter(), None, {CIVIL}),
        (dependent("child", date(2012, 1, 1), Sex.MALE), None, set()),
        (dependent("spouse", date(1985, 1, 1), Sex.FEMALE), None, set()),
        (dependent("child", None, Sex.MALE), None, set()),
        (dependent("child", DAY + timedelta(days=1), Sex.MALE), None, set()),
        (_son(), CoverPeriod(date(2020, 1, 1), date(2021, 1, 1)), set()),
    ],
)
def test_evidence_is_needed_only_where_a_rule_reads_it(
    ir_pack: RulePack, person: Person, fam_cover: CoverPeriod | None, needed: set[EvidenceKind]
) -> None:
    head = principal(fam_cover) if fam_cover else principal()
    assert evidence_needed(person, family(head, person), DAY, ir_pack) == needed
    assert evidence_needed(head, family(head, person), DAY, ir_pack) == frozenset()


def test_a_pack_without_evidence_tables_needs_none(ir_pack: RulePack) -> None:
    bare = _pack_with("ir-tamin", {})
    assert evidence_needed(_son(), family(principal(), _son()), DAY, bare) == frozenset()
    assert _decide(bare, _son(), DOWN_STUDENT) == _decide(bare, _son(), None)


# --- the registry answers: its facts decide, over the file ----------------------------------------


def test_a_certificate_in_the_registry_covers_a_son_without_one_on_file(
    ir_pack: RulePack,
) -> None:
    until = DAY + timedelta(days=100)
    d = _decide(ir_pack, _son(), _live((date(2025, 9, 1), until)))
    assert d.status is Status.ELIGIBLE
    assert d.reasons == ()
    assert d.cover_end == until  # the registry's validity sets the end date


def test_the_registry_overrides_a_valid_certificate_on_file(any_pack: RulePack) -> None:
    on_file = _son(student(DAY + timedelta(days=100)))
    assert _decide(any_pack, on_file, None).status is Status.ELIGIBLE
    d = _decide(any_pack, on_file, _live())
    assert d.status is Status.NOT_ELIGIBLE
    assert "STUDENT_CERTIFICATE_REQUIRED" in _codes(d)


def test_a_lapsed_certificate_in_the_registry_says_when(ir_pack: RulePack) -> None:
    lapsed = DAY - timedelta(days=1)
    d = _decide(ir_pack, _son(student(DAY + timedelta(days=100))), _live((None, lapsed)))
    assert d.status is Status.NOT_ELIGIBLE
    assert d.reasons == (
        Reason(
            "STUDENT_CERTIFICATE_EXPIRED",
            resolve_with="student_certificate",
            params=(("expired_on", lapsed.isoformat()),),
        ),
    )


def test_the_civil_registry_answers_for_birth_certificate_and_marriage(
    ir_pack: RulePack,
) -> None:
    single = Evidence(civil=CivilRecord(True, MaritalStatus.SINGLE))
    married = Evidence(civil=CivilRecord(True, MaritalStatus.MARRIED))
    unknown = Evidence(civil=CivilRecord(False, None))
    # No birth certificate on file, yet the registry holds her birth and she is single.
    assert _decide(ir_pack, _daughter(), single).status is Status.ELIGIBLE
    # Single on file with the certificate seen; the registry knows of a marriage since.
    d = _decide(ir_pack, _daughter(birth_certificate()), married)
    assert (d.status, _codes(d)) == (Status.NOT_ELIGIBLE, ["MARRIED"])
    d = _decide(ir_pack, _daughter(birth_certificate()), unknown)
    assert d.status is Status.NOT_ELIGIBLE
    assert _codes(d) == ["BIRTH_CERTIFICATE_REQUIRED", "MARITAL_STATUS_UNKNOWN"]


# --- the registry is silent: fallback allowed -----------------------------------------------------


@pytest.mark.parametrize("pack_name", ["ir-tamin", "ro-cnas"])
def test_documents_on_file_decide_marked_when_the_fallback_is_allowed(pack_name: str) -> None:
    pack = load_rule_pack(pack_name)
    until = DAY + timedelta(days=100)
    d = _decide(pack, _son(student(until)), DOWN_STUDENT)
    assert d.status is Status.ELIGIBLE
    assert d.reasons == (ON_FILE_STUDENT,)
    assert d.cover_end == _decide(pack, _son(student(until)), None).cover_end
    # A negative answer decided on file is marked too.
    d = _decide(pack, _son(), DOWN_STUDENT)
    assert d.status is Status.NOT_ELIGIBLE
    assert _codes(d) == ["STUDENT_CERTIFICATE_REQUIRED", EVIDENCE_ON_FILE]
    assert [r.blocking for r in d.reasons] == [True, False]


# --- the registry is silent: fallback forbidden ---------------------------------------------------


def test_a_silent_civil_registry_leaves_her_undetermined(ir_pack: RulePack) -> None:
    her = _daughter(birth_certificate())
    assert _decide(ir_pack, her, None).status is Status.ELIGIBLE
    d = _decide(ir_pack, her, DOWN_CIVIL)
    assert d.status is Status.UNDETERMINED
    assert d.reasons == (Reason("CIVIL_REGISTRY_UNAVAILABLE"),)
    assert d.cover_end is None


def test_what_the_file_settles_without_the_registry_stays_settled(ir_pack: RulePack) -> None:
    """Own income rules her out whatever the civil registry would say."""
    earning = dependent("child", BORN_20, Sex.FEMALE, has_income=True)
    d = _decide(ir_pack, earning, DOWN_CIVIL)
    assert d.status is Status.NOT_ELIGIBLE
    assert "HAS_INCOME" in _codes(d)


def test_another_alternative_met_on_file_needs_no_registry() -> None:
    forbidding = _pack_with(
        "ir-tamin", {"student": {"answers": ["student_certificate"], "on_file_fallback": False}}
    )
    d = _decide(forbidding, _son(disabled=True), DOWN_STUDENT)
    assert d.status is Status.ELIGIBLE
    assert d.reasons == ()


@pytest.mark.parametrize("disabled_first", [False, True])
def test_a_silent_registry_is_undetermined_whatever_the_order_of_alternatives(
    disabled_first: bool,
) -> None:
    """Not "age limit reached" for a son who may well be a student."""
    pack = _pack_with(
        "ir-tamin", {"student": {"answers": ["student_certificate"], "on_file_fallback": False}}
    )
    if disabled_first:
        rules = tuple(dataclasses.replace(r, any_of=tuple(reversed(r.any_of))) for r in pack.rules)
        pack = dataclasses.replace(pack, rules=rules)
    d = _decide(pack, _son(student(DAY + timedelta(days=100))), DOWN_STUDENT)
    assert d.status is Status.UNDETERMINED
    assert d.reasons == (Reason("STUDENT_REGISTRY_UNAVAILABLE"),)


def test_the_fallback_is_per_registry() -> None:
    pack = _pack_with(
        "ir-tamin",
        {
            "student": {"answers": ["student_certificate"], "on_file_fallback": False},
            "civil": {"answers": ["birth_certificate", "unmarried"], "on_file_fallback": True},
        },
    )
    son = _decide(pack, _son(student(DAY + timedelta(days=100))), DOWN_STUDENT)
    assert (son.status, _codes(son)) == (Status.UNDETERMINED, ["STUDENT_REGISTRY_UNAVAILABLE"])
    her = _decide(pack, _daughter(birth_certificate()), DOWN_CIVIL)
    assert (her.status, her.reasons) == (Status.ELIGIBLE, (ON_FILE_CIVIL,))


# --- rule pack tables -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        ({"school": {"answers": ["student_certificate"], "on_file_fallback": True}}, "unknown"),
        ({"student": {"answers": ["student_certificate"]}}, "on_file_fallback"),
        ({"student": {"answers": ["student_certificate"], "on_file_fallback": "yes"}}, "bool"),
        ({"student": {"answers": [], "on_file_fallback": True}}, "answers"),
        ({"student": {"answers": ["unmarried"], "on_file_fallback": True}}, "unmarried"),
        ({"civil": {"answers": ["no_income"], "on_file_fallback": True}}, "no_income"),
        ({"civil": {"answers": ["passport"], "on_file_fallback": True}}, "passport"),
        (
            {
                "student": {"answers": ["birth_certificate"], "on_file_fallback": True},
                "civil": {"answers": ["birth_certificate"], "on_file_fallback": True},
            },
            "too",
        ),
        (
            {"student": {"answers": ["student_certificate"], "on_file_fallback": True, "x": 1}},
            "unknown key",
        ),
        ({"student": "yes"}, "table"),
    ],
)
def test_inconsistent_evidence_tables_are_refused(evidence: dict[str, Any], message: str) -> None:
    with pytest.raises(RulePackError, match=message):
        _pack_with("ir-tamin", evidence)
