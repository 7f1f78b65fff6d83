"""Redelivered messages are answered once; senders have a flood guard; the core's quotas, shared
with every other channel, are told in one SMS.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from structlog.testing import capture_logs

from eligibility_gw.demo import DEMO_PROVIDER_ID
from eligibility_gw.wording import Wording
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import (
    KARIMI,
    PROVIDER,
    REZAEI,
    STRANGER,
    SmsGateway,
    new_sid,
    twilio_form,
)

EN = Wording("en")
FA = Wording("fa")


def _says(w: Wording, key: str, text: str | None) -> bool:
    """Say whether ``text`` is message ``key`` with some number of minutes (1 to 60)."""
    return text in {w.n(key, m, minutes=w.digits(str(m))) for m in range(1, 61)}


async def test_redelivery_gets_the_same_reply_and_code(gateway: SmsGateway) -> None:
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


async def test_concurrent_redeliveries_are_answered_once(gateway: SmsGateway) -> None:
    sid = new_sid()
    replies = await asyncio.gather(*(gateway.text(PROVIDER, "1000000052", sid) for _ in range(5)))
    assert {r.status for r in replies} == {200}
    answered = [r for r in replies if r.message]
    assert len({r.body for r in answered}) == 1
    assert await gateway.answers() == 1


async def test_family_redelivery_logs_the_family_once(gateway: SmsGateway) -> None:
    sid = new_sid()
    first = await gateway.text(REZAEI, "FAMILY", sid)
    again = await gateway.text(REZAEI, "FAMILY", sid)
    assert again.body == first.body
    assert await gateway.answers() == 6


async def test_sender_budget_is_said_once_then_silence(make_sms: MakeSms) -> None:
    gw = await make_sms(sms={"inquiries_per_sender": 3})
    for _ in range(3):
        assert "Code" in ((await gw.text(PROVIDER, "1000000011")).message or "")
    over = await gw.text(PROVIDER, "1000000011")
    assert over.message is not None
    assert _says(EN, "sms.rate_limited.sender", over.message)
    assert over.segments == 1
    silent = await gw.text(PROVIDER, "HELP")
    assert silent.status == 200
    assert silent.message is None
    assert await gw.answers() == 3
    # Another phone has its own budget.
    assert "Code" in ((await gw.text(REZAEI, "1000000011")).message or "")


async def test_sender_budget_in_persian(make_sms: MakeSms) -> None:
    gw = await make_sms(sms={"inquiries_per_sender": 1})
    await gw.text(REZAEI, "۱۰۰۰۰۰۰۰۱۱")
    over = await gw.text(REZAEI, "۱۰۰۰۰۰۰۰۱۱")
    assert _says(FA, "sms.rate_limited.sender", over.message)
    assert over.segments == 1


async def test_redelivery_does_not_spend_the_budget(make_sms: MakeSms) -> None:
    gw = await make_sms(sms={"inquiries_per_sender": 1})
    sid = new_sid()
    first = await gw.post(twilio_form(REZAEI, "1000000011", sid))
    for _ in range(3):
        assert (await gw.post(twilio_form(REZAEI, "1000000011", sid))).body == first.body


# -- the core's quotas, as SMS tells them ----------------------------------------------------


@dataclass(frozen=True)
class QuotaCase:
    """Quotas set low, messages that use them up, and the SMS that says so."""

    label: str
    inquiries: dict[str, Any]
    sender: str
    #: Bodies sent first (each answered), then ``body`` is refused.
    before: tuple[str, ...]
    body: str
    expect_key: str
    language: str = "en"


QUOTA_CASES = [
    QuotaCase(
        label="provider-per-person",
        inquiries={"provider_per_national_id": 2},
        sender=PROVIDER,
        before=("1000000052", "1000000052"),
        body="1000000052",
        expect_key="sms.rate_limited.provider_national_id",
    ),
    QuotaCase(
        label="provider-per-person-fa",
        inquiries={"provider_per_national_id": 1},
        sender=PROVIDER,
        before=("۱۰۰۰۰۰۰۰۵۲",),
        body="۱۰۰۰۰۰۰۰۵۲",
        expect_key="sms.rate_limited.provider_national_id",
        language="fa",
    ),
    QuotaCase(
        label="provider-own-budget",
        inquiries={"provider_per_minute": 2},
        sender=PROVIDER,
        before=("1000000011", "1000000052"),
        body="1000000079",
        expect_key="sms.rate_limited.asker",
    ),
    QuotaCase(
        label="insured-own-budget",
        inquiries={"insured_per_hour": 2},
        sender=REZAEI,
        before=("1000000011", "1000000052"),
        body="1000000028",
        expect_key="sms.rate_limited.asker",
    ),
    QuotaCase(
        label="insured-own-budget-fa",
        inquiries={"insured_per_hour": 1},
        sender=KARIMI,
        before=("۱۰۰۰۰۰۰۰۷۹",),
        body="۱۰۰۰۰۰۰۰۷۹",
        expect_key="sms.rate_limited.asker",
        language="fa",
    ),
    QuotaCase(
        label="ceiling-per-person",
        inquiries={"national_id_ceiling": 2, "provider_per_national_id": 5},
        sender=PROVIDER,
        before=("1000000011", "1000000011"),
        body="1000000011",
        expect_key="sms.rate_limited.national_id",
    ),
]


@pytest.mark.parametrize("case", QUOTA_CASES, ids=[c.label for c in QUOTA_CASES])
async def test_quotas_are_told_in_one_sms(make_sms: MakeSms, case: QuotaCase) -> None:
    gw = await make_sms(inquiries=case.inquiries)
    for body in case.before:
        assert (await gw.text(case.sender, body)).message
    answered = await gw.answers()
    assert answered == len(case.before)
    over = await gw.text(case.sender, case.body)
    assert over.status == 200
    assert _says(Wording(case.language), case.expect_key, over.message), over.message
    assert over.segments == 1
    assert await gw.answers() == answered  # a refusal is not an answer


async def test_a_provider_quota_is_shared_with_its_api_checks(make_sms: MakeSms) -> None:
    """Two checks of one person, one over the JSON API and one by SMS, use up a share of two.

    The per-person count was the channel's own before; now it is the provider's, everywhere.
    """
    gw = await make_sms(inquiries={"provider_per_national_id": 2})
    nid = gw.nid("karimi-son-lapsed")
    async with gw.client.post(
        "/api/v1/inquiries", json={"national_id": nid}, headers=gw.gw.auth()
    ) as resp:
        assert resp.status == 200, await resp.text()
    assert "Code" in ((await gw.text(PROVIDER, nid)).message or "")
    over = await gw.text(PROVIDER, nid)
    assert _says(EN, "sms.rate_limited.provider_national_id", over.message), over.message
    # ... and the API is refused too, for that person only.
    async with gw.client.post(
        "/api/v1/inquiries", json={"national_id": nid}, headers=gw.gw.auth()
    ) as resp:
        assert resp.status == 429, await resp.text()
    assert "Code" in ((await gw.text(PROVIDER, gw.nid("karimi"))).message or "")
    channels = [r.draft.channel for r in await gw.answers_to("provider", DEMO_PROVIDER_ID)]
    assert sorted(channels) == ["sms", "sms", "web"]


async def test_strangers_cannot_use_up_a_persons_quota(make_sms: MakeSms) -> None:
    """Refused phones are never counted against the person they ask about."""
    gw = await make_sms(
        inquiries={"national_id_ceiling": 1, "provider_per_national_id": 1},
        sms={"inquiries_per_sender": 50},
    )
    for _ in range(5):
        refused = await gw.text(STRANGER, "1000000079")
        assert refused.message == EN.t("sms.not_on_file", hotline="1420")
    assert "Code" in ((await gw.text(PROVIDER, "1000000079")).message or "")
    assert "Code" in ((await gw.text(KARIMI, "1000000079")).message or "")
