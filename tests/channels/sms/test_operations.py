"""Operating the channel: no personal data in logs, load shedding in words, clean shutdown."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from eligibility_gw.logs import redact
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import (
    KARIMI,
    PROVIDER,
    REZAEI,
    STATUS,
    STRANGER,
    SmsGateway,
    new_sid,
    twilio_form,
)

PERSONAL = ["1000000052", "1000000011", "1000000079", "Hamid", "Rezaei", "Karimi", "Hossein"]
PHONES = [REZAEI, KARIMI, PROVIDER, STRANGER]


async def test_logs_hold_no_phone_id_name_or_body(gateway: SmsGateway) -> None:
    with capture_logs() as logs:
        await gateway.text(REZAEI, "1000000052")
        await gateway.text(PROVIDER, "1000000052 2026-11-20")
        await gateway.text(STRANGER, "1000000011")
        await gateway.text(KARIMI, "FAMILY")
        await gateway.text(KARIMI, "secret words Hossein")
        await gateway.post(twilio_form(REZAEI, "1000000011"), signature="forged")
    assert logs
    for event in logs:
        assert "body" not in event
        assert "text" not in event
        rendered = repr(redact(None, "", dict[str, Any](event)))
        for value in [*PERSONAL, *PHONES, "secret words"]:
            assert value not in rendered, (value, rendered)


async def test_shed_sms_are_answered_busy_in_the_senders_language(make_sms: MakeSms) -> None:
    gw = await make_sms(server={"max_in_flight": 0})
    reply = await gw.text(REZAEI, "۱۰۰۰۰۰۰۰۱۱")
    assert reply.status == 200
    assert reply.message == Wording("fa").t("sms.busy")
    assert reply.segments == 1
    assert (await gw.text(REZAEI, "1000000011")).message == Wording("en").t("sms.busy")
    assert (await gw.post(twilio_form(REZAEI, "HELP"), signature="forged")).status == 403
    status = await gw.post({"MessageSid": new_sid(), "MessageStatus": "sent"}, path=STATUS)
    assert status.status == 503
    assert await gw.answers() == 0


async def test_a_failure_inside_gets_words_not_a_traceback(
    gateway: SmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_phone: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(gateway.store.registry, "people_by_phone", broken)
    with capture_logs() as logs:
        reply = await gateway.text(REZAEI, "1000000011")
    assert reply.status == 200
    assert reply.message == Wording("en").t("reason.REGISTRY_UNAVAILABLE")
    (failed,) = [e for e in logs if e["event"] == "sms_failed"]
    assert failed["error"] == "RuntimeError"
    assert "boom" not in repr(failed)


async def test_a_store_that_cannot_answer_is_told_politely(
    gateway: SmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's one error is "cannot answer now": words, a 200, and no failure logged."""

    async def down(*_args: object) -> None:
        raise StoreUnavailable("disk")

    monkeypatch.setattr(gateway.store.registry, "people_by_phone", down)
    with capture_logs() as logs:
        reply = await gateway.text(REZAEI, "1000000011")
    assert reply.status == 200
    assert reply.message == Wording("en").t("reason.REGISTRY_UNAVAILABLE")
    events = [e["event"] for e in logs]
    assert "sms_store_unavailable" in events
    assert "sms_failed" not in events


async def test_a_no_is_answered_politely_when_the_records_are_down(
    gateway: SmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_args: object) -> None:
        raise StoreUnavailable("pool")

    monkeypatch.setattr(gateway.store.sms, "latest_outbound", down)
    reply = await gateway.text(REZAEI, "نه")
    assert reply.message == Wording("fa").t("reason.REGISTRY_UNAVAILABLE")
