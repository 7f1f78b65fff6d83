"""Every reply in every shipped language fits three SMS, and one where it can.

Replies are rendered from disclosures as the policy makes them, for both readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from eligibility_gw.adapters.memory.store import MemoryStore
from eligibility_gw.channels.sms import replies
from eligibility_gw.demo import personas
from eligibility_gw.domain.answer import GENESIS_HASH, AnswerDraft, AnswerRecord
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.errors import (
    DateOutOfRange,
    EligibilityError,
    InvalidDate,
    InvalidNationalId,
    InvalidTrackingCode,
    NationalIdCheckDigit,
    QuotaExceeded,
)
from eligibility_gw.domain.model import (
    Decision,
    Family,
    Person,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import Disclosure, View, disclose
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.textbudget import is_gsm7, sms_segments
from eligibility_gw.wording import Wording, available_languages, catalogs, plural_catalogs

LANGUAGES = available_languages()
TODAY = date(2026, 11, 23)


@dataclass(frozen=True)
class Asked:
    """One answer as each reader is shown it."""

    insured: Disclosure
    provider: Disclosure
    record: AnswerRecord


def _record(
    pack: RulePack,
    national_id: str,
    decision: Decision,
    masked: str | None,
    day: date = TODAY,
) -> AnswerRecord:
    draft = AnswerDraft(
        channel="sms",
        asker_kind="insured",
        asker_id="+989121110001",
        national_id=national_id,
        service_date=day,
        setting=ServiceSetting.OUTPATIENT,
        decision=decision,
        member_relationship="child",
        member_masked=masked,
    )
    return AnswerRecord(1, TrackingCode.new(), datetime.now(UTC), draft, GENESIS_HASH, "0" * 64)


def _asked(record: AnswerRecord, member: Person | None, decision: Decision) -> Asked:
    return Asked(
        disclose(record, View.INSURED, member, decision),
        disclose(record, View.PROVIDER, member, decision),
        record,
    )


@pytest.fixture(scope="module", params=["ir-tamin", "ro-cnas"])
def pack(request: pytest.FixtureRequest) -> RulePack:
    return load_rule_pack(str(request.param))


@pytest.fixture
async def families(pack: RulePack) -> list[Family]:
    """The demo families of ``pack``, as the registry returns them."""
    store = MemoryStore()
    rows = [p.row for p in personas(pack, TODAY)]
    await store.registry.upsert_rows(rows)
    found = []
    for row in rows:
        if row.principal_id is None:
            family = await store.registry.find_family(row.national_id)
            assert family is not None
            found.append(family)
    return found


def _demo_answers(pack: RulePack, families: list[Family]) -> list[Asked]:
    asked = []
    for family in families:
        for member in family.members:
            for day in (TODAY, TODAY - timedelta(days=200)):
                decision = decide(member, family, day, ServiceSetting.OUTPATIENT, pack)
                masked = f"{member.given_name[:1]}*** {member.family_name[:1]}***"
                record = _record(pack, member.national_id, decision, masked, day)
                asked.append(_asked(record, member, decision))
    return asked


def _every_reason(pack: RulePack) -> list[Asked]:
    """One answer per reason the catalogs word, and one with many reasons at once."""
    params = (("age", "19"), ("expired_on", "2026-11-22"), ("insurer", "IHIO"))
    reasons = [
        Reason(
            key.removeprefix("short.reason."),
            resolve_with="student_certificate" if "CERTIFICATE" in key else None,
            params=params,
        )
        for key in (*catalogs()["en"], *plural_catalogs()["en"])
        if key.startswith("short.reason.") and ".DOCUMENT_" not in key
    ]
    # Documents the catalogs have no reason of their own for: the generic wording.
    reasons += [
        Reason("INCOME_DECLARATION_REQUIRED", resolve_with="income_declaration"),
        Reason("INCOME_DECLARATION_EXPIRED", resolve_with="income_declaration", params=params),
    ]
    many = (
        Reason("BIRTH_CERTIFICATE_REQUIRED", resolve_with="birth_certificate"),
        Reason("MARRIED"),
        Reason("INCOME_UNKNOWN", resolve_with="income_declaration"),
        Reason("OVERLAP_WITH_OTHER_INSURER", "overlap_resolution", (("insurer", "IHIO"),)),
    )
    ended = date(2026, 11, 22)
    decisions = [
        Decision(Status.NOT_ELIGIBLE, (r,), None, pack.name, pack.version, cover_ended=ended)
        for r in reasons
    ]
    decisions.append(Decision(Status.UNDETERMINED, many, None, pack.name, pack.version))
    member = Person(
        national_id="1000000011",
        given_name="Mohammadreza",
        family_name="Karimi",
        birth_date=date(1980, 1, 1),
        sex=Sex.MALE,
        relationship="self",
    )
    return [_asked(_record(pack, "1000000011", d, "M*** K***"), member, d) for d in decisions]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_answers_fit(pack: RulePack, families: list[Family], language: str) -> None:
    w = Wording(language)
    for asked in [*_demo_answers(pack, families), *_every_reason(pack)]:
        for show_date in (False, True):
            insured = replies.insured_answer(w, pack, asked.insured, show_date)
            provider = replies.provider_answer(w, asked.provider, show_date)
            assert sms_segments(insured) <= replies.MAX_SEGMENTS, insured
            assert sms_segments(provider) <= replies.MAX_SEGMENTS, provider
            # A provider's answer is short: one SMS whenever there is a single reason.
            if len(asked.provider.reasons) <= 1:
                assert sms_segments(provider) == 1, provider
            # Nor does it name a date of the member's (a lapse, an end), whatever the reason.
            for day in (date(2026, 11, 22), asked.insured.cover_end, asked.insured.cover_ended):
                if day is not None and not show_date:
                    assert w.date(day) not in provider, provider
        for view in (View.INSURED, View.PROVIDER):
            recorded = replies.recorded_answer(w, pack, disclose(asked.record, view))
            assert sms_segments(recorded) <= replies.MAX_SEGMENTS, recorded


@pytest.mark.parametrize("language", LANGUAGES)
async def test_demo_answers_of_the_insured_fit_one_sms(
    pack: RulePack, families: list[Family], language: str
) -> None:
    """What the demo personas see today fits one SMS, end date, reason and code included.

    In UCS-2 (70 characters) a lapsed certificate with the day cover ended, what to bring
    where and the code need two.
    """
    w = Wording(language)
    for asked in _demo_answers(pack, families):
        shown = asked.insured
        if shown.service_date != TODAY:
            continue
        text = replies.insured_answer(w, pack, shown, show_date=False)
        lapsed = any(r.code.endswith("_EXPIRED") for r in shown.reasons)
        allowed = 2 if lapsed and not is_gsm7(text) else 1
        assert sms_segments(text) <= allowed, text
        assert w.digits(shown.tracking_code.grouped()) in text
        if shown.cover_end is not None:
            assert w.t("short.label.until", date=w.date(shown.cover_end)) in text, text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_family_lists_fit(pack: RulePack, families: list[Family], language: str) -> None:
    w = Wording(language)
    for family in families:
        lines = []
        for member in family.members:
            decision = decide(member, family, TODAY, ServiceSetting.OUTPATIENT, pack)
            record = _record(pack, member.national_id, decision, None)
            lines.append(disclose(record, View.INSURED, member, decision))
        text = replies.family_answer(w, lines)
        assert sms_segments(text) <= replies.MAX_SEGMENTS, text
        shown = [line for line in lines if f"{w.isolate(line.given_name or '')}:" in text]
        if is_gsm7(text) or pack.name == "ir-tamin" or len(lines) <= 3:
            assert shown == lines, text  # the demo families fit whole
        else:  # a family of ten read in UCS-2: as many as fit, then a count
            assert w.n("sms.family.more", len(lines) - len(shown)) in text, text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_large_family_is_cut_with_a_count(language: str) -> None:
    w = Wording(language)
    pack = load_rule_pack("ir-tamin")
    lines = []
    for i in range(15):
        member = Person(
            f"50000000{i:02d}", f"Mohammadhossein{i:02d}", "Karimi", None, Sex.MALE, "child"
        )
        decision = Decision(Status.ELIGIBLE, (), TODAY + timedelta(days=i), pack.name, pack.version)
        record = _record(pack, member.national_id, decision, None)
        lines.append(disclose(record, View.INSURED, member, decision))
    text = replies.family_answer(w, lines)
    assert sms_segments(text) <= replies.MAX_SEGMENTS
    shown = sum(1 for line in lines if f"{w.isolate(line.given_name or '')}:" in text)
    assert 0 < shown < len(lines)
    assert w.n("sms.family.more", len(lines) - shown) in text


ERRORS: list[EligibilityError] = [
    InvalidNationalId("empty", problem="empty"),
    InvalidNationalId("digits", problem="digits"),
    InvalidNationalId("length", problem="length", length=13),
    InvalidNationalId("repeated", problem="repeated"),
    NationalIdCheckDigit("check"),
    InvalidDate("date"),
    DateOutOfRange("range", earliest=date(2025, 11, 23), latest=date(2026, 11, 30)),
    InvalidTrackingCode("code"),
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixed_replies_fit_one_sms(language: str) -> None:
    w = Wording(language)
    texts = [
        replies.help_text(w),
        replies.help_text(w, understood=False),
        replies.not_on_file(w, "1420"),
        replies.provider_inactive(w),
        replies.unavailable(w),
        replies.unknown_code(w),
        replies.busy(w),
        replies.thanks_for_report(w, "1420"),
        *(replies.rate_limited(w, "sender", s) for s in (1, 59, 61, 3599, 3600, 86400)),
        *(
            replies.quota_exceeded(w, QuotaExceeded("x", scope=scope, retry_after=s, limit=5))
            for scope in ("asker", "provider_national_id", "national_id")
            for s in (1, 59, 61, 3599, 3600, 86400)
        ),
        *(replies.refusal(w, e) for e in ERRORS),
    ]
    for text in texts:
        assert sms_segments(text) == 1, text


def test_clip_is_a_last_resort() -> None:
    long = "x" * 1000
    assert sms_segments(replies.clip(long)) == 3
    assert replies.clip("short") == "short"
    persian = "ب" * 500
    clipped = replies.clip(persian)
    assert sms_segments(clipped) == 3
    assert clipped.endswith("...")


def test_fit_prefers_fewer_segments_then_richer() -> None:
    one = "a" * 150
    two = "b" * 200
    assert replies.fit([two, one]) == one
    assert replies.fit([one, "c" * 10]) == one
