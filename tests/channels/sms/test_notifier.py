"""Outbound SMS: Twilio's real async client against a local fake of its REST API."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from eligibility_gw.adapters.sqlite.sms import open_sqlite_sms_records
from eligibility_gw.channels.sms import SMS_NOTIFIER
from eligibility_gw.channels.sms.notifier import SmsNotConfigured, SmsSendError
from tests.channels.sms.conftest import MakeGateway
from tests.channels.sms.support import (
    ACCOUNT_SID,
    PUBLIC,
    REZAEI,
    SHORT_NUMBER,
    STATUS,
    TOKEN,
    FakeTwilio,
    SmsClient,
    new_sid,
)


async def test_send_posts_the_form_twilio_expects(
    gateway: SmsClient, fake_twilio: FakeTwilio, db_path: Path
) -> None:
    notifier = gateway.app[SMS_NOTIFIER]
    sent = await notifier.send(REZAEI, "سلام: your reminder", "reminder", reference="ref-1")
    assert sent.attempts == 1
    assert sent.status == "queued"
    assert sent.message_sid == fake_twilio.created[0]
    (posted,) = fake_twilio.posts
    assert posted == {
        "To": REZAEI,
        "From": SHORT_NUMBER,
        "Body": "سلام: your reminder",
        "StatusCallback": PUBLIC + STATUS,
    }
    assert fake_twilio.accounts == [ACCOUNT_SID]
    basic = base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()
    assert fake_twilio.authorizations == [f"Basic {basic}"]
    records = await open_sqlite_sms_records(db_path)
    try:
        stored = await records.outbound(sent.message_sid)
    finally:
        await records.close()
    assert stored is not None
    assert (stored.to_phone, stored.purpose, stored.reference) == (REZAEI, "reminder", "ref-1")
    assert (stored.status, stored.attempts) == ("queued", 1)


@pytest.mark.parametrize(
    ("failures", "attempts"),
    [([503], 2), ([429, 500], 3), ([502, 504], 3)],
    ids=["503-then-ok", "429-500-then-ok", "502-504-then-ok"],
)
async def test_transient_failures_are_retried(
    gateway: SmsClient, fake_twilio: FakeTwilio, failures: list[int], attempts: int
) -> None:
    fake_twilio.fail_with = list(failures)
    sent = await gateway.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")
    assert sent.attempts == attempts
    assert len(fake_twilio.posts) == attempts
    assert all(p == fake_twilio.posts[0] for p in fake_twilio.posts)


async def test_a_refusal_is_not_retried(gateway: SmsClient, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_with = [400]
    with pytest.raises(SmsSendError) as caught:
        await gateway.app[SMS_NOTIFIER].send("+15005550001", "hello", "reminder")
    assert caught.value.status == 400
    assert len(fake_twilio.posts) == 1


async def test_retries_give_up(gateway: SmsClient, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_with = [503, 503, 503, 503]
    with pytest.raises(SmsSendError) as caught:
        await gateway.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")
    assert caught.value.status == 503
    assert len(fake_twilio.posts) == 3


async def test_each_attempt_has_a_deadline(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio
) -> None:
    gw = await make_gateway(send_timeout_ms=100, send_attempts=2)
    fake_twilio.delay = 0.4
    with pytest.raises(SmsSendError) as caught:
        await gw.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert len(fake_twilio.posts) == 2


async def test_unreachable_api_is_retried_then_fails(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(api_base_url="http://127.0.0.1:9", send_attempts=2)
    with pytest.raises(SmsSendError):
        await gw.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")


async def test_messaging_service_as_sender(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio
) -> None:
    service = "MG" + "3" * 32
    gw = await make_gateway(from_number="", messaging_service_sid=service)
    await gw.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")
    assert fake_twilio.posts[0]["MessagingServiceSid"] == service
    assert "From" not in fake_twilio.posts[0]


async def test_not_configured_says_so(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(account_sid="")
    notifier = gw.app[SMS_NOTIFIER]
    assert not notifier.ready
    with pytest.raises(SmsNotConfigured):
        await notifier.send(REZAEI, "hello", "reminder")


async def test_status_callbacks_are_recorded_per_message(gateway: SmsClient, db_path: Path) -> None:
    sent = await gateway.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")
    for status, error in (("sent", ""), ("delivered", ""), ("sending", ""), ("queued", "")):
        form = {"MessageSid": sent.message_sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        if error:
            form["ErrorCode"] = error
        reply = await gateway.post(form, path=STATUS)
        assert reply.status == 204
    other = await gateway.app[SMS_NOTIFIER].send(REZAEI, "hello again", "reminder")
    failed = {"MessageSid": other.message_sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert (await gateway.post(failed, path=STATUS)).status == 204

    records = await open_sqlite_sms_records(db_path)
    try:
        first = await records.outbound(sent.message_sid)
        events = await records.status_events(sent.message_sid)
        second = await records.outbound(other.message_sid)
    finally:
        await records.close()
    assert first is not None
    assert first.status == "delivered"  # late "sending" and "queued" do not undo it
    assert [e.status for e in events] == ["sent", "delivered", "sending", "queued"]
    assert second is not None
    assert (second.status, second.error_code) == ("undelivered", "30003")


async def test_status_callback_for_an_unknown_message(gateway: SmsClient, db_path: Path) -> None:
    sid = new_sid()
    assert (
        await gateway.post({"MessageSid": sid, "MessageStatus": "sent"}, path=STATUS)
    ).status == 204
    records = await open_sqlite_sms_records(db_path)
    try:
        assert [e.status for e in await records.status_events(sid)] == ["sent"]
        assert await records.outbound(sid) is None
    finally:
        await records.close()


@pytest.mark.parametrize(
    "form",
    [
        {"MessageSid": "not-a-sid", "MessageStatus": "sent"},
        {"MessageStatus": "sent"},
        {"MessageSid": "SM" + "a" * 32},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "<script>"},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "failed", "ErrorCode": "x" * 40},
    ],
    ids=["bad-sid", "no-sid", "no-status", "bad-status", "bad-error-code"],
)
async def test_malformed_status_callbacks_get_400(gateway: SmsClient, form: dict[str, str]) -> None:
    assert (await gateway.post(form, path=STATUS)).status == 400


async def test_region_and_edge_settings_still_reach_the_fake(
    make_gateway: MakeGateway, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio's client rewrites its host for TWILIO_REGION/TWILIO_EDGE: tests stay local."""
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    gw = await make_gateway()
    await gw.app[SMS_NOTIFIER].send(REZAEI, "hello", "reminder")
    assert len(fake_twilio.posts) == 1
