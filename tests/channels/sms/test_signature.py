"""Only Twilio's signed requests are answered: forged, replayed, unsigned posts get 403."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import pytest
from structlog.testing import capture_logs

from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import (
    INBOUND,
    PUBLIC,
    REZAEI,
    STATUS,
    SmsGateway,
    new_sid,
    sign,
    twilio_form,
)

Form = list[tuple[str, str]]


def _form(body: str = "1000000011") -> Form:
    return list(twilio_form(REZAEI, body).items())


@dataclass(frozen=True)
class Forgery:
    """A request that must be refused, and how it is made."""

    id: str
    make: Callable[[], tuple[Form, str]]  # the fields posted, and the signature sent
    path: str = INBOUND


def _other_body() -> tuple[Form, str]:
    signed = _form("1000000011")
    posted = [(k, "1000000052" if k == "Body" else v) for k, v in signed]
    return posted, sign(PUBLIC + INBOUND, signed)


def _other_sender() -> tuple[Form, str]:
    signed = _form()
    posted = [(k, "+989121110002" if k == "From" else v) for k, v in signed]
    return posted, sign(PUBLIC + INBOUND, signed)


def _field_added() -> tuple[Form, str]:
    signed = _form()
    return [*signed, ("Body", "FAMILY")], sign(PUBLIC + INBOUND, signed)


def _field_dropped() -> tuple[Form, str]:
    signed = _form()
    return [(k, v) for k, v in signed if k != "NumSegments"], sign(PUBLIC + INBOUND, signed)


def _wrong_token() -> tuple[Form, str]:
    form = _form()
    return form, sign(PUBLIC + INBOUND, form, token="not-the-token")


def _plain_http() -> tuple[Form, str]:
    form = _form()
    return form, sign("http://gw.example.org" + INBOUND, form)


def _other_path() -> tuple[Form, str]:
    form = _form()
    return form, sign(PUBLIC + STATUS, form)


def _status_signed_for_inbound() -> tuple[Form, str]:
    form = [("MessageSid", new_sid()), ("MessageStatus", "delivered")]
    return form, sign(PUBLIC + INBOUND, form)


FORGERIES = [
    Forgery("unsigned", lambda: (_form(), "")),
    Forgery("garbage-signature", lambda: (_form(), "bm90IGEgc2lnbmF0dXJl")),
    Forgery("huge-signature", lambda: (_form(), "A" * 4000)),
    Forgery("replayed-with-other-body", _other_body),
    Forgery("replayed-from-other-sender", _other_sender),
    Forgery("field-added", _field_added),
    Forgery("field-dropped", _field_dropped),
    Forgery("wrong-token", _wrong_token),
    Forgery("signed-for-http-not-https", _plain_http),
    Forgery("signed-for-other-path", _other_path),
    Forgery("status-unsigned", lambda: ([("MessageSid", new_sid())], ""), STATUS),
    Forgery("status-signed-for-inbound", _status_signed_for_inbound, STATUS),
]


@pytest.mark.parametrize("forgery", FORGERIES, ids=[f.id for f in FORGERIES])
async def test_forged_requests_get_403(gateway: SmsGateway, forgery: Forgery) -> None:
    form, signature = forgery.make()
    with capture_logs() as logs:
        reply = await gateway.post(form, path=forgery.path, signature=signature)
    assert reply.status == 403
    assert await gateway.answers() == 0
    rejected = [e for e in logs if e["event"] == "sms_signature_rejected"]
    assert len(rejected) == 1
    logged = repr(rejected[0])
    for _, value in form:
        if value.startswith("+98") or (value.isdigit() and len(value) >= 8):
            assert value not in logged  # neither the body nor the phone numbers


async def test_signature_over_every_field_twilio_sent(gateway: SmsGateway) -> None:
    """Twilio adds fields without notice: they are signed, and accepted."""
    form = [*_form(), ("AddOns", '{"status":"successful"}'), ("NewField", "x")]
    reply = await gateway.post(form)
    assert reply.status == 200
    assert reply.message and "Code" in reply.message


async def test_signature_covers_the_query_string(gateway: SmsGateway) -> None:
    form = _form()
    path = INBOUND + "?tenant=north"
    assert (await gateway.post(form, path=path)).status == 200
    forged = await gateway.post(form, path=path, signature=sign(PUBLIC + INBOUND, form))
    assert forged.status == 403


async def test_signature_with_the_default_port_in_the_url(gateway: SmsGateway) -> None:
    form = _form()
    reply = await gateway.post(form, signed_url="https://gw.example.org:443" + INBOUND)
    assert reply.status == 200


async def test_signature_with_sha256_settings_header(gateway: SmsGateway) -> None:
    from twilio.request_validator import HMAC_SHA256, RequestValidator

    from tests.channels.sms.support import TOKEN

    form = _form()
    signature = RequestValidator(TOKEN).compute_signature(
        PUBLIC + INBOUND, dict(form), algorithm=HMAC_SHA256
    )
    headers = {"X-Twilio-Webhooks-Signature-Settings": "key=k1,algorithm=HMAC_SHA256"}
    reply = await gateway.post(form, signature=signature, headers=headers)
    assert reply.status == 200
    unsupported = {"X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_MD5"}
    assert (await gateway.post(form, signature=signature, headers=unsupported)).status == 403


BAD_REQUESTS = [
    ("no-message-sid", [(k, v) for k, v in twilio_form(REZAEI, "1").items() if k != "MessageSid"]),
    ("no-from", [(k, v) for k, v in twilio_form(REZAEI, "1").items() if k != "From"]),
    ("malformed-sid", [("MessageSid", "SM'; DROP TABLE"), ("From", REZAEI), ("Body", "x")]),
    ("two-sids", [("MessageSid", new_sid()), ("MessageSid", new_sid()), ("From", REZAEI)]),
    ("empty-from", [("MessageSid", new_sid()), ("From", ""), ("Body", "HELP")]),
    ("nothing", []),
]


@pytest.mark.parametrize(("name", "form"), BAD_REQUESTS, ids=[n for n, _ in BAD_REQUESTS])
async def test_signed_but_malformed_gets_400(
    gateway: SmsGateway, name: str, form: list[tuple[str, str]]
) -> None:
    reply = await gateway.post(form)
    assert reply.status == 400, name
    assert await gateway.answers() == 0


async def test_unreadable_sender_gets_no_reply(gateway: SmsGateway) -> None:
    """An alphanumeric sender cannot be answered or identified: ``<Response/>``."""
    reply = await gateway.post(twilio_form("VODAFONE", "1000000011"))
    assert reply.status == 200
    assert reply.message is None
    assert await gateway.answers() == 0


async def test_json_body_is_refused(gateway: SmsGateway) -> None:
    signature = sign(PUBLIC + INBOUND, [])
    async with gateway.client.post(
        INBOUND, json={"Body": "1000000011"}, headers={"X-Twilio-Signature": signature}
    ) as resp:
        # No form fields: the signature over none fails or the fields are missing.
        assert resp.status in (400, 403)


async def test_multipart_with_a_file_is_refused(gateway: SmsGateway) -> None:
    data = aiohttp.FormData()
    data.add_field("MessageSid", new_sid())
    data.add_field("From", REZAEI)
    data.add_field("Body", b"1000000011", filename="body.txt")
    async with gateway.client.post(INBOUND, data=data, headers={"X-Twilio-Signature": "x"}) as resp:
        assert resp.status == 400


async def test_undecodable_form_is_refused(gateway: SmsGateway) -> None:
    async with gateway.client.post(
        INBOUND,
        data=b"Body=%FF%FE&From=%2B989121110001",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "x",
        },
    ) as resp:
        assert resp.status in (400, 403)


async def test_oversized_body_gets_413(make_sms: MakeSms) -> None:
    gw = await make_sms(sms={"max_request_bytes": 4096})
    form = twilio_form(REZAEI, "x" * 5000)
    reply = await gw.post(form)
    assert reply.status == 413


async def test_without_auth_token_nothing_is_answered(
    make_sms: MakeSms, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    gw = await make_sms()
    reply = await gw.post(twilio_form(REZAEI, "1000000011"))
    assert reply.status == 503
    assert await gw.answers() == 0


async def test_the_token_is_read_from_the_twilio_section(
    make_sms: MakeSms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[twilio] auth_token_env`` names the variable: inbound and outbound share the account."""
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    monkeypatch.setenv("NORTH_TWILIO_TOKEN", "north-token")
    gw = await make_sms(twilio={"auth_token_env": "NORTH_TWILIO_TOKEN"})
    form = twilio_form(REZAEI, "1000000011")
    assert (await gw.post(form, token="north-token")).status == 200
    assert (await gw.post(twilio_form(REZAEI, "HELP"))).status == 403  # the default token
    assert gw.sender.ready
