"""The inquiry policy's pure rules: views, quotas, and whose phone a check notice goes to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from eligibility_gw.domain.answer import GENESIS_HASH, AnswerDraft, AnswerRecord
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    Person,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker, AskerKind
from eligibility_gw.policy.disclosure import View, disclose, undated, view_of
from eligibility_gw.policy.notices import notice_recipient
from eligibility_gw.policy.quotas import QuotaScope, QuotaSettings, asker_quota, quotas_for
from tests.unit.builders import dependent, family, principal, student

DAY = date(2026, 12, 6)
PHARMACY = Provider(
    "pharm", "Pharmacy", ProviderKind.PHARMACY, "+989350000001", True, datetime.now(UTC)
)


def _record(decision: Decision, person: Person) -> AnswerRecord:
    draft = AnswerDraft(
        "sms",
        "provider",
        "pharm",
        person.national_id,
        DAY,
        ServiceSetting.OUTPATIENT,
        decision,
        person.relationship,
        "D*** E***",
        "1000000001",
    )
    return AnswerRecord(1, TrackingCode.new(), datetime.now(UTC), draft, GENESIS_HASH, "h")


# -- views ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "view"),
    [
        (AskerKind.PROVIDER, View.PROVIDER),
        (AskerKind.INSURED, View.INSURED),
        (AskerKind.STAFF, View.STAFF),
        (AskerKind.OPERATOR, View.STAFF),
        ("provider", View.PROVIDER),
    ],
)
def test_each_asker_kind_has_its_view(kind: AskerKind | str, view: View) -> None:
    assert view_of(kind) is view


def test_a_lapsed_certificate_tells_providers_no_date(ir_pack: RulePack) -> None:
    # The defect this policy fixes: SMS told providers "student cert. expired 2026-12-05".
    son = dependent("child", date(2005, 3, 1), documents=(student(date(2026, 12, 5)),))
    decision = decide(son, family(principal(), son), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    record = _record(decision, son)
    provider = disclose(record, View.PROVIDER, son, decision)
    (reason,) = provider.reasons
    assert reason.code == "STUDENT_CERTIFICATE_EXPIRED"
    assert reason.params == ()
    assert reason.resolve_with == "student_certificate"
    assert provider.cover_end is None
    assert provider.cover_ended is None
    assert provider.member_name == "D*** E***"
    assert provider.given_name is None
    assert provider.national_id is None
    assert provider.documents_to_bring == ("student_certificate",)
    insured = disclose(record, View.INSURED, son, decision)
    assert insured.reasons[0].param("expired_on") == "2026-12-05"
    assert insured.cover_ended == date(2026, 12, 5)
    assert insured.member_name == "Dep Endent"
    assert insured.national_id is None
    staff = disclose(record, View.STAFF, son, decision)
    assert staff.national_id == son.national_id
    assert staff.cover_ended == date(2026, 12, 5)


def test_the_insured_learn_when_their_own_cover_ended(ir_pack: RulePack) -> None:
    head = principal(CoverPeriod(date(2025, 1, 1), date(2026, 12, 5)))
    decision = decide(head, family(head), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    assert decision.status is Status.NOT_ELIGIBLE
    assert decision.cover_ended == date(2026, 12, 5)
    shown = disclose(_record(decision, head), View.INSURED, head, decision)
    assert shown.cover_ended == date(2026, 12, 5)
    assert disclose(_record(decision, head), View.PROVIDER, head, decision).cover_ended is None


def test_a_son_past_19_learns_the_eve_of_his_birthday(ir_pack: RulePack) -> None:
    son = dependent("child", date(2007, 12, 1))
    decision = decide(son, family(principal(), son), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    assert decision.status is Status.NOT_ELIGIBLE
    assert decision.cover_ended == date(2026, 11, 30)


def test_nobody_learns_an_end_that_never_was(ir_pack: RulePack) -> None:
    head = principal(CoverPeriod(date(2027, 1, 1), date(2027, 12, 31)))
    decision = decide(head, family(head), DAY, ServiceSetting.OUTPATIENT, ir_pack)
    assert decision.status is Status.NOT_ELIGIBLE
    assert decision.cover_ended is None


def test_undated_drops_every_date_and_keeps_the_rest() -> None:
    reason = Reason(
        "OUTSIDE_COVER_PERIOD",
        params=(("ended_on", "2026-01-01"), ("starts_on", "2027-01-01"), ("insurer", "X")),
    )
    assert undated(reason).params == (("insurer", "X"),)
    plain = Reason("HAS_INCOME")
    assert undated(plain) is plain


# -- quotas -----------------------------------------------------------------------------------


def test_a_provider_hits_three_counters_in_order() -> None:
    s = QuotaSettings(provider_per_minute=7, provider_per_national_id=3, national_id_ceiling=9)
    found = quotas_for(Asker.for_provider("web", PHARMACY), "1000000052", s)
    assert [(q.scope, q.limit) for q in found] == [
        (QuotaScope.ASKER, 7),
        (QuotaScope.PROVIDER_PERSON, 3),
        (QuotaScope.PERSON, 9),
    ]
    assert found[1].subject == ("pharm", "1000000052")
    assert found[2].subject == ("1000000052",)


def test_the_ceiling_stands_above_one_providers_share() -> None:
    s = QuotaSettings()
    assert s.national_id_ceiling >= 3 * s.provider_per_national_id


@pytest.mark.parametrize(
    ("asker", "scopes"),
    [
        (Asker.for_insured("sms", "+989121110001"), [QuotaScope.ASKER]),
        (Asker.for_staff("agent"), [QuotaScope.ASKER]),
        (Asker.for_operator(), []),
    ],
)
def test_others_are_counted_only_as_askers(asker: Asker, scopes: list[str]) -> None:
    assert [q.scope for q in quotas_for(asker, "1000000052", QuotaSettings())] == scopes


def test_channels_share_a_providers_counters() -> None:
    s = QuotaSettings()
    web = quotas_for(Asker.for_provider("web", PHARMACY), "1", s)
    sms = quotas_for(Asker.for_provider("sms", PHARMACY), "1", s)
    assert web == sms
    assert asker_quota(Asker.for_provider("ussd", PHARMACY), s) == web[0]


# -- check notices ----------------------------------------------------------------------------


HEAD = principal()
HEAD_PHONE = "+989121110001"


def _head_with_phone() -> Person:
    return Person(
        HEAD.national_id,
        HEAD.given_name,
        HEAD.family_name,
        HEAD.birth_date,
        HEAD.sex,
        HEAD.relationship,
        phone=HEAD_PHONE,
        cover_periods=HEAD.cover_periods,
    )


@pytest.mark.parametrize(
    ("label", "member", "expected"),
    [
        ("principal's own phone", None, HEAD_PHONE),
        (
            "minor without a phone: the principal's",
            dependent("child", date(2015, 1, 1)),
            HEAD_PHONE,
        ),
        (
            "adult daughter without a phone: nobody",
            dependent("child", date(2004, 1, 1), Sex.FEMALE),
            None,
        ),
        ("adult with a phone: hers", None, "+989120000077"),
        ("birth date unknown, no phone: nobody", dependent("child", None), None),
        ("turns 18 today: an adult", dependent("child", date(2008, 12, 6)), None),
        ("turns 18 tomorrow: a minor", dependent("child", date(2008, 12, 7)), HEAD_PHONE),
    ],
)
def test_whose_phone_is_told(label: str, member: Person | None, expected: str | None) -> None:
    head = _head_with_phone()
    if label == "adult with a phone: hers":
        member = Person(
            "2000000002",
            "Sara",
            "R",
            date(2004, 1, 1),
            Sex.FEMALE,
            "child",
            HEAD.national_id,
            phone="+989120000077",
        )
    person = member or head
    fam = family(head, person) if member is not None else family(head)
    assert notice_recipient(person, fam, DAY, 18, None) == expected, label


def test_the_checking_providers_own_phone_is_not_told() -> None:
    head = _head_with_phone()
    assert notice_recipient(head, family(head), DAY, 18, HEAD_PHONE) is None


def test_without_an_age_of_majority_only_own_phones_are_told() -> None:
    head = _head_with_phone()
    child = dependent("child", date(2020, 1, 1))
    assert notice_recipient(child, family(head, child), DAY, None, None) is None
