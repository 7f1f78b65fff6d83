"""Check notices seen through SMS: the core tells the phone of a provider's check (through the
real Twilio adapter, to a fake of Twilio's REST API), and a NO sent back is recorded.

The notices themselves (who is told, how often) are the core's, tested in
``tests/integration/test_inquiries.py``; here, that an SMS check raises one like any other,
and that the channel hears the NO, whatever else the phone sent before.
"""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from eligibility_gw.demo import DEMO_PROVIDER_ID
from eligibility_gw.notices import NOTICE_PURPOSE, check_notice_text
from eligibility_gw.policy.askers import Asker
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import (
    AHMADI,
    KARIMI,
    PROVIDER,
    REZAEI,
    STRANGER,
    FakeTwilio,
    SmsGateway,
    new_sid,
)

EN = Wording("en")
FA = Wording("fa")
NOTICES: dict[str, Any] = {"check_notices": True}


async def _provider_checks(gw: SmsGateway, body: str) -> str:
    """The tracking code of a provider's SMS check, once its notice (if any) is sent."""
    reply = await gw.text(PROVIDER, body)
    assert reply.message and reply.segments == 1
    await gw.sender.drain()
    (record,) = await gw.answers_to("provider", DEMO_PROVIDER_ID, limit=1)
    return record.tracking_code.digits


