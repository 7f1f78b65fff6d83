"""Delivery status callbacks: Twilio's signed posts move an outbound message's status on.

Messages are sent by the core's sender (towards the fake Twilio); the channel's status route
records what Twilio says of them in ``SMS_RECORDS``, on the gateway's own store.
"""

from __future__ import annotations

import pytest

from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import ACCOUNT_SID, REZAEI, STATUS, SmsGateway, new_sid


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_status_callbacks_are_recorded_per_message(make_sms: MakeSms, store: str) -> None:
    gw = await make_sms(store=store)
    sent = await gw.sender.send(REZAEI, "hello", "reminder")
    for status in ("sent", "delivered", "sending", "queued"):
        form = {"MessageSid": sent.message_sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        assert (await gw.post(form, path=STATUS)).status == 204
    other = await gw.sender.send(REZAEI, "hello again", "reminder")
    failed = {"MessageSid": other.message_sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert (await gw.post(failed, path=STATUS)).status == 204

    first = await gw.store.sms.outbound(sent.message_sid)
    events = await gw.store.sms.status_events(sent.message_sid)
    second = await gw.store.sms.outbound(other.message_sid)
    assert first is not None
    assert first.status == "delivered"  # late "sending" and "queued" do not undo it
    assert [e.status for e in events] == ["sent", "delivered", "sending", "queued"]
    assert second is not None
    assert (second.status, second.error_code) == ("undelivered", "30003")


async def test_sms_status_is_accepted_for_message_status(gateway: SmsGateway) -> None:
    """Older callbacks name it ``SmsStatus``."""
    sent = await gateway.sender.send(REZAEI, "hello", "reminder")
    form = {"MessageSid": sent.message_sid, "SmsStatus": "delivered"}
    assert (await gateway.post(form, path=STATUS)).status == 204
    found = await gateway.store.sms.outbound(sent.message_sid)
    assert found is not None and found.status == "delivered"


async def test_status_callback_for_an_unknown_message(gateway: SmsGateway) -> None:
    sid = new_sid()
    reply = await gateway.post({"MessageSid": sid, "MessageStatus": "sent"}, path=STATUS)
    assert reply.status == 204
    assert [e.status for e in await gateway.store.sms.status_events(sid)] == ["sent"]
    assert await gateway.store.sms.outbound(sid) is None


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
async def test_malformed_status_callbacks_get_400(
    gateway: SmsGateway, form: dict[str, str]
) -> None:
    assert (await gateway.post(form, path=STATUS)).status == 400


async def test_records_that_cannot_answer_get_503(
    gateway: SmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio retries a callback answered 503; nothing is lost, nothing crashes."""
    from eligibility_gw.ports import StoreUnavailable

    async def down(*_args: object) -> bool:
        raise StoreUnavailable("pool")

    monkeypatch.setattr(gateway.store.sms, "record_status", down)
    form = {"MessageSid": new_sid(), "MessageStatus": "sent"}
    assert (await gateway.post(form, path=STATUS)).status == 503
