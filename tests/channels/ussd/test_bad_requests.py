"""Whatever a gateway (or anyone) sends, the answer is a clear END/Release or a 4xx, never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from tests.channels.ussd.conftest import MakeUssd
from tests.channels.ussd.support import AT_PATH, HUBTEL_PATH, REZAEI, UssdGateway


@dataclass(frozen=True, slots=True)
class Bad:
    """One malformed request and the status it must get."""

    name: str
    path: str
    body: bytes
    content_type: str
    status: int
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)


def form(**fields: str) -> bytes:
    """An urlencoded form."""
    return urlencode(fields).encode()


GOOD_AT = {"sessionId": "ATUid_1", "serviceCode": "*384#", "phoneNumber": REZAEI, "text": ""}
GOOD_HUBTEL = {
    "Type": "Initiation",
    "Mobile": REZAEI.removeprefix("+"),
    "SessionId": "abc123",
    "ServiceCode": "713",
    "Message": "*713#",
    "Sequence": 1,
}
URLENCODED = "application/x-www-form-urlencoded"


def hubtel(**changes: object) -> bytes:
    """Hubtel's JSON with some fields changed (None drops one)."""
    data = {**GOOD_HUBTEL, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


BAD = (
    Bad(
        "AT: JSON instead of a form", AT_PATH, json.dumps(GOOD_AT).encode(), "application/json", 415
    ),
    Bad("AT: no content type", AT_PATH, form(**GOOD_AT), "", 415),
    Bad("AT: no sessionId", AT_PATH, form(phoneNumber=REZAEI, text=""), URLENCODED, 400),
    Bad("AT: empty sessionId", AT_PATH, form(**{**GOOD_AT, "sessionId": " "}), URLENCODED, 400),
    Bad("AT: no phoneNumber", AT_PATH, form(sessionId="x", text=""), URLENCODED, 400),
    Bad(
        "AT: phone not a number",
        AT_PATH,
        form(**{**GOOD_AT, "phoneNumber": "hello"}),
        URLENCODED,
        400,
    ),
    Bad(
        "AT: session id with control characters",
        AT_PATH,
        form(**{**GOOD_AT, "sessionId": "a\x00b"}),
        URLENCODED,
        400,
    ),
    Bad("AT: huge text", AT_PATH, form(**{**GOOD_AT, "text": "1*" * 1500}), URLENCODED, 400),
    Bad("AT: huge body", AT_PATH, b"text=" + b"1" * 40_000, URLENCODED, 413),
    Bad("AT: not UTF-8", AT_PATH, b"sessionId=\xff\xfe&text=", URLENCODED, 400),
    Bad(
        "AT: a field twice",
        AT_PATH,
        form(**GOOD_AT) + b"&phoneNumber=%2B989121110002",
        URLENCODED,
        400,
    ),
    Bad(
        "AT: too many fields", AT_PATH, b"&".join(b"f%d=1" % i for i in range(99)), URLENCODED, 400
    ),
    Bad("hubtel: garbage", HUBTEL_PATH, b"{not json", "application/json", 400),
    Bad("hubtel: a list", HUBTEL_PATH, b"[1, 2]", "application/json", 400),
    Bad("hubtel: deep nesting", HUBTEL_PATH, b"[" * 5000 + b"]" * 5000, "application/json", 400),
    Bad("hubtel: a form", HUBTEL_PATH, form(**GOOD_AT), URLENCODED, 415),
    Bad("hubtel: no Type", HUBTEL_PATH, hubtel(Type=None), "application/json", 400),
    Bad("hubtel: unknown Type", HUBTEL_PATH, hubtel(Type="AddToCart"), "application/json", 400),
    Bad("hubtel: no SessionId", HUBTEL_PATH, hubtel(SessionId=None), "application/json", 400),
    Bad("hubtel: SessionId a number", HUBTEL_PATH, hubtel(SessionId=5), "application/json", 400),
    Bad("hubtel: no Mobile", HUBTEL_PATH, hubtel(Mobile=None), "application/json", 400),
    Bad("hubtel: Mobile not a number", HUBTEL_PATH, hubtel(Mobile="x"), "application/json", 400),
    Bad("hubtel: Message a list", HUBTEL_PATH, hubtel(Message=[1]), "application/json", 400),
    Bad("hubtel: Sequence text", HUBTEL_PATH, hubtel(Sequence="two"), "application/json", 400),
    Bad("hubtel: Sequence true", HUBTEL_PATH, hubtel(Sequence=True), "application/json", 400),
    Bad("hubtel: huge body", HUBTEL_PATH, hubtel(Message="x" * 40_000), "application/json", 413),
    Bad("hubtel: not UTF-8", HUBTEL_PATH, b'{"Type": "\xff"}', "application/json", 400),
)


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
async def test_malformed_requests_get_a_clear_refusal(gateway: UssdGateway, bad: Bad) -> None:
    headers = {"Content-Type": bad.content_type} if bad.content_type else {}
    async with gateway.client.request(
        bad.method, bad.path, data=bad.body, headers={**headers, **bad.headers}
    ) as resp:
        body = await resp.text()
        assert resp.status == bad.status, body
        if bad.path == AT_PATH:
            assert resp.content_type == "text/plain"
            assert body == "END The request could not be read."
        else:
            assert resp.content_type == "application/json"
            assert json.loads(body) == {
                "Type": "Release",
                "Message": "The request could not be read.",
            }


@pytest.mark.parametrize("path", [AT_PATH, HUBTEL_PATH])
async def test_other_methods_are_refused(gateway: UssdGateway, path: str) -> None:
    async with gateway.client.get(path) as resp:
        assert resp.status == 405


async def test_a_hop_that_fails_inside_ends_politely(
    gateway: UssdGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the registry exploded")

    monkeypatch.setattr("eligibility_gw.channels.ussd.backend.identify", broken)
    async with gateway.client.post(AT_PATH, data=GOOD_AT) as resp:
        assert resp.status == 200
        assert await resp.text() == "END The service is busy. Please try again shortly."


async def test_a_hop_that_takes_too_long_ends_politely(
    make_ussd: MakeUssd, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = await make_ussd(hop_timeout=1)

    async def slow(*_args: object, **_kwargs: object) -> None:
        await asyncio.sleep(5)

    monkeypatch.setattr("eligibility_gw.channels.ussd.backend.identify", slow)
    async with gateway.client.post(AT_PATH, data=GOOD_AT) as resp:
        assert resp.status == 200
        assert await resp.text() == "END The service is busy. Please try again shortly."
