"""disclose() + present(): a provider never learns a date of the member's nor the full name;
the insured person and staff do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from eligibility_gw.domain.answer import (
    GENESIS_HASH,
    AnswerDraft,
    AnswerRecord,
    chain_hash,
    chain_payload,
    reasons_from_json,
    reasons_to_json,
)
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    MemberView,
    Person,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import View, disclose
from eligibility_gw.presenting import PresentedAnswer, present
from eligibility_gw.wording import Wording
from tests.unit.builders import COVER, dependent, family, principal, student

DAY = date(2026, 11, 23)
MEMBER = MemberView("Amir", "Rezaei", "child", "0499370899", Sex.MALE)
AMIR = Person("0499370899", "Amir", "Rezaei", date(2005, 3, 1), Sex.MALE, "child", "1000000001")
CODE = TrackingCode.new()


def shown_as(
    record: AnswerRecord,
    w: Wording,
    pack: RulePack,
    view: View,
    member: Person | None = None,
) -> PresentedAnswer:
    """What ``view``'s reader is shown of ``record``."""
    return present(disclose(record, view, member), w, pack)


def _record(decision: Decision, masked: str | None = MEMBER.masked_name) -> AnswerRecord:
    draft = AnswerDraft(
        channel="web",
        asker_kind="provider",
        asker_id="demo-pharmacy",
        national_id=MEMBER.national_id,
        service_date=DAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=decision,
        member_relationship=MEMBER.relationship,
        member_masked=masked,
        principal_id="1000000001",
    )
    created = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    payload = chain_payload(1, CODE.digits, created.isoformat(), draft)
    return AnswerRecord(1, CODE, created, draft, GENESIS_HASH, chain_hash(GENESIS_HASH, payload))


