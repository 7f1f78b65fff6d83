"""Inbound SMS, table-driven: each case is a signed Twilio post and what must come back.

Every case checks the HTTP answer (200, TwiML, ``text/xml``), the reply's words in the
sender's language, its SMS segment count, and what the answer log gained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import jdatetime
import pytest

from eligibility_gw.demo import DEMO_PROVIDER_ID, Persona
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.dates import add_months, end_of_month
from eligibility_gw.domain.model import Status
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeGateway
from tests.channels.sms.support import (
    AHMADI,
    KARIMI,
    PROVIDER,
    PROVIDER_OFF,
    REZAEI,
    STRANGER,
    SmsClient,
    persona,
)

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def fa(text: str) -> str:
    """Write ASCII digits as Persian ones."""
    return text.translate(FA_DIGITS)


@dataclass(frozen=True)
class Seen:
    """What a case's expectations may refer to."""

    w: Wording
    today: date
    people: Sequence[Persona]
    logged: Sequence[AnswerRecord]

    def id_of(self, key: str) -> str:
        return persona(self.people, key).row.national_id

    def until(self, day: date) -> str:
        return self.w.t("short.label.until", date=self.w.date(day))


Words = Callable[[Seen], Sequence[str]]


def nothing(_: Seen) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class Case:
    """One inbound SMS and what must come back."""

    id: str
    sender: str
    body: Callable[[date], str] | str
    language: str
    #: "insured" or "provider" (an answer about ``persona``), "family", or "reply" (no answer).
    kind: str
    persona: str | None = None
    logged: int = 0
    says: Words = nothing
    never: Words = nothing
    exactly: Callable[[Seen], str] | None = None
    max_segments: int = 1


