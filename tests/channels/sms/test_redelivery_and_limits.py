"""Redelivered messages are answered once; senders and national ids have budgets."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeGateway
from tests.channels.sms.support import (
    KARIMI,
    PROVIDER,
    REZAEI,
    STRANGER,
    SmsClient,
    new_sid,
    twilio_form,
)

EN = Wording("en")


def _says(w: Wording, key: str, text: str | None) -> bool:
    """Say whether ``text`` is message ``key`` with some number of minutes (1 to 60)."""
    return text in {w.t(key, minutes=w.digits(str(m))) for m in range(1, 61)}


async def test_redelivery_gets_the_same_reply_and_code(gateway: SmsClient) -> None:
    sid = new_sid()
    first = await gateway.text(REZAEI, "1000000011", sid)
    with capture_logs() as logs:
        again = await gateway.text(REZAEI, "1000000011", sid)
    assert first.status == again.status == 200
    assert again.body == first.body
    assert await gateway.answers() == 1
    events = [e["event"] for e in logs]
    assert "sms_redelivered" in events
    assert "answered" not in events


async def test_concurrent_redeliveries_are_answered_once(gateway: SmsClient) -> None:
    sid = new_sid()
    replies = await asyncio.gather(*(gateway.text(PROVIDER, "1000000052", sid) for _ in range(5)))
    assert {r.status for r in replies} == {200}
    answered = [r for r in replies if r.message]
    assert len({r.body for r in answered}) == 1
    assert await gateway.answers() == 1


async def test_family_redelivery_logs_the_family_once(gateway: SmsClient) -> None:
    sid = new_sid()
    first = await gateway.text(REZAEI, "FAMILY", sid)
    again = await gateway.text(REZAEI, "FAMILY", sid)
    assert again.body == first.body
    assert await gateway.answers() == 6


async def test_sender_budget_is_said_once_then_silence(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(inquiries_per_sender=3)
    for _ in range(3):
        assert "Code" in ((await gw.text(PROVIDER, "1000000011")).message or "")
    over = await gw.text(PROVIDER, "1000000011")
    assert over.message is not None
    assert over.message.startswith("Too many messages from this phone. Try again in ")
    assert over.segments == 1
    silent = await gw.text(PROVIDER, "HELP")
    assert silent.status == 200
    assert silent.message is None
    assert await gw.answers() == 3
    # Another phone has its own budget.
    assert "Code" in ((await gw.text(REZAEI, "1000000011")).message or "")


async def test_sender_budget_in_persian(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(inquiries_per_sender=1)
    await gw.text(REZAEI, "۱۰۰۰۰۰۰۰۱۱")
    over = await gw.text(REZAEI, "۱۰۰۰۰۰۰۰۱۱")
    assert _says(Wording("fa"), "sms.rate_limited.sender", over.message)
    assert over.segments == 1


async def test_national_id_budget_across_senders(make_gateway: MakeGateway) -> None:
    """Nobody walks one person's answers: the id has its own budget, whoever asks."""
    gw = await make_gateway(inquiries_per_national_id=2)
    assert "Code" in ((await gw.text(PROVIDER, "1000000052")).message or "")
    assert "Code" in ((await gw.text(REZAEI, "1000000052")).message or "")
    over = await gw.text(PROVIDER, "1000000052")
    assert _says(EN, "sms.rate_limited.national_id", over.message)
    assert await gw.answers() == 2
    # Other ids are not affected.
    assert "Code" in ((await gw.text(PROVIDER, "1000000011")).message or "")


async def test_strangers_cannot_use_up_a_persons_budget(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(inquiries_per_national_id=1, inquiries_per_sender=50)
    for _ in range(5):
        refused = await gw.text(STRANGER, "1000000079")
        assert refused.message == EN.t("sms.not_on_file", hotline="1420")
    assert "Code" in ((await gw.text(KARIMI, "1000000079")).message or "")


async def test_redelivery_does_not_spend_the_budget(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(inquiries_per_sender=1)
    sid = new_sid()
    first = await gw.post(twilio_form(REZAEI, "1000000011", sid))
    for _ in range(3):
        assert (await gw.post(twilio_form(REZAEI, "1000000011", sid))).body == first.body