def _eligible(ir_pack: RulePack) -> Decision:
    son = dependent("child", date(2005, 3, 1), documents=(student(date(2027, 6, 30)),))
    d = decide(son, family(principal(), son), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == date(2027, 6, 30)
    return d


def test_masked_name() -> None:
    assert MEMBER.masked_name == "A*** R***"
    assert MemberView("", "Popescu", "child", "x").masked_name == "P***"
    assert MemberView("Ion", "", "child", "x").masked_name == "I***"


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("with_member", [True, False])
def test_provider_never_gets_the_cover_end_nor_the_full_name(
    ir_pack: RulePack, language: str, with_member: bool
) -> None:
    record = _record(_eligible(ir_pack))
    shown = shown_as(
        record, Wording(language), ir_pack, View.PROVIDER, AMIR if with_member else None
    )
    assert shown.status is Status.ELIGIBLE
    assert shown.cover_end is None
    assert shown.cover_end_text is None
    assert shown.member_name == "A*** R***"
    data = shown.as_json()
    assert data["cover_end"] is None
    assert data["member"] == {"name": "A*** R***", "relationship": "child"}
    text = json.dumps(data, ensure_ascii=False) + repr(shown)
    for secret in ("Amir", "Rezaei", "2027-06-30", Wording(language).date(date(2027, 6, 30))):
        assert secret not in text


@pytest.mark.parametrize("audience", [View.INSURED, View.STAFF])
def test_insured_and_staff_get_the_cover_end_and_the_full_name(
    ir_pack: RulePack, audience: View
) -> None:
    record = _record(_eligible(ir_pack))
    shown = shown_as(record, Wording("en"), ir_pack, audience, AMIR)
    assert shown.cover_end == date(2027, 6, 30)
    assert shown.cover_end_text == "2027-06-30"
    assert shown.member_name == "Amir Rezaei"
    assert shown.as_json()["cover_end"] == "2027-06-30"
    fa = shown_as(record, Wording("fa"), ir_pack, audience, AMIR)
    assert fa.cover_end_text == "۱۴۰۶/۰۴/۰۹"
    # Without a member view only the masked name is known.
    assert shown_as(record, Wording("en"), ir_pack, audience).member_name == "A*** R***"


def test_presented_fields(ir_pack: RulePack) -> None:
    record = _record(_eligible(ir_pack))
    shown = shown_as(record, Wording("fa"), ir_pack, View.STAFF, AMIR)
    assert shown.tracking_code == CODE.grouped()
    assert shown.service_date == DAY
    assert shown.service_date_text == "۱۴۰۵/۰۹/۰۲"
    assert shown.rule_pack == "ir-tamin@2026.1"
    assert shown.language == "fa"
    assert shown.relationship == "child"
    assert shown.relationship_text == Wording("fa").relationship("child")
    assert shown.status_text == Wording("fa").status(Status.ELIGIBLE)
    assert shown.reasons == ()
    data = shown.as_json()
    assert data["tracking_code"] == CODE.grouped()
    assert data["status"] == "eligible"
    assert data["service_date"] == "2026-11-23"
    assert data["rule_pack"] == "ir-tamin@2026.1"


@pytest.mark.parametrize("audience", list(View))
def test_reasons_are_worded_with_what_resolves_them(ir_pack: RulePack, audience: View) -> None:
    son = dependent("child", date(2005, 3, 1), documents=(student(date(2026, 9, 30)),))
    d = decide(son, family(principal(), son), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    shown = shown_as(_record(d), Wording("en"), ir_pack, audience, AMIR)
    assert shown.status is Status.NOT_ELIGIBLE
    assert shown.cover_end is None
    (reason,) = shown.reasons
    assert reason.code == "STUDENT_CERTIFICATE_EXPIRED"
    if audience is View.PROVIDER:  # the day a certificate lapsed is a cover end date
        assert reason.message == "The student certificate on file has expired."
    else:
        assert reason.message == "The student certificate on file expired on 2026-09-30."
    assert reason.resolve_with == "student_certificate"
    assert reason.resolve is not None
    assert "the university" in reason.resolve  # ir-tamin: issued by a university
    assert reason.blocking
    assert shown.as_json()["reasons"][0]["code"] == "STUDENT_CERTIFICATE_EXPIRED"


def test_issuer_follows_the_pack(ro_pack: RulePack) -> None:
    son = dependent("child", date(2005, 3, 1))
    d = decide(son, family(principal(), son), DAY, ServiceSetting.OUTPATIENT, ro_pack)
    shown = shown_as(_record(d), Wording("en"), ro_pack, View.PROVIDER)
    assert shown.reasons[0].resolve is not None
    assert "the school or university" in shown.reasons[0].resolve


def test_non_blocking_reason_stays_non_blocking(ro_pack: RulePack) -> None:
    wife = dependent("spouse", date(1984, 1, 1), Sex.FEMALE, other_insurer="PRIV")
    d = decide(wife, family(principal(), wife), DAY, ServiceSetting.INPATIENT, ro_pack)
    shown = shown_as(_record(d), Wording("en"), ro_pack, View.PROVIDER)
    assert shown.status is Status.ELIGIBLE
    assert [(r.code, r.blocking) for r in shown.reasons] == [("OVERLAP_WITH_OTHER_INSURER", False)]
    assert shown.cover_end is None
    assert shown_as(_record(d), Wording("en"), ro_pack, View.INSURED).cover_end == COVER.end


def test_answer_without_a_member(ir_pack: RulePack) -> None:
    d = Decision(Status.NOT_ELIGIBLE, (Reason("NOT_FOUND"),), None, "ir-tamin", "2026.1")
    draft_record = _record(d, masked=None)
    record = AnswerRecord(
        draft_record.seq,
        draft_record.tracking_code,
        draft_record.created_at,
        AnswerDraft("web", "provider", "p", "0499370899", DAY, ServiceSetting.OUTPATIENT, d),
        draft_record.prev_hash,
        draft_record.row_hash,
    )
    shown = shown_as(record, Wording("en"), ir_pack, View.STAFF)
    assert shown.member_name is None
    assert shown.relationship is None
    assert shown.relationship_text is None
    assert shown.as_json()["member"] is None
    assert shown.reasons[0].message == "No insured person has this national id."
    assert shown.reasons[0].resolve is None


def test_reasons_survive_their_json_form() -> None:
    reasons = (
        Reason("X_EXPIRED", resolve_with="x", params=(("expired_on", "2026-01-01"),)),
        Reason("OVERLAP_WITH_OTHER_INSURER", "overlap_resolution", (("insurer", "I"),), False),
        Reason("HAS_INCOME"),
    )
    data = reasons_to_json(reasons)
    assert json.loads(json.dumps(data)) == data
    assert reasons_from_json(data) == reasons


def test_chain_hash_covers_every_field(ir_pack: RulePack) -> None:
    record = _record(_eligible(ir_pack))
    payload = chain_payload(1, CODE.digits, record.created_at.isoformat(), record.draft)
    assert payload["cover_end"] == "2027-06-30"
    assert len(record.row_hash) == 64
    for key in payload:
        changed = dict(payload, **{key: "tampered"})
        assert chain_hash(GENESIS_HASH, changed) != record.row_hash, key
    assert chain_hash("1" * 64, payload) != record.row_hash


@pytest.mark.parametrize("language", ["en", "fa"])
def test_provider_reads_no_date_of_the_members(ir_pack: RulePack, language: str) -> None:
    head = principal(
        CoverPeriod(date(2025, 1, 1), date(2026, 6, 30)),
        CoverPeriod(date(2027, 1, 1), date(2027, 12, 31)),
    )
    d = decide(head, family(head), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    assert d.reasons[0].param("ended_on") == "2026-06-30"
    w = Wording(language)
    ended = w.date(date(2026, 6, 30))
    starts = w.date(date(2027, 1, 1))
    provider = shown_as(_record(d), w, ir_pack, View.PROVIDER)
    assert ended not in provider.reasons[0].message
    assert starts not in provider.reasons[0].message
    text = json.dumps(provider.as_json(), ensure_ascii=False)
    assert ended not in text
    assert starts not in text
    staff = shown_as(_record(d), w, ir_pack, View.STAFF, AMIR)
    assert ended in staff.reasons[0].message
    assert starts in staff.reasons[0].message
