"""Helpers of the SMS channel tests: signed Twilio posts, a fake Twilio REST API, the registry."""

from __future__ import annotations

import asyncio
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator

from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.appkeys import CORE
from eligibility_gw.bootstrap import Core
from eligibility_gw.demo import DEMO_PROVIDER_PHONE, Persona, seed_demo
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.providers import hash_api_key
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import Settings, parse_settings
from eligibility_gw.textbudget import sms_segments

TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC = "https://gw.example.org"
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


class SmsClient:
    """Posts signed Twilio webhooks to the app under test."""

    def __init__(self, client: TestClient[web.Request, web.Application]) -> None:
        self.client = client

    @property
    def app(self) -> web.Application:
        """The gateway's main app."""
        return self.client.app

    @property
    def core(self) -> Core:
        """The gateway's core (store, service, limiter)."""
        return self.app[CORE]

    async def answers(self) -> int:
        """How many answers the log holds."""
        return (await self.core.store.answers.verify()).rows

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


@dataclass
class FakeTwilio:
    """A stand-in for Twilio's Messages API: records posts, fails as planned."""

    fail_with: list[int] = field(default_factory=list)
    delay: float = 0.0
    posts: list[dict[str, str]] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    base_url: str = ""

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
        return app


def gateway_settings(
    db: Path,
    twilio_url: str = "http://127.0.0.1:9",
    languages: Sequence[str] = ("en", "fa"),
    server: Mapping[str, object] | None = None,
    **sms: object,
) -> Settings:
    """Settings of a test gateway on ``db``, its SMS channel pointed at a fake Twilio."""
    channel: dict[str, object] = {
        "account_sid": ACCOUNT_SID,
        "from_number": SHORT_NUMBER,
        "api_base_url": twilio_url,
        "retry_backoff_ms": 1,
        "send_timeout_ms": 2000,
    }
    channel.update(sms)
    return parse_settings(
        {
            "gateway": {
                "rule_pack": "ir-tamin",
                "time_zone": "Asia/Tehran",
                "languages": list(languages),
            },
            "store": {"url": f"sqlite:///{db}"},
            "server": {"public_base_url": PUBLIC, **(server or {})},
            "channels": {"sms": channel},
        },
        source="<sms tests>",
    )


async def fill_registry(settings: Settings) -> list[Persona]:
    """The demo personas, the demo pharmacy (active) and a deactivated clinic, on disk."""
    store = await open_sqlite_store(settings.store.url.removeprefix("sqlite:///"))
    try:
        people = await seed_demo(store, rule_pack_for(settings), settings.today(), "demo", PROVIDER)
        await store.providers.add(
            INACTIVE_PROVIDER_ID,
            "Closed Clinic",
            ProviderKind.CLINIC,
            PROVIDER_OFF,
            hash_api_key("closed"),
        )
        await store.providers.set_active(INACTIVE_PROVIDER_ID, False)
    finally:
        await store.close()
    return people


def persona(people: Sequence[Persona], key: str) -> Persona:
    """One persona by key."""
    return next(p for p in people if p.key == key)


def cover_end_of(record: AnswerRecord) -> date | None:
    """The cover end the log holds for an answer."""
    return record.draft.decision.cover_end
