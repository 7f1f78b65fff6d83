"""Inbound SMS, table-driven: each case is a signed Twilio post and what must come back.

Every case checks the HTTP answer (200, TwiML, ``text/xml``), the reply's words in the
sender's language, its SMS segment count, and what the answer log gained. A provider's reply
never holds a date of the member's; the insured are told until when, or since when not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import jdatetime
import pytest

from eligibility_gw.demo import DEMO_PROVIDER_ID, Persona
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.dates import add_months, end_of_month
from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.model import Status
from eligibility_gw.policy.disclosure import undated
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import (
    AHMADI,
    KARIMI,
    PROVIDER,
    PROVIDER_OFF,
    REZAEI,
    STRANGER,
    SmsGateway,
)

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
#: A date as replies write them (ISO, or Solar Hijri once digits are read as ASCII).
DATE = re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}")


def fa(text: str) -> str:
    """Write ASCII digits as Persian ones."""
    return text.translate(FA_DIGITS)


@dataclass(frozen=True)
class Seen:
    """What a case's expectations may refer to."""

    w: Wording
    today: date
    people: Mapping[str, Persona]
    logged: Sequence[AnswerRecord]

    def until(self, day: date) -> str:
        return self.w.t("short.label.until", date=self.w.date(day))

    def ended(self, day: date) -> str:
        return self.w.t("short.label.ended", date=self.w.date(day))

    def cover_end_of(self, key: str) -> date:
        """A principal's cover end on file."""
        end = self.people[key].row.cover_end
        assert end is not None
        return end


Words = Callable[[Seen], Sequence[str]]


def nothing(_: Seen) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class Case:
    """One inbound SMS and what must come back."""

    label: str
    sender: str
    body: Callable[[date], str] | str
    language: str = "en"
    expect_status: int = 200
    #: "insured" or "provider" (an answer about ``persona``), "family", or "reply" (no answer).
    expect_kind: str = "reply"
    persona: str | None = None
    expect_logged: int = 0
    #: The whole reply, when it is fixed.
    expect_text: Callable[[Seen], str] | None = None
    #: Words the reply holds, and words it must not.
    expect_words: Words = nothing
    never_words: Words = nothing
    max_segments: int = 1
    #: The body names a service date (a provider's reply then echoes it).
    date_typed: bool = False