def _solar(day: date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


CASES = [
    # The insured person's own phone: status, cover end, code.
    Case(
        "self-en",
        REZAEI,
        "1000000011",
        "en",
        "insured",
        "rezaei",
        1,
        says=lambda s: [s.until(end_of_month(add_months(s.today, 14))), "Ali"],
    ),
    Case(
        "self-fa-digits",
        REZAEI,
        fa("1000000011"),
        "fa",
        "insured",
        "rezaei",
        1,
        says=lambda s: [s.until(end_of_month(add_months(s.today, 14)))],
    ),
    Case(
        "self-arabic-indic-digits",
        REZAEI,
        "1000000011".translate(AR_DIGITS),
        "fa",
        "insured",
        "rezaei",
        1,
    ),
    Case("self-spaces-dashes", REZAEI, "  1000-000 011 ", "en", "insured", "rezaei", 1),
    Case("self-keyword-id", REZAEI, "id 1000000011", "en", "insured", "rezaei", 1),
    Case("self-keyword-fa", REZAEI, "کد ملی " + fa("1000000011"), "fa", "insured", "rezaei", 1),
    Case("self-arabic-keyboard", REZAEI, "كد ملي 1000000011", "fa", "insured", "rezaei", 1),
    Case(
        "self-date-iso",
        REZAEI,
        lambda t: f"1000000011 {(t - timedelta(days=10)).isoformat()}",
        "en",
        "insured",
        "rezaei",
        1,
        says=lambda s: [s.w.t("sms.label.on", date=s.w.date(s.today - timedelta(days=10)))],
    ),
    Case(
        "self-date-solar-fa",
        REZAEI,
        lambda t: fa(f"1000000011 {_solar(t - timedelta(days=20))}"),
        "fa",
        "insured",
        "rezaei",
        1,
        says=lambda s: [s.w.t("sms.label.on", date=s.w.date(s.today - timedelta(days=20)))],
    ),
    Case(
        "cover-ends-today",
        KARIMI,
        "1000000079",
        "en",
        "insured",
        "karimi",
        1,
        says=lambda s: [s.until(s.today)],
    ),
    Case(
        "cover-ended",
        AHMADI,
        "1000000151",
        "en",
        "insured",
        "ahmadi",
        1,
        says=lambda s: [s.w.t("short.reason.OUTSIDE_COVER_PERIOD")],
    ),
    # The principal's phone asks about dependents: the reason in words, what to bring where.
    Case(
        "dependent-no-certificate-en",
        REZAEI,
        "1000000052",
        "en",
        "insured",
        "rezaei-son-no-cert",
        1,
        says=lambda s: [
            "Hamid",
            s.w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED"),
            "Bring the student certificate from the university to an insurance branch.",
        ],
    ),
    Case(
        "dependent-no-certificate-fa",
        REZAEI,
        fa("1000000052"),
        "fa",
        "insured",
        "rezaei-son-no-cert",
        1,
        says=lambda s: [s.w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED"), "شعبه"],
    ),
    Case(
        "dependent-birth-certificate",
        REZAEI,
        "1000000060",
        "en",
        "insured",
        "rezaei-daughter-no-bc",
        1,
        says=lambda s: [s.w.t("short.reason.BIRTH_CERTIFICATE_REQUIRED"), "civil registry"],
    ),
    Case(
        "dependent-certificate-lapsed",
        KARIMI,
        "1000000087",
        "en",
        "insured",
        "karimi-son-lapsed",
        1,
        says=lambda s: [s.w.date(s.today - timedelta(days=1))],
    ),
    Case(
        "dependent-income-unknown-fa",
        KARIMI,
        fa("1000000141"),
        "fa",
        "insured",
        "karimi-wife",
        1,
        says=lambda s: [s.w.t("short.reason.INCOME_UNKNOWN")],
    ),
    Case(
        "dependent-turns-19-tomorrow",
        REZAEI,
        "1000000036",
        "en",
        "insured",
        "rezaei-son-18",
        1,
        says=lambda s: [s.until(s.today)],
    ),
    Case(
        "dependent-of-uncovered",
        AHMADI,
        "1000000168",
        "en",
        "insured",
        "ahmadi-son",
        1,
        says=lambda s: [s.w.t("short.reason.PRINCIPAL_NOT_COVERED")],
    ),
    # A provider's phone: status, reasons, code; never the end date.
    Case(
        "provider-not-eligible-en",
        PROVIDER,
        "1000000052",
        "en",
        "provider",
        "rezaei-son-no-cert",
        1,
        says=lambda s: ["H*** R***", s.w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED")],
    ),
    Case("provider-eligible-fa", PROVIDER, fa("1000000011"), "fa", "provider", "rezaei", 1),
    Case("provider-cover-ends-today", PROVIDER, "1000000079", "en", "provider", "karimi", 1),
    Case(
        "provider-with-date",
        PROVIDER,
        lambda t: f"1000000011 {(t - timedelta(days=3)):%Y%m%d}",
        "en",
        "provider",
        "rezaei",
        1,
        says=lambda s: [s.w.t("sms.label.on", date=s.w.date(s.today - timedelta(days=3)))],
    ),
    Case(
        "provider-unknown-person",
        PROVIDER,
        "0499370899",
        "en",
        "provider",
        None,
        1,
        says=lambda s: [s.w.t("short.reason.NOT_FOUND")],
    ),
    # Anyone else learns nothing about anyone.
    Case(
        "stranger",
        STRANGER,
        "1000000011",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline="1420"),
    ),
    Case(
        "stranger-unknown-id",
        STRANGER,
        "0499370899",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline="1420"),
    ),
    Case(
        "stranger-fa",
        STRANGER,
        fa("1000000011"),
        "fa",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline=fa("1420")),
    ),
    Case(
        "other-family",
        AHMADI,
        "1000000011",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline="1420"),
    ),
    Case(
        "family-unknown-id",
        REZAEI,
        "0499370899",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline="1420"),
    ),
    Case(
        "provider-deactivated",
        PROVIDER_OFF,
        "1000000011",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.provider_inactive"),
    ),
    # Input the core refuses, in words.
    Case(
        "check-digit",
        REZAEI,
        "1000000012",
        "en",
        "reply",
        exactly=lambda s: s.w.t("error.NATIONAL_ID_CHECK_DIGIT"),
    ),
    Case(
        "check-digit-fa",
        REZAEI,
        fa("1000000012"),
        "fa",
        "reply",
        exactly=lambda s: s.w.t("error.NATIONAL_ID_CHECK_DIGIT"),
    ),
    Case(
        "too-short",
        REZAEI,
        "12345",
        "en",
        "reply",
        exactly=lambda s: s.w.t("error.INVALID_NATIONAL_ID.length", length="10"),
    ),
    Case(
        "repeated-digit",
        PROVIDER,
        "1111111111",
        "en",
        "reply",
        exactly=lambda s: s.w.t("error.INVALID_NATIONAL_ID.repeated"),
    ),
    Case(
        "date-out-of-range",
        REZAEI,
        "1000000011 2020-01-01",
        "en",
        "reply",
        says=lambda s: [s.w.date(add_months(s.today, -12)), s.w.date(end_of_month(s.today))],
    ),
    Case(
        "no-such-date",
        REZAEI,
        "1000000011 2026-02-30",
        "en",
        "reply",
        exactly=lambda s: s.w.t("error.INVALID_DATE"),
    ),
    # FAMILY: one line per member the phone may see, within three SMS.
    Case(
        "family-en",
        REZAEI,
        "FAMILY",
        "en",
        "family",
        logged=6,
        max_segments=2,
        says=lambda s: [
            s.w.t("sms.family.header"),
            "Ali: Covered until",
            "Hamid: NOT covered",
            "Sara: NOT covered",
            "Amir: Covered until",
        ],
    ),
    Case(
        "family-lower-dashes",
        AHMADI,
        " - family - ",
        "en",
        "family",
        logged=2,
        says=lambda s: ["Saman: NOT covered", "Arman: NOT covered"],
    ),
    Case(
        "family-fa",
        KARIMI,
        "خانواده",
        "fa",
        "family",
        logged=8,
        max_segments=3,
        says=lambda s: [s.until(s.today)],
    ),
    Case(
        "family-stranger",
        STRANGER,
        "family",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline="1420"),
    ),
    Case(
        "family-provider",
        PROVIDER,
        "FAM",
        "en",
        "reply",
        exactly=lambda s: s.w.t("sms.not_on_file", hotline="1420"),
    ),
    # HELP, and everything the grammar cannot read.
    Case("help-en", STRANGER, "HELP", "en", "reply", exactly=lambda s: s.w.t("sms.help")),
    Case("help-lower", REZAEI, "help?", "en", "reply", exactly=lambda s: s.w.t("sms.help")),
    Case("help-fa", STRANGER, "راهنما", "fa", "reply", exactly=lambda s: s.w.t("sms.help")),
    Case(
        "garbage",
        REZAEI,
        "hello, is my son covered?",
        "en",
        "reply",
        exactly=lambda s: f"{s.w.t('sms.not_understood')} {s.w.t('sms.help')}",
    ),
    Case("garbage-fa", REZAEI, "سلام وقت بخیر", "fa", "reply", says=lambda s: [s.w.t("sms.help")]),
    Case("empty", REZAEI, "", "en", "reply", says=lambda s: [s.w.t("sms.help")]),
    Case("spaces-only", REZAEI, "   \n\t ", "en", "reply", says=lambda s: [s.w.t("sms.help")]),
    Case("emoji", REZAEI, "😀👍", "en", "reply", says=lambda s: [s.w.t("sms.help")]),
    Case("huge", REZAEI, "x" * 1600, "en", "reply", says=lambda s: [s.w.t("sms.help")]),
    Case(
        "huge-digits",
        REZAEI,
        "1" * 5000,
        "en",
        "reply",
        exactly=lambda s: s.w.t("error.INVALID_NATIONAL_ID.length", length="10"),
    ),
    Case(
        "control-characters",
        REZAEI,
        "\x00\x01\x1b[31m",
        "en",
        "reply",
        says=lambda s: [s.w.t("sms.help")],
    ),
    Case("code-without-number", REZAEI, "CODE", "en", "reply", says=lambda s: [s.w.t("sms.help")]),
    Case(
        "code-malformed",
        REZAEI,
        "CODE 1234",
        "en",
        "reply",
        exactly=lambda s: s.w.t("error.INVALID_TRACKING_CODE"),
    ),
    Case("no-without-notice", REZAEI, "NO", "en", "reply", says=lambda s: [s.w.t("sms.help")]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_inbound_sms(make_gateway: MakeGateway, people: list[Persona], case: Case) -> None:
    gw = await make_gateway()
    core = gw.core
    today = core.settings.today()
    body = case.body(today) if callable(case.body) else case.body
    before = await gw.answers()

    reply = await gw.text(case.sender, body)

    assert reply.status == 200
    assert reply.content_type == "text/xml"
    text = reply.message
    assert text, "every inbound SMS of these cases gets a reply"
    assert reply.segments <= case.max_segments, (reply.segments, text)
    gained = await gw.answers() - before
    assert gained == case.logged
    w = Wording(case.language)
    asker_kind, asker_id = ("provider", DEMO_PROVIDER_ID)
    if case.kind in ("insured", "family"):
        asker_kind, asker_id = ("insured", case.sender)
    logged = await core.store.answers.by_asker(asker_kind, asker_id, limit=gained) if gained else []
    seen = Seen(w, today, people, logged)
    if case.exactly is not None:
        assert text == case.exactly(seen)
    for words in case.says(seen):
        assert words in text, (words, text)
    for words in case.never(seen):
        assert words not in text, (words, text)
    if case.kind in ("insured", "provider"):
        _check_answer(case, seen, text)
    if case.kind == "reply":
        for status in Status:
            assert w.t(f"short.status.{status.value}") not in text


def _check_answer(case: Case, seen: Seen, text: str) -> None:
    """An answer quotes its logged code, status and reasons; the end date only for the insured."""
    (record,) = seen.logged
    w = seen.w
    assert record.draft.channel == "sms"
    assert w.digits(record.tracking_code.grouped()) in text
    assert w.t(f"short.status.{record.status.value}") in text
    for reason in record.reasons:
        assert w.reason(reason, short=True) in text
    if case.persona is not None:
        p = persona(seen.people, case.persona)
        assert record.draft.national_id == p.row.national_id
        assert record.status.value == p.expected_status
        if p.expected_reason:
            assert p.expected_reason in [r.code for r in record.reasons]
    cover_end = record.draft.decision.cover_end
    if case.kind == "insured":
        if cover_end is not None:
            assert seen.until(cover_end) in text
        if any(r.resolve_with for r in record.reasons):
            assert w.t("short.resolve") in text or w.t("issuer.branch") in text
    elif cover_end is not None:
        assert w.date(cover_end) not in text


async def test_identical_refusals_reveal_nothing(gateway: SmsClient) -> None:
    """A stranger gets the same words whether the id is on file, unknown or a dependent's."""
    replies = {
        (await gateway.text(STRANGER, body)).message
        for body in ("1000000011", "1000000052", "0499370899")
    }
    assert len(replies) == 1
    assert await gateway.answers() == 0


async def test_reply_language_follows_the_default(make_gateway: MakeGateway) -> None:
    """ASCII digits are answered in the first configured language; Persian script in Persian."""
    gw = await make_gateway(languages=("fa", "en"))
    fa_words = Wording("fa")
    reply = await gw.text(REZAEI, "1000000011")
    assert fa_words.t("short.status.eligible") in (reply.message or "")
    reply = await gw.text(REZAEI, "HELP")
    assert reply.message == fa_words.t("sms.help")
