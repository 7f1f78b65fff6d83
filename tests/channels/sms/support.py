"""Helpers of the SMS channel tests: signed Twilio posts, a fake Twilio REST API, the gateway.

``SmsGateway`` wraps the suite's ``TestGateway`` (``make_gateway``) with Twilio's side of the
channel: inbound SMS signed with Twilio's own ``RequestValidator``. ``FakeTwilio`` stands in
for the REST API the core's sender (``adapters/twilio``) posts to; the console tests use it
too.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from twilio.request_validator import RequestValidator

from eligibility_gw.demo import DEMO_PROVIDER_PHONE
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.ports import Store
from eligibility_gw.ports.outbound import SmsSender
from eligibility_gw.settings import Settings
from eligibility_gw.textbudget import sms_segments
from tests.gateway import Client, TestGateway

TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://gw.example.org"  # the public base URL of ``tests.gateway.gateway_settings``
INBOUND = "/channels/sms/twilio"
STATUS = "/channels/sms/twilio/status"
SHORT_NUMBER = "+98300001420"

REZAEI = "+989121110001"  # principal of the Rezaei family, covered
KARIMI = "+989121110002"  # principal of the Karimi family, cover ends today
AHMADI = "+989121110003"  # principal whose cover ended
PROVIDER = DEMO_PROVIDER_PHONE  # the demo pharmacy, active
PROVIDER_OFF = "+989350000002"  # a deactivated clinic
STRANGER = "+989129999999"  # on file for nobody

INACTIVE_PROVIDER_ID = "closed-clinic"


def new_sid(prefix: str = "SM") -> str:
    """A Twilio-shaped message SID."""
    return prefix + secrets.token_hex(16)


def sign(
    url: str, params: Mapping[str, str] | Sequence[tuple[str, str]], token: str = TOKEN
) -> str:
    """Twilio's signature, computed by Twilio's own library."""
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    by_name: dict[str, list[str]] = {}
    for k, v in pairs:
        by_name.setdefault(k, []).append(v)
    signature: str = RequestValidator(token).compute_signature(url, _Multi(by_name))
    return signature


class _Multi(dict[str, list[str]]):
    """What ``compute_signature`` reads repeated fields from (it calls ``getall``)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def twilio_form(sender: str, body: str, sid: str | None = None) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS (more than the channel reads)."""
    sid = sid or new_sid()
    return {
        "ToCountry": "IR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "IR",
        "To": SHORT_NUMBER,
        "MessagingServiceSid": "MG" + "2" * 32,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def twilio_settings(api_base_url: str, /, **overrides: object) -> dict[str, object]:
    """A ``[twilio]`` table for a fake Twilio at ``api_base_url``, fast retries."""
    table: dict[str, object] = {
        "account_sid": ACCOUNT_SID,
        "from_number": SHORT_NUMBER,
        "api_base_url": api_base_url,
        "retry_backoff_ms": 1,
        "send_timeout_ms": 2000,
    }
    table.update(overrides)
    return table


@dataclass(frozen=True)
class Reply:
    """What the webhook answered."""

    status: int
    content_type: str
    body: str

    @property
    def message(self) -> str | None:
        """The text of the TwiML ``<Message>``, None for ``<Response/>``."""
        root = ET.fromstring(self.body)  # noqa: S314 (our own server's TwiML)
        assert root.tag == "Response"
        messages = root.findall("Message")
        assert len(messages) <= 1
        return messages[0].text if messages else None

    @property
    def segments(self) -> int:
        """SMS parts the reply is sent as."""
        return sms_segments(self.message or "")


@dataclass
class SmsGateway:
    """A test gateway seen from Twilio: signed webhooks in, the core's ports to look at."""

    gw: TestGateway

    @property
    def client(self) -> Client:
        """The HTTP client of the gateway's app."""
        return self.gw.client

    @property
    def app(self) -> web.Application:
        """The gateway's main app."""
        return self.gw.app

    @property
    def settings(self) -> Settings:
        """The gateway's settings."""
        return self.gw.settings

    @property
    def store(self) -> Store:
        """Every port of the store."""
        return self.gw.store

    @property
    def inquiries(self) -> Inquiries:
        """The inquiry policy's door."""
        return self.gw.inquiries

    @property
    def sender(self) -> SmsSender:
        """The core's outbound SMS (configured towards the fake Twilio)."""
        sender = self.gw.gateway.sms_sender
        assert sender is not None, "outbound SMS is not configured"
        return sender

    def nid(self, persona: str) -> str:
        """A demo persona's national id."""
        return self.gw.nid(persona)

    async def answers(self) -> int:
        """How many answers the log holds."""
        return await self.gw.answers()

    async def answers_to(self, kind: str, asker_id: str, limit: int = 10) -> list[AnswerRecord]:
        """The latest answers given to one asker, newest first."""
        return await self.store.answers.by_asker(kind, asker_id, limit=limit)

    async def post(
        self,
        form: Mapping[str, str] | Sequence[tuple[str, str]],
        *,
        path: str = INBOUND,
        signature: str | None = None,
        signed_url: str | None = None,
        token: str = TOKEN,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Post ``form``; signed for the public URL unless told otherwise."""
        pairs = list(form.items()) if isinstance(form, Mapping) else list(form)
        if signature is None:
            signature = sign(signed_url or PUBLIC + path, pairs, token)
        all_headers = {"X-Twilio-Signature": signature, **(headers or {})}
        if not signature:
            del all_headers["X-Twilio-Signature"]
        async with self.client.post(path, data=pairs, headers=all_headers) as resp:
            return Reply(resp.status, resp.content_type, await resp.text())

    async def text(self, sender: str, body: str, sid: str | None = None) -> Reply:
        """An SMS from ``sender``."""
        return await self.post(twilio_form(sender, body, sid))


def mms_form(
    sender: str, body: str, media_url: str, content_type: str = "image/jpeg", count: int = 1
) -> dict[str, str]:
    """The fields Twilio posts for an inbound MMS: the SMS's, with its media."""
    form = twilio_form(sender, body)
    form["NumMedia"] = str(count)
    form["MediaUrl0"] = media_url
    form["MediaContentType0"] = content_type
    return form


@dataclass
class FakeTwilio:
    """A stand-in for Twilio's Messages API: records posts, fails as planned.

    ``media`` holds the files people sent by MMS, served (with HTTP Basic authentication of
    the account, as Twilio's media are) at the address ``add_media`` gives.
    """

    fail_with: list[int] = field(default_factory=list)
    delay: float = 0.0
    posts: list[dict[str, str]] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    base_url: str = ""
    media: dict[str, bytes] = field(default_factory=dict)
    media_fetches: list[str] = field(default_factory=list)

    def add_media(self, content: bytes, account: str = ACCOUNT_SID) -> str:
        """Keep a file sent by MMS; the URL Twilio would post in ``MediaUrl0``."""
        media_sid = "ME" + secrets.token_hex(16)
        self.media[media_sid] = content
        message = new_sid("MM")
        return f"{self.base_url}/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media_sid}"

    async def get_media(self, request: web.Request) -> web.Response:
        """``GET /2010-04-01/Accounts/{sid}/Messages/{msid}/Media/{mid}``, for the account only."""
        auth = request.headers.get("Authorization", "")
        self.media_fetches.append(auth)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()
        if auth != expected or request.match_info["sid"] != ACCOUNT_SID:
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        content = self.media.get(request.match_info["mid"])
        if content is None:
            return web.json_response({"code": 20404, "message": "Not found"}, status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def create_message(self, request: web.Request) -> web.Response:
        """``POST /2010-04-01/Accounts/{sid}/Messages.json``."""
        form = await request.post()
        self.posts.append({k: str(v) for k, v in form.items()})
        self.accounts.append(request.match_info["sid"])
        self.authorizations.append(request.headers.get("Authorization", ""))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with:
            status = self.fail_with.pop(0)
            error = {"code": 20000 + status, "message": "planned failure", "status": status}
            return web.json_response(error, status=status)
        sid = new_sid()
        self.created.append(sid)
        payload: dict[str, Any] = {
            "sid": sid,
            "account_sid": request.match_info["sid"],
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": "Mon, 23 Nov 2026 08:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{request.match_info['sid']}/Messages/{sid}.json",
        }
        return web.json_response(payload, status=201)

    def app(self) -> web.Application:
        """The fake's aiohttp app."""
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message)
        app.router.add_get("/2010-04-01/Accounts/{sid}/Messages/{msid}/Media/{mid}", self.get_media)
        return app