def _solar(day: date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def _not_on_file(s: Seen) -> str:
    return s.w.t("sms.not_on_file", hotline=s.w.digits("1420"))


def _insured(
    label: str, sender: str, body: Callable[[date], str] | str, persona: str, **kw: object
) -> Case:
    return Case(
        label=label,
        sender=sender,
        body=body,
        expect_kind="insured",
        persona=persona,
        expect_logged=1,
        **kw,  # type: ignore[arg-type]
    )


def _provider(
    label: str, body: Callable[[date], str] | str, persona: str | None, **kw: object
) -> Case:
    return Case(
        label=label,
        sender=PROVIDER,
        body=body,
        expect_kind="provider",
        persona=persona,
        expect_logged=1,
        **kw,  # type: ignore[arg-type]
    )


CASES = [
    # The insured person's own phone: status, cover end, code.
    _insured(
        "self-en",
        REZAEI,
        "1000000011",
        "rezaei",
        expect_words=lambda s: [s.until(end_of_month(add_months(s.today, 14))), "Ali"],
    ),
    _insured(
        "self-fa-digits",
        REZAEI,
        fa("1000000011"),
        "rezaei",
        language="fa",
        expect_words=lambda s: [s.until(end_of_month(add_months(s.today, 14)))],
    ),
    _insured(
        "self-arabic-indic-digits",
        REZAEI,
        "1000000011".translate(AR_DIGITS),
        "rezaei",
        language="fa",
    ),
    _insured("self-spaces-dashes", REZAEI, "  1000-000 011 ", "rezaei"),
    _insured("self-keyword-id", REZAEI, "id 1000000011", "rezaei"),
    _insured("self-keyword-fa", REZAEI, "کد ملی " + fa("1000000011"), "rezaei", language="fa"),
    _insured("self-arabic-keyboard", REZAEI, "كد ملي 1000000011", "rezaei", language="fa"),
    _insured(
        "self-date-iso",
        REZAEI,
        lambda t: f"1000000011 {(t - timedelta(days=10)).isoformat()}",
        "rezaei",
        expect_words=lambda s: [s.w.t("sms.label.on", date=s.w.date(s.today - timedelta(days=10)))],
    ),
    _insured(
        "self-date-solar-fa",
        REZAEI,
        lambda t: fa(f"1000000011 {_solar(t - timedelta(days=20))}"),
        "rezaei",
        language="fa",
        expect_words=lambda s: [s.w.t("sms.label.on", date=s.w.date(s.today - timedelta(days=20)))],
    ),
    _insured(
        "cover-ends-today",
        KARIMI,
        "1000000079",
        "karimi",
        expect_words=lambda s: [s.until(s.today)],
    ),
    # The principal whose cover ended is told when it ended (it used to say only "no cover").
    _insured(
        "cover-ended-says-when",
        AHMADI,
        "1000000151",
        "ahmadi",
        expect_words=lambda s: [
            s.ended(s.cover_end_of("ahmadi")),
            s.w.t("short.reason.OUTSIDE_COVER_PERIOD"),
        ],
    ),
    _insured(
        "cover-ended-says-when-fa",
        AHMADI,
        fa("1000000151"),
        "ahmadi",
        language="fa",
        expect_words=lambda s: [s.ended(s.cover_end_of("ahmadi"))],
    ),
    # The principal's phone asks about dependents: the reason in words, what to bring where.
    _insured(
        "dependent-no-certificate-en",
        REZAEI,
        "1000000052",
        "rezaei-son-no-cert",
        expect_words=lambda s: [
            "Hamid",
            s.w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED"),
            "Bring the student certificate from the university to an insurance branch.",
        ],
    ),
    _insured(
        "dependent-no-certificate-fa",
        REZAEI,
        fa("1000000052"),
        "rezaei-son-no-cert",
        language="fa",
        expect_words=lambda s: [s.w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED"), "شعبه"],
    ),
    _insured(
        "dependent-birth-certificate",
        REZAEI,
        "1000000060",
        "rezaei-daughter-no-bc",
        # When her cover ended outranks where to get the certificate: one SMS holds only one.
        expect_words=lambda s: [
            s.w.t("short.reason.BIRTH_CERTIFICATE_REQUIRED"),
            s.w.t("short.resolve"),
            s.w.t("short.label.ended", date=""),
        ],
    ),
    # The insured are told the day the certificate lapsed, which ended the son's cover.
    _insured(
        "dependent-certificate-lapsed",
        KARIMI,
        "1000000087",
        "karimi-son-lapsed",
        expect_words=lambda s: [s.ended(s.today - timedelta(days=1))],
    ),
    _insured(
        "dependent-income-unknown-fa",
        KARIMI,
        fa("1000000141"),
        "karimi-wife",
        language="fa",
        expect_words=lambda s: [s.w.t("short.reason.INCOME_UNKNOWN")],
    ),
    _insured(
        "dependent-turns-19-tomorrow",
        REZAEI,
        "1000000036",
        "rezaei-son-18",
        expect_words=lambda s: [s.until(s.today)],
    ),
    _insured(
        "dependent-of-uncovered",
        AHMADI,
        "1000000168",
        "ahmadi-son",
        expect_words=lambda s: [s.w.t("short.reason.PRINCIPAL_NOT_COVERED")],
    ),
    # A provider's phone: status, undated reasons, masked name, code; never a member's date.
    _provider(
        "provider-not-eligible-en",
        "1000000052",
        "rezaei-son-no-cert",
        expect_words=lambda s: ["H*** R***", s.w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED")],
    ),
    _provider("provider-eligible-fa", fa("1000000011"), "rezaei", language="fa"),
    _provider("provider-cover-ends-today", "1000000079", "karimi"),
    # The son whose student certificate lapsed yesterday: the provider learns no date of his
    # (it used to read "student cert. expired <yesterday>").
    _provider(
        "provider-certificate-lapsed-no-date",
        "1000000087",
        "karimi-son-lapsed",
        expect_words=lambda s: [s.w.t("short.reason.STUDENT_CERTIFICATE_EXPIRED.undated")],
        never_words=lambda s: [s.w.date(s.today - timedelta(days=1))],
    ),
    _provider(
        "provider-certificate-lapsed-no-date-fa",
        fa("1000000087"),
        "karimi-son-lapsed",
        language="fa",
        never_words=lambda s: [s.w.date(s.today - timedelta(days=1))],
    ),
    _provider(
        "provider-cover-ended-no-date",
        "1000000151",
        "ahmadi",
        never_words=lambda s: [s.w.date(s.cover_end_of("ahmadi")), "ended"],
    ),
    _provider(
        "provider-with-date",
        lambda t: f"1000000011 {(t - timedelta(days=3)):%Y%m%d}",
        "rezaei",
        date_typed=True,
        expect_words=lambda s: [s.w.t("sms.label.on", date=s.w.date(s.today - timedelta(days=3)))],
    ),
    _provider(
        "provider-unknown-person",
        "0499370899",
        None,
        expect_words=lambda s: [s.w.t("short.reason.NOT_FOUND")],
    ),
    # Anyone else learns nothing about anyone: the same words whether the id exists or not.
    Case(label="stranger", sender=STRANGER, body="1000000011", expect_text=_not_on_file),
    Case(label="stranger-unknown-id", sender=STRANGER, body="0499370899", expect_text=_not_on_file),
    Case(
        label="stranger-fa",
        sender=STRANGER,
        body=fa("1000000011"),
        language="fa",
        expect_text=_not_on_file,
    ),
    Case(label="other-family", sender=AHMADI, body="1000000011", expect_text=_not_on_file),
    Case(label="family-unknown-id", sender=REZAEI, body="0499370899", expect_text=_not_on_file),
    Case(
        label="provider-deactivated",
        sender=PROVIDER_OFF,
        body="1000000011",
        expect_text=lambda s: s.w.t("sms.provider_inactive"),
    ),
    # Input the core refuses, in words.
    Case(
        label="check-digit",
        sender=REZAEI,
        body="1000000012",
        expect_text=lambda s: s.w.t("error.NATIONAL_ID_CHECK_DIGIT"),
    ),
    Case(
        label="check-digit-fa",
        sender=REZAEI,
        body=fa("1000000012"),
        language="fa",
        expect_text=lambda s: s.w.t("error.NATIONAL_ID_CHECK_DIGIT"),
    ),
    Case(
        label="check-digit-stranger",
        sender=STRANGER,
        body="1000000012",
        expect_text=lambda s: s.w.t("error.NATIONAL_ID_CHECK_DIGIT"),
    ),
    Case(
        label="too-short",
        sender=REZAEI,
        body="12345",
        expect_text=lambda s: s.w.t("error.INVALID_NATIONAL_ID.length", length="10"),
    ),
    Case(
        label="repeated-digit",
        sender=PROVIDER,
        body="1111111111",
        expect_text=lambda s: s.w.t("error.INVALID_NATIONAL_ID.repeated"),
    ),
    Case(
        label="date-out-of-range",
        sender=REZAEI,
        body="1000000011 2020-01-01",
        expect_words=lambda s: [
            s.w.date(add_months(s.today, -12)),
            s.w.date(end_of_month(s.today)),
        ],
    ),
    Case(
        label="provider-date-out-of-range",
        sender=PROVIDER,
        body="1000000011 2020-01-01",
        expect_words=lambda s: [s.w.date(end_of_month(s.today))],
    ),
    Case(
        label="no-such-date",
        sender=REZAEI,
        body="1000000011 2026-02-30",
        expect_text=lambda s: s.w.t("error.INVALID_DATE"),
    ),
    # FAMILY: one line per member the phone may see, within three SMS.
    Case(
        label="family-en",
        sender=REZAEI,
        body="FAMILY",
        expect_kind="family",
        expect_logged=6,
        max_segments=2,
        expect_words=lambda s: [
            s.w.t("sms.family.header"),
            "Ali: Covered until",
            "Hamid: NOT covered",
            "Sara: NOT covered",
            "Amir: Covered until",
        ],
    ),
    Case(
        label="family-lower-dashes",
        sender=AHMADI,
        body=" - family - ",
        expect_kind="family",
        expect_logged=2,
        expect_words=lambda s: ["Saman: NOT covered", "Arman: NOT covered"],
    ),
    Case(
        label="family-fa",
        sender=KARIMI,
        body="خانواده",
        language="fa",
        expect_kind="family",
        expect_logged=8,
        max_segments=3,
        expect_words=lambda s: [s.until(s.today)],
    ),
    Case(label="family-stranger", sender=STRANGER, body="family", expect_text=_not_on_file),
    Case(label="family-provider", sender=PROVIDER, body="FAM", expect_text=_not_on_file),
    Case(
        label="family-provider-deactivated",
        sender=PROVIDER_OFF,
        body="FAM",
        expect_text=_not_on_file,
    ),
    # HELP, and everything the grammar cannot read.
    Case(label="help-en", sender=STRANGER, body="HELP", expect_text=lambda s: s.w.t("sms.help")),
    Case(label="help-lower", sender=REZAEI, body="help?", expect_text=lambda s: s.w.t("sms.help")),
    Case(
        label="help-fa",
        sender=STRANGER,
        body="راهنما",
        language="fa",
        expect_text=lambda s: s.w.t("sms.help"),
    ),
    Case(
        label="garbage",
        sender=REZAEI,
        body="hello, is my son covered?",
        expect_text=lambda s: f"{s.w.t('sms.not_understood')} {s.w.t('sms.help')}",
    ),
    Case(
        label="garbage-fa",
        sender=REZAEI,
        body="سلام وقت بخیر",
        language="fa",
        expect_words=lambda s: [s.w.t("sms.help")],
    ),
    Case(label="empty", sender=REZAEI, body="", expect_words=lambda s: [s.w.t("sms.help")]),
    Case(
        label="spaces-only",
        sender=REZAEI,
        body="   \n\t ",
        expect_words=lambda s: [s.w.t("sms.help")],
    ),
    Case(label="emoji", sender=REZAEI, body="😀👍", expect_words=lambda s: [s.w.t("sms.help")]),
    Case(label="huge", sender=REZAEI, body="x" * 1600, expect_words=lambda s: [s.w.t("sms.help")]),
    Case(
        label="huge-digits",
        sender=REZAEI,
        body="1" * 5000,
        expect_text=lambda s: s.w.t("error.INVALID_NATIONAL_ID.length", length="10"),
    ),
    Case(
        label="control-characters",
        sender=REZAEI,
        body="\x00\x01\x1b[31m",
        expect_words=lambda s: [s.w.t("sms.help")],
    ),
    Case(
        label="code-without-number",
        sender=REZAEI,
        body="CODE",
        expect_words=lambda s: [s.w.t("sms.help")],
    ),
    Case(
        label="code-malformed",
        sender=REZAEI,
        body="CODE 1234",
        expect_text=lambda s: s.w.t("error.INVALID_TRACKING_CODE"),
    ),
    Case(
        label="no-without-notice",
        sender=REZAEI,
        body="NO",
        expect_text=lambda s: f"{s.w.t('sms.not_understood')} {s.w.t('sms.help')}",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
async def test_inbound_sms(gateway: SmsGateway, case: Case) -> None:
    today = gateway.settings.today()
    body = case.body(today) if callable(case.body) else case.body
    before = await gateway.answers()

    reply = await gateway.text(case.sender, body)

    assert reply.status == case.expect_status
    assert reply.content_type == "text/xml"
    text = reply.message
    assert text, "every inbound SMS of these cases gets a reply"
    assert reply.segments <= case.max_segments, (reply.segments, text)
    gained = await gateway.answers() - before
    assert gained == case.expect_logged
    w = Wording(case.language)
    asker_kind, asker_id = ("provider", DEMO_PROVIDER_ID)
    if case.expect_kind in ("insured", "family"):
        asker_kind, asker_id = ("insured", case.sender)
    logged = await gateway.answers_to(asker_kind, asker_id, limit=gained) if gained else []
    seen = Seen(w, today, gateway.gw.people, logged)
    if case.expect_text is not None:
        assert text == case.expect_text(seen)
    for words in case.expect_words(seen):
        assert words in text, (words, text)
    for words in case.never_words(seen):
        assert words not in text, (words, text)
    if case.expect_kind in ("insured", "provider"):
        _check_answer(case, seen, text)
    if case.expect_kind == "reply":
        for status in Status:
            assert w.t(f"short.status.{status.value}") not in text


def _check_answer(case: Case, seen: Seen, text: str) -> None:
    """An answer quotes its logged code, status and reasons; the member's dates only to the
    insured."""
    (record,) = seen.logged
    w = seen.w
    assert record.draft.channel == "sms"
    assert record.draft.asker_kind == case.expect_kind
    assert w.digits(record.tracking_code.grouped()) in text
    assert w.t(f"short.status.{record.status.value}") in text
    if case.persona is not None:
        p = seen.people[case.persona]
        assert record.draft.national_id == p.row.national_id
        assert record.status.value == p.expected_status
        if p.expected_reason:
            assert p.expected_reason in [r.code for r in record.reasons]
    cover_end = record.draft.decision.cover_end
    if case.expect_kind == "insured":
        if cover_end is not None:
            assert seen.until(cover_end) in text
        if any(r.resolve_with for r in record.reasons):
            assert w.t("short.resolve") in text or w.t("issuer.branch") in text
        return
    for reason in record.reasons:
        assert w.reason(undated(reason), short=True) in text
    if not case.date_typed:
        # No date at all: neither a cover end, nor the day a certificate lapsed or cover ended.
        assert DATE.search(ascii_digits(text)) is None, text


async def test_identical_refusals_reveal_nothing(gateway: SmsGateway) -> None:
    """A stranger gets the same words whether the id is on file, unknown or a dependent's."""
    replies = {
        (await gateway.text(STRANGER, body)).message
        for body in ("1000000011", "1000000052", "0499370899")
    }
    assert len(replies) == 1
    assert await gateway.answers() == 0


async def test_another_familys_phone_gets_the_strangers_words(gateway: SmsGateway) -> None:
    """An insured phone refused by the policy reads exactly what an unknown phone reads."""
    refused = (await gateway.text(AHMADI, "1000000052")).message
    unknown = (await gateway.text(AHMADI, "0499370899")).message
    stranger = (await gateway.text(STRANGER, "1000000052")).message
    assert refused == unknown == stranger
    assert await gateway.answers() == 0


async def test_a_deactivated_providers_phone_on_file_asks_as_insured(make_sms: MakeSms) -> None:
    """A phone both deactivated provider and insured principal is answered as the insured."""
    gw = await make_sms()
    await gw.gw.add_provider("karimi-clinic", phone=KARIMI, active=False)
    reply = await gw.text(KARIMI, "1000000087")
    text = reply.message or ""
    yesterday = gw.settings.today() - timedelta(days=1)
    assert Wording("en").t("short.label.ended", date=yesterday.isoformat()) in text
    (record,) = await gw.answers_to("insured", KARIMI, limit=1)
    assert record.draft.national_id == "1000000087"


async def test_reply_language_follows_the_default(make_sms: MakeSms) -> None:
    """ASCII digits are answered in the first configured language; Persian script in Persian."""
    gw = await make_sms(languages=("fa", "en"))
    fa_words = Wording("fa")
    reply = await gw.text(REZAEI, "1000000011")
    assert fa_words.t("short.status.eligible") in (reply.message or "")
    reply = await gw.text(REZAEI, "HELP")
    assert reply.message == fa_words.t("sms.help")


@pytest.mark.parametrize(
    ("sender", "body", "kind"),
    [(REZAEI, "1000000052", "insured"), (PROVIDER, "1000000087", "provider")],
    ids=["insured", "provider"],
)
async def test_answers_on_sqlite(make_sms: MakeSms, sender: str, body: str, kind: str) -> None:
    """End to end on a real SQLite file: answered, logged under the asker, the view kept."""
    gw = await make_sms(store="sqlite")
    reply = await gw.text(sender, body)
    (record,) = await gw.answers_to(kind, sender if kind == "insured" else DEMO_PROVIDER_ID)
    text = reply.message or ""
    assert record.tracking_code.grouped() in text
    assert (DATE.search(text) is None) == (kind == "provider"), text
