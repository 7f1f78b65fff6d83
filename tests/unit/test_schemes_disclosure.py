"""Who learns what of the category and privileges: the policy's views, their words, and the
phone channels' budgets (SMS, USSD) with them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.ussd.answers import answer_forms
from eligibility_gw.domain.answer import AnswerDraft, AnswerRecord
from eligibility_gw.domain.model import Decision, PrivilegeOnFile, ServiceSetting, Status
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import View, disclose
from eligibility_gw.presenting import present
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.textbudget import fits_ussd, sms_segments
from eligibility_gw.wording import Wording

TODAY = date(2026, 11, 23)
UNTIL = date(2028, 12, 31)
PL = load_rule_pack("pl-nfz")
RO = load_rule_pack("ro-cnas")


def _record(
    pack_name: str, category: str | None, held: tuple[PrivilegeOnFile, ...]
) -> AnswerRecord:
    decision = Decision(
        Status.ELIGIBLE, (), date(2027, 12, 31), pack_name, "2026.1", None, category, held
    )
    draft = AnswerDraft(
        channel="sms",
        asker_kind="provider",
        asker_id="demo-pharmacy",
        national_id="52092700104",
        service_date=TODAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=decision,
        member_relationship="self",
        member_masked="J*** K***",
    )
    return AnswerRecord(1, TrackingCode.new(), datetime.now(UTC), draft, "0" * 64, "0" * 64)


DONOR = (PrivilegeOnFile("honorary_blood_donor", UNTIL),)


def test_providers_read_the_privilege_without_its_end_and_the_insured_with_it() -> None:
    record = _record("pl-nfz", None, DONOR)
    provider = disclose(record, View.PROVIDER)
    insured = disclose(record, View.INSURED)
    staff = disclose(record, View.STAFF)
    assert provider.privileges == (PrivilegeOnFile("honorary_blood_donor"),)
    assert insured.privileges == staff.privileges == DONOR
    w = Wording("en")
    told = present(provider, w, PL)
    (held,) = told.privileges
    assert held.instruction is not None and "Serve out of turn" in held.instruction
    assert "7 working days" in held.instruction and "Honorary Blood Donor card" in held.instruction
    assert held.until is None
    (theirs,) = present(insured, w, PL).privileges
    assert (theirs.instruction, theirs.until) == (None, UNTIL)
    assert present(provider, w, PL).as_json()["privileges"][0]["until"] is None


def test_every_reader_reads_the_category_code_and_name() -> None:
    record = _record("ro-cnas", "07", ())
    for view in View:
        shown = present(disclose(record, view), Wording("en"), RO)
        assert shown.category_text == "07 pupil, student or apprentice 18 to 26 without work income"
        assert present(disclose(record, view), Wording("fa"), RO).category_name == (
            "دانش‌آموز، دانشجو یا کارآموز ۱۸ تا ۲۶ ساله بدون درآمد کاری"
        )
        assert shown.as_json()["category"]["code"] == "07"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_provider_sms_always_says_what_a_privilege_asks_and_within_two_parts(
    language: str,
) -> None:
    w = Wording(language)
    shown = disclose(_record("pl-nfz", None, DONOR), View.PROVIDER)
    text = replies.provider_answer(w, shown, show_date=False, pack=PL)
    short = w.t(
        "short.privilege.instruction.out_of_turn",
        working_days=w.digits("7"),
        document=w.document("honorary_donor_card", short=True),
    )
    assert short in text
    assert w.date(UNTIL) not in text
    assert sms_segments(text) <= (1 if language == "en" else 3), text


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_category_fits_one_sms_in_english_and_goes_before_the_code_otherwise(
    language: str,
) -> None:
    w = Wording(language)
    record = _record("ro-cnas", "07", ())
    provider = replies.provider_answer(w, disclose(record, View.PROVIDER), False, pack=RO)
    insured = replies.insured_answer(w, RO, disclose(record, View.INSURED), False)
    for text in (provider, insured):
        assert sms_segments(text) == 1, text
        if language == "en":
            assert "cat. 07" in text, text


def test_ussd_screens_keep_what_a_privilege_asks_of_a_provider() -> None:
    w = Wording("en")
    shown = disclose(_record("pl-nfz", None, DONOR), View.PROVIDER)
    first = next(f for f in answer_forms(shown, w, PL) if fits_ussd(f))
    assert "serve out of turn" in first
    insured = disclose(_record("pl-nfz", None, DONOR), View.INSURED)
    mine = next(f for f in answer_forms(insured, w, PL) if fits_ussd(f))
    assert w.date(UNTIL) in mine
