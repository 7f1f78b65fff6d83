"""Check notices: the insured person hears of a provider's check, and may answer NO."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from eligibility_gw.adapters.sqlite.sms import open_sqlite_sms_records
from eligibility_gw.channels.sms import SMS_NOTIFIER
from eligibility_gw.channels.sms.replies import check_notice
from eligibility_gw.demo import DEMO_PROVIDER_ID
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeGateway
from tests.channels.sms.support import (
    KARIMI,
    PROVIDER,
    REZAEI,
    STRANGER,
    FakeTwilio,
    SmsClient,
    new_sid,
)

EN = Wording("en")
FA = Wording("fa")


async def _provider_checks(gw: SmsClient, body: str) -> str:
    """The tracking code of a provider's check, once its notice (if any) is sent."""
    reply = await gw.text(PROVIDER, body)
    assert reply.message and reply.segments == 1
    await gw.app[SMS_NOTIFIER].drain()
    (record,) = await gw.core.store.answers.by_asker("provider", DEMO_PROVIDER_ID, limit=1)
    return record.tracking_code.digits


async def test_the_principal_hears_of_a_dependents_check(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio, db_path: Path
) -> None:
    gw = await make_gateway(notify_checked=True)
    code = await _provider_checks(gw, "1000000052")
    today = gw.core.settings.today()
    (posted,) = fake_twilio.posts
    assert posted["To"] == REZAEI  # Hamid has no phone of his own
    assert posted["Body"] == check_notice(EN, "Hamid", "Demo Pharmacy", today)
    assert sms_segments(posted["Body"]) == 1
    records = await open_sqlite_sms_records(db_path)
    try:
        (notice,) = [
            m for m in [await records.outbound(sid) for sid in fake_twilio.created] if m is not None
        ]
    finally:
        await records.close()
    assert (notice.purpose, notice.reference, notice.to_phone) == ("check_notice", code, REZAEI)


async def test_one_notice_a_day_per_person_and_provider(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio
) -> None:
    gw = await make_gateway(notify_checked=True)
    await _provider_checks(gw, "1000000052")
    await _provider_checks(gw, "1000000052")
    await _provider_checks(gw, "1000000011")  # another person: a notice of its own
    assert [p["Body"].split()[3] for p in fake_twilio.posts] == ["Hamid", "Ali"]


async def test_no_notice_without_the_setting_or_a_member(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio
) -> None:
    gw = await make_gateway()
    await _provider_checks(gw, "1000000052")
    gw2 = await make_gateway(notify_checked=True)
    await _provider_checks(gw2, "0499370899")  # nobody has this id
    await gw2.text(REZAEI, "1000000011")  # people asking about themselves are not told
    await gw2.app[SMS_NOTIFIER].drain()
    assert fake_twilio.posts == []


async def test_reply_no_records_a_report(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio, db_path: Path
) -> None:
    gw = await make_gateway(notify_checked=True, hotline="1420")
    code = await _provider_checks(gw, "1000000011")
    sid = new_sid()
    reply = await gw.text(REZAEI, "No", sid)
    assert reply.message == EN.t("sms.no.thanks", hotline="1420")
    assert reply.segments == 1
    again = await gw.text(REZAEI, "No", sid)  # redelivered: one report
    assert again.body == reply.body
    records = await open_sqlite_sms_records(db_path)
    try:
        (report,) = await records.reports()
    finally:
        await records.close()
    assert (report.phone, report.tracking_code, report.inbound_sid) == (REZAEI, code, sid)


async def test_no_from_a_phone_never_told_is_not_a_report(
    make_gateway: MakeGateway, db_path: Path
) -> None:
    gw = await make_gateway(notify_checked=True)
    await _provider_checks(gw, "1000000011")
    for sender in (KARIMI, STRANGER):
        reply = await gw.text(sender, "NO")
        assert reply.message and EN.t("sms.help") in reply.message
    records = await open_sqlite_sms_records(db_path)
    try:
        assert await records.reports() == []
    finally:
        await records.close()


async def test_notice_and_no_in_persian(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio, db_path: Path
) -> None:
    gw = await make_gateway(languages=("fa", "en"), notify_checked=True)
    await _provider_checks(gw, "1000000079")
    today = gw.core.settings.today()
    (posted,) = fake_twilio.posts
    assert posted["To"] == KARIMI
    assert posted["Body"] == check_notice(FA, "Hossein", "Demo Pharmacy", today)
    assert sms_segments(posted["Body"]) <= 2
    reply = await gw.text(KARIMI, "نه")
    assert reply.message == FA.t("sms.no.thanks", hotline=FA.digits("1420"))
    assert reply.segments == 1


async def test_a_failed_notice_does_not_touch_the_providers_answer(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio
) -> None:
    gw = await make_gateway(notify_checked=True)
    fake_twilio.fail_with = [400]
    with capture_logs() as logs:
        await _provider_checks(gw, "1000000011")
    assert "sms_send_failed" in [e["event"] for e in logs]