async def test_a_minors_check_is_told_to_the_principal_through_twilio(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    """Arman (seven, no phone of his own) is checked by SMS: his father's phone is told."""
    gw = await make_sms(notices=NOTICES)
    code = await _provider_checks(gw, gw.nid("ahmadi-son"))
    today = gw.settings.today()
    (posted,) = fake_twilio.posts
    assert posted["To"] == AHMADI
    assert posted["Body"] == check_notice_text(EN, "Arman", "Demo Pharmacy", today)
    assert sms_segments(posted["Body"]) == 1
    assert posted["StatusCallback"] == "https://gw.example.org/channels/sms/twilio/status"
    (sid,) = fake_twilio.created
    notice = await gw.store.sms.outbound(sid)
    assert notice is not None
    assert (notice.purpose, notice.reference, notice.to_phone) == (NOTICE_PURPOSE, code, AHMADI)


async def test_an_adults_check_is_told_to_nobody(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    """Hamid is nineteen and has no phone: his father is not told of his pharmacy visits."""
    gw = await make_sms(notices=NOTICES)
    await _provider_checks(gw, gw.nid("rezaei-son-no-cert"))
    assert fake_twilio.posts == []


async def test_one_notice_per_person_and_provider(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    gw = await make_sms(notices=NOTICES)
    await _provider_checks(gw, gw.nid("ahmadi-son"))
    await _provider_checks(gw, gw.nid("ahmadi-son"))
    await _provider_checks(gw, gw.nid("rezaei"))  # another person: a notice of its own
    assert [p["To"] for p in fake_twilio.posts] == [AHMADI, REZAEI]


async def test_no_notice_without_the_setting_or_a_member(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    gw = await make_sms()
    await _provider_checks(gw, gw.nid("ahmadi-son"))
    gw2 = await make_sms(notices=NOTICES)
    await _provider_checks(gw2, "0499370899")  # nobody has this id
    await gw2.text(REZAEI, "1000000011")  # people asking about themselves are not told
    await gw2.sender.drain()
    assert fake_twilio.posts == []


async def test_reply_no_records_a_report(make_sms: MakeSms) -> None:
    gw = await make_sms(notices=NOTICES, sms={"hotline": "1420"})
    code = await _provider_checks(gw, gw.nid("rezaei"))
    sid = new_sid()
    reply = await gw.text(REZAEI, "No", sid)
    assert reply.message == EN.t("sms.no.thanks", hotline="1420")
    assert reply.segments == 1
    again = await gw.text(REZAEI, "No", sid)  # redelivered: one report
    assert again.body == reply.body
    (report,) = await gw.store.sms.reports()
    assert (report.phone, report.tracking_code, report.inbound_sid) == (REZAEI, code, sid)
    staff_see = await gw.inquiries.reported_checks(Asker.for_staff("supervisor"))
    assert [r.check.tracking_code.digits for r in staff_see if r.check] == [code]


async def test_no_after_the_sender_limit_is_recorded_and_thanked(make_sms: MakeSms) -> None:
    """Eleven messages use up the sender's ten; the NO that follows still counts.

    (It used to meet the sender limit first: no reply, and no report.)
    """
    gw = await make_sms(notices=NOTICES, sms={"inquiries_per_sender": 10})
    code = await _provider_checks(gw, gw.nid("ahmadi-son"))
    for _ in range(11):
        await gw.text(AHMADI, "HELP")
    assert (await gw.text(AHMADI, "HELP")).message is None  # the limit holds for the rest
    sid = new_sid()
    reply = await gw.text(AHMADI, "NO", sid)
    assert reply.message == EN.t("sms.no.thanks", hotline="1420")
    (report,) = await gw.store.sms.reports()
    assert (report.phone, report.tracking_code, report.inbound_sid) == (AHMADI, code, sid)


async def test_no_from_a_phone_never_told_is_not_a_report(make_sms: MakeSms) -> None:
    gw = await make_sms(notices=NOTICES)
    await _provider_checks(gw, gw.nid("ahmadi-son"))
    for sender in (KARIMI, STRANGER):
        reply = await gw.text(sender, "NO")
        assert reply.message and EN.t("sms.help") in reply.message
    assert await gw.store.sms.reports() == []


async def test_a_no_without_a_notice_counts_against_the_sender(make_sms: MakeSms) -> None:
    """Only a NO that answers a notice passes the flood guard; others are messages like any."""
    gw = await make_sms(sms={"inquiries_per_sender": 2})
    for _ in range(2):
        assert EN.t("sms.help") in ((await gw.text(STRANGER, "NO")).message or "")
    over = await gw.text(STRANGER, "NO")
    assert (over.message or "").startswith("Too many messages from this phone.")


async def test_notice_and_no_in_persian(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    gw = await make_sms(languages=("fa", "en"), notices=NOTICES)
    await _provider_checks(gw, gw.nid("ahmadi-son"))
    today = gw.settings.today()
    (posted,) = fake_twilio.posts
    assert posted["To"] == AHMADI
    assert posted["Body"] == check_notice_text(FA, "Arman", "Demo Pharmacy", today)
    assert sms_segments(posted["Body"]) <= 2
    reply = await gw.text(AHMADI, "نه")
    assert reply.message == FA.t("sms.no.thanks", hotline=FA.digits("1420"))
    assert reply.segments == 1
    assert len(await gw.store.sms.reports()) == 1


async def test_a_failed_notice_does_not_touch_the_providers_answer(
    make_sms: MakeSms, fake_twilio: FakeTwilio
) -> None:
    gw = await make_sms(notices=NOTICES)
    fake_twilio.fail_with = [400]
    with capture_logs() as logs:
        await _provider_checks(gw, gw.nid("ahmadi-son"))
    assert "sms_send_failed" in [e["event"] for e in logs]
    assert await gw.answers() == 1


async def test_notices_on_sqlite(make_sms: MakeSms, fake_twilio: FakeTwilio) -> None:
    """End to end on a real SQLite file: the notice is kept there, and the NO refers to it."""
    gw = await make_sms(store="sqlite", notices=NOTICES)
    code = await _provider_checks(gw, gw.nid("ahmadi-son"))
    (sid,) = fake_twilio.created
    notice = await gw.store.sms.outbound(sid)
    assert notice is not None and notice.reference == code
    assert (await gw.text(AHMADI, "no")).message == EN.t("sms.no.thanks", hotline="1420")
    (report,) = await gw.store.sms.reports()
    assert report.tracking_code == code
