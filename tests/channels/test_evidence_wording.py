"""Registry reasons in every channel and language: worded, within SMS and USSD budgets.

An answer left undetermined by a silent registry, and one decided on documents on file, read
as words on the web, by SMS, over USSD, in Telegram and in the call-centre console.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from eligibility_gw.channels.console.views import reason_lines
from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.telegram.answers import answer_text
from eligibility_gw.channels.ussd.answers import Answered, render_outcome
from eligibility_gw.channels.ussd.screens import Budget
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.domain.answer import AnswerDraft, AnswerRecord
from eligibility_gw.domain.evidence import EVIDENCE_ON_FILE, EvidenceKind
from eligibility_gw.domain.model import Decision, Person, Reason, ServiceSetting, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import Disclosure, View, disclose, undated
from eligibility_gw.presenting import present
from eligibility_gw.rulepacks import load_rule_pack, shipped_rule_packs
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.wording import Wording, available_languages

LANGUAGES = available_languages()
PACKS = [load_rule_pack(name) for name in shipped_rule_packs()]
TODAY = date(2026, 11, 23)
DEFAULT_USSD = UssdSettings()
BUDGET = Budget(DEFAULT_USSD.ucs2_budget, DEFAULT_USSD.gsm7_budget)
LONG_NAME = "Mohammadhossein"
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def on_file(kind: EvidenceKind) -> Reason:
    return Reason(EVIDENCE_ON_FILE, params=(("registry", kind.value),), blocking=False)


#: Each answer a silent registry gives: undetermined, or decided on file (either way).
ANSWERS: list[tuple[Status, tuple[Reason, ...]]] = [
    *((Status.UNDETERMINED, (Reason(k.unavailable_code),)) for k in EvidenceKind),
    *((Status.ELIGIBLE, (on_file(k),)) for k in EvidenceKind),
    *(
        (
            Status.NOT_ELIGIBLE,
            (
                Reason(
                    "STUDENT_CERTIFICATE_EXPIRED",
                    "student_certificate",
                    (("expired_on", "2026-11-22"),),
                ),
                on_file(k),
            ),
        )
        for k in EvidenceKind
    ),
]


#: A member with the longest names a reply must hold.
MEMBER = Person("1000000044", LONG_NAME, LONG_NAME, date(2006, 1, 1), None, "child", "1000000011")


def shown(status: Status, reasons: tuple[Reason, ...], view: View) -> Disclosure:
    """What ``view``'s reader is shown of such an answer."""
    return disclose(record(status, reasons, view.value), view, MEMBER)


def record(status: Status, reasons: tuple[Reason, ...], asker_kind: str) -> AnswerRecord:
    cover_end = date(2027, 5, 22) if status is Status.ELIGIBLE else None
    draft = AnswerDraft(
        channel="sms",
        asker_kind=asker_kind,
        asker_id="p1",
        national_id="1000000044",
        service_date=TODAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(status, reasons, cover_end, "ir-tamin", "2026.1"),
        member_relationship="child",
        member_masked="R*** R***",
    )
    return AnswerRecord(1, TrackingCode.new(), datetime.now(UTC), draft, "0" * 64, "0" * 64)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_reasons_read_as_words(language: str) -> None:
    w = Wording(language)
    reasons = [Reason(k.unavailable_code) for k in EvidenceKind] + [
        on_file(k) for k in EvidenceKind
    ]
    for reason in reasons:
        for short in (False, True):
            text = w.reason(reason, short=short)
            assert text.strip()
            assert reason.code not in text, text
            assert not re.search(r"[{}_]", text), text
            if language == "fa":
                assert _ARABIC_SCRIPT.search(text), text
        assert w.resolve(reason) is None
    # The notice names the registry that was silent, in words.
    student, civil = (w.reason(on_file(k)) for k in EvidenceKind)
    assert student != civil
    assert w.t("registry.student") in student
    assert w.t("registry.civil") in civil


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("status", "reasons"), ANSWERS)
def test_sms_answers_fit(language: str, status: Status, reasons: tuple[Reason, ...]) -> None:
    w = Wording(language)
    pack = load_rule_pack("ir-tamin")
    for show_date in (False, True):
        provider = replies.provider_answer(w, shown(status, reasons, View.PROVIDER), show_date)
        insured = replies.insured_answer(w, pack, shown(status, reasons, View.INSURED), show_date)
        assert sms_segments(provider) <= (1 if len(reasons) == 1 else 2), provider
        assert sms_segments(insured) <= 2, insured
        # Providers read the reasons without the member's dates; the insured with them.
        assert all(w.reason(undated(r), short=True) in provider for r in reasons), provider
        assert all(w.reason(r, short=True) in insured for r in reasons), insured


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.name)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("audience", [View.PROVIDER, View.INSURED])
@pytest.mark.parametrize(("status", "reasons"), ANSWERS)
def test_ussd_answers_fit_and_say_why(
    pack: RulePack,
    language: str,
    audience: View,
    status: Status,
    reasons: tuple[Reason, ...],
) -> None:
    w = Wording(language)
    answered = Answered(shown(status, reasons, audience))
    text = render_outcome(answered, w, pack, BUDGET)
    assert BUDGET.fits(text), text
    # The first reason always makes it onto the screen, the on-file notice included.
    first = undated(reasons[0]) if audience is View.PROVIDER else reasons[0]
    assert w.reason(first, short=True) in text, text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("status", "reasons"), ANSWERS)
def test_telegram_console_and_api_say_it_in_full(
    language: str, status: Status, reasons: tuple[Reason, ...]
) -> None:
    w = Wording(language)
    pack = load_rule_pack("ir-tamin")
    telegram = answer_text(shown(status, reasons, View.INSURED), w, pack)
    console = [line.message for line in reason_lines(w, pack, reasons)]
    api = present(shown(status, reasons, View.PROVIDER), w, pack).as_json()["reasons"]
    assert api[-1]["message"] == w.reason(undated(reasons[-1]))
    for reason in reasons:
        words = w.reason(reason)
        assert words in telegram
        assert words in console
    assert [(r["code"], r["blocking"]) for r in api] == [(r.code, r.blocking) for r in reasons]
