"""``/metrics`` sees every request, every answer and every outbound SMS's fate.

Before, only successful API and FHIR requests were counted: no 4xx ever, and SMS, USSD,
Telegram, portal and console traffic was invisible. Each case reads ``/metrics`` before and
after (the registry is the process's: counts are compared, not read absolutely).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpServer

from eligibility_gw.shedding import SHEDDER
from tests.channels.sms.support import (
    REZAEI,
    STATUS,
    TOKEN,
    FakeTwilio,
    SmsGateway,
    new_sid,
    twilio_settings,
)
from tests.conftest import MakeGateway
from tests.gateway import Client, TestGateway

Labels = tuple[tuple[str, str], ...]


@dataclass
class Scrape:
    """One reading of ``/metrics``: each sample by name and labels."""

    samples: dict[tuple[str, Labels], float]

    def value(self, name: str, **labels: str) -> float:
        """A sample's value (0 when absent)."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: Client) -> Scrape:
    response = await client.get("/metrics")
    assert response.status == 200
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return Scrape(samples)


def requests(route: str, method: str, status_class: str, channel: str) -> dict[str, str]:
    return {"route": route, "method": method, "status_class": status_class, "channel": channel}


@pytest.fixture
async def twilio(aiohttp_server: AiohttpServer) -> FakeTwilio:
    fake = FakeTwilio()
    server: TestServer = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def gw(
    make_gateway: MakeGateway, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> TestGateway:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    return await make_gateway(
        store="memory", languages=("en", "fa"), twilio=twilio_settings(twilio.base_url)
    )


async def test_every_request_is_counted_refusals_included(gw: TestGateway) -> None:
    client, sms = gw.client, SmsGateway(gw)
    cases: list[tuple[dict[str, str], int]] = []

    async def expect(labels: dict[str, str], status: int, response_status: int) -> None:
        assert response_status == status, labels
        cases.append((labels, status))

    before = await scrape(client)
    inquiries = "/api/v1/inquiries"
    r = await client.post(inquiries, json={"national_id": gw.nid("rezaei")}, headers=gw.auth())
    await expect(requests(inquiries, "POST", "2xx", "web"), 200, r.status)
    r = await client.post(inquiries, json={"national_id": gw.nid("rezaei")})
    await expect(requests(inquiries, "POST", "4xx", "web"), 401, r.status)
    r = await client.post(
        inquiries, data=b"x" * (70 * 1024), headers={**gw.auth(), "Content-Type": "text/plain"}
    )
    await expect(requests(inquiries, "POST", "4xx", "web"), 413, r.status)
    r = await client.get("/api/v1/inquiries/0000-0000-0000", headers=gw.auth())
    await expect(requests("/api/v1/inquiries/{code}", "GET", "4xx", "web"), 422, r.status)
    r = await client.post("/fhir/r4/CoverageEligibilityRequest", json={})
    await expect(
        requests("/fhir/r4/CoverageEligibilityRequest", "POST", "4xx", "fhir"), 401, r.status
    )
    r = await client.get("/portal/")
    await expect(requests("/portal/", "GET", "2xx", "portal"), 200, r.status)
    r = await client.get("/console/")
    await expect(requests("/console/", "GET", "2xx", "console"), 200, r.status)
    reply = await sms.text(REZAEI, gw.nid("rezaei"))
    await expect(requests("/channels/sms/twilio", "POST", "2xx", "sms"), 200, reply.status)
    unsigned = await sms.post({"From": REZAEI, "Body": "x"}, signature="")
    await expect(requests("/channels/sms/twilio", "POST", "4xx", "sms"), 403, unsigned.status)
    ussd = {"sessionId": "ATUid_m1", "serviceCode": "*1420#", "phoneNumber": REZAEI, "text": ""}
    r = await client.post("/channels/ussd/africastalking", data=ussd)
    await expect(requests("/channels/ussd/africastalking", "POST", "2xx", "ussd"), 200, r.status)
    r = await client.post("/channels/telegram/webhook", json={"update_id": 1})
    await expect(requests("unmatched", "POST", "4xx", "telegram"), 404, r.status)  # bot off
    r = await client.get("/nowhere/at/all")
    await expect(requests("unmatched", "GET", "4xx", "other"), 404, r.status)
    shedder = gw.app[SHEDDER]
    held, shedder.in_flight = shedder.in_flight, shedder.max_in_flight
    try:
        r = await client.post(inquiries, json={"national_id": gw.nid("rezaei")}, headers=gw.auth())
    finally:
        shedder.in_flight = held
    await expect(requests(inquiries, "POST", "5xx", "web"), 503, r.status)

    after = await scrape(client)
    expected: dict[tuple[tuple[str, str], ...], int] = {}
    for labels, _ in cases:
        key = tuple(sorted(labels.items()))
        expected[key] = expected.get(key, 0) + 1
    for key, count in expected.items():
        labels = dict(key)
        grown = after.value("eligibility_requests_total", **labels) - before.value(
            "eligibility_requests_total", **labels
        )
        assert grown == count, labels
    for channel in ("web", "fhir", "portal", "console", "sms", "ussd", "telegram"):
        timed = after.value("eligibility_request_seconds_count", channel=channel)
        assert timed > before.value("eligibility_request_seconds_count", channel=channel)
    # Paths never become labels: no code, no phone, no reference.
    text = await (await client.get("/metrics")).text()
    assert "/nowhere" not in text and REZAEI not in text and "0000-0000-0000" not in text


async def test_answers_are_counted_by_channel_and_status(gw: TestGateway) -> None:
    client, sms = gw.client, SmsGateway(gw)
    before = await scrape(client)
    await client.post(
        "/api/v1/inquiries", json={"national_id": gw.nid("rezaei-son-no-cert")}, headers=gw.auth()
    )
    await sms.text(REZAEI, gw.nid("rezaei"))
    after = await scrape(client)
    for channel, status in (("web", "not_eligible"), ("sms", "eligible")):
        name = "eligibility_answers_total"
        grown = after.value(name, channel=channel, status=status) - before.value(
            name, channel=channel, status=status
        )
        assert grown == 1, (channel, status)
        assert after.value("eligibility_answer_seconds_count", channel=channel) > before.value(
            "eligibility_answer_seconds_count", channel=channel
        )


async def test_outbound_sms_are_counted_by_their_final_delivery_status(gw: TestGateway) -> None:
    client, sms = gw.client, SmsGateway(gw)
    sender = gw.gateway.sms_sender
    assert sender is not None
    first = await sender.send(REZAEI, "one", "console_resolution", "ref-1")
    second = await sender.send(REZAEI, "two", "check_notice", None)
    name = "eligibility_sms_deliveries_total"
    before = await scrape(client)

    async def callback(sid: str, status: str, error: str = "") -> None:
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32}
        if error:
            form["ErrorCode"] = error
        assert (await sms.post(form, path=STATUS)).status == 204

    await callback(first.message_sid, "sent")
    await callback(first.message_sid, "undelivered", "30005")
    await callback(first.message_sid, "undelivered", "30005")  # Twilio posted it again
    await callback(second.message_sid, "delivered")
    await callback(second.message_sid, "read")  # after its final status: counted once
    await callback(new_sid(), "delivered")  # a message this gateway never sent
    after = await scrape(client)

    def grown(purpose: str, status: str) -> float:
        return after.value(name, purpose=purpose, status=status) - before.value(
            name, purpose=purpose, status=status
        )

    assert grown("console_resolution", "undelivered") == 1
    assert grown("check_notice", "delivered") == 1
    assert grown("check_notice", "read") == 0
