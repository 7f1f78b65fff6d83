"""CODE <tracking code>: the recorded answer, only for the sender that received it, in the
view it was given in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eligibility_gw.demo import DEMO_PROVIDER_ID
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import AHMADI, KARIMI, PROVIDER, REZAEI, STRANGER, SmsGateway

EN = Wording("en")
FA = Wording("fa")


async def _code_of(gateway: SmsGateway, kind: str, asker: str) -> TrackingCode:
    (record,) = await gateway.answers_to(kind, asker, limit=1)
    return record.tracking_code


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: f"CODE {c.grouped()}",
        lambda c: f"code {c.digits}",
        lambda c: f"Code: {c.grouped(' ')}",
        lambda c: f"TRACK {c.grouped()}",
        lambda c: "کد " + FA.digits(c.grouped()),
        lambda c: "کد رهگیری " + FA.digits(c.digits),
    ],
    ids=["grouped", "digits", "spaces", "track", "fa-keyword", "fa-two-words"],
)
async def test_provider_gets_its_recorded_answer(gateway: SmsGateway, typed: object) -> None:
    await gateway.text(PROVIDER, "1000000052")
    code = await _code_of(gateway, "provider", DEMO_PROVIDER_ID)
    assert callable(typed)
    body = typed(code)
    reply = await gateway.text(PROVIDER, body)
    w = FA if "کد" in body else EN
    text = reply.message or ""
    assert w.digits(code.grouped()) in text
    assert w.t("short.status.not_eligible") in text
    assert w.t("short.reason.STUDENT_CERTIFICATE_REQUIRED") in text
    today = gateway.settings.today()
    assert w.t("sms.label.on", date=w.date(today)) in text
    assert reply.segments == 1
    assert await gateway.answers() == 1  # looking up is not a new answer


async def test_insured_gets_the_end_date_again(gateway: SmsGateway) -> None:
    await gateway.text(KARIMI, "1000000079")
    code = await _code_of(gateway, "insured", KARIMI)
    reply = await gateway.text(KARIMI, "کد " + FA.digits(code.grouped()))
    text = reply.message or ""
    today = gateway.settings.today()
    assert FA.t("short.label.until", date=FA.date(today)) in text
    assert FA.digits(code.grouped()) in text
    assert reply.segments == 1


async def test_family_codes_can_be_looked_up(gateway: SmsGateway) -> None:
    await gateway.text(REZAEI, "FAMILY")
    records = await gateway.answers_to("insured", REZAEI, limit=10)
    assert len(records) == 6
    hamid = next(r for r in records if r.draft.national_id == "1000000052")
    reply = await gateway.text(REZAEI, f"CODE {hamid.tracking_code.grouped()}")
    assert EN.t("short.reason.STUDENT_CERTIFICATE_REQUIRED") in (reply.message or "")


async def test_nobody_else_learns_an_answer_by_its_code(gateway: SmsGateway) -> None:
    await gateway.text(PROVIDER, "1000000011")
    code = await _code_of(gateway, "provider", DEMO_PROVIDER_ID)
    unknown = EN.t("error.TRACKING_CODE_UNKNOWN")
    for sender in (REZAEI, STRANGER, KARIMI):
        assert (await gateway.text(sender, f"CODE {code.grouped()}")).message == unknown
    never_given = TrackingCode.new()
    while never_given == code:
        never_given = TrackingCode.new()
    assert (await gateway.text(PROVIDER, f"CODE {never_given.grouped()}")).message == unknown


async def test_a_mistyped_code_is_caught_by_its_check_digit(gateway: SmsGateway) -> None:
    await gateway.text(PROVIDER, "1000000011")
    code = (await _code_of(gateway, "provider", DEMO_PROVIDER_ID)).digits
    typo = code[:5] + str((int(code[5]) + 1) % 10) + code[6:]
    reply = await gateway.text(PROVIDER, f"CODE {typo}")
    assert reply.message == EN.t("error.INVALID_TRACKING_CODE")


async def test_a_provider_reads_no_date_of_the_member_again(gateway: SmsGateway) -> None:
    """The log keeps the day a certificate lapsed; a provider's recorded answer never says it."""
    await gateway.text(PROVIDER, "1000000087")
    code = await _code_of(gateway, "provider", DEMO_PROVIDER_ID)
    reply = await gateway.text(PROVIDER, f"CODE {code.grouped()}")
    text = reply.message or ""
    today = gateway.settings.today()
    assert EN.t("short.reason.STUDENT_CERTIFICATE_EXPIRED.undated") in text
    assert (
        EN.t("sms.label.on", date=today.isoformat()) in text
    )  # the service date is the provider's
    assert (today - timedelta(days=1)).isoformat() not in text


async def test_a_deactivated_provider_reads_its_answers_no_more(make_sms: MakeSms) -> None:
    gw = await make_sms()
    await gw.text(PROVIDER, "1000000011")
    code = await _code_of(gw, "provider", DEMO_PROVIDER_ID)
    await gw.store.providers.set_active(DEMO_PROVIDER_ID, False)
    reply = await gw.text(PROVIDER, f"CODE {code.grouped()}")
    assert reply.message == EN.t("error.TRACKING_CODE_UNKNOWN")


async def test_the_insured_reads_a_recorded_refusal(gateway: SmsGateway) -> None:
    await gateway.text(AHMADI, "1000000151")
    code = await _code_of(gateway, "insured", AHMADI)
    reply = await gateway.text(AHMADI, f"CODE {code.grouped()}")
    text = reply.message or ""
    assert EN.t("short.status.not_eligible") in text
    assert EN.t("short.reason.OUTSIDE_COVER_PERIOD") in text
    assert reply.segments == 1
