"""The gateway the hostile tests attack: every channel on, a seeded registry, signed requests.

Twilio signatures are computed with Twilio's own ``RequestValidator`` over the fields the
server will read, and the Telegram secret header is the configured one, so fuzzed bodies
get past the doors and reach the parsers behind them.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.helpers import parse_content_type
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict, MultiDict
from twilio.request_validator import RequestValidator
from yarl import URL, query_to_pairs

from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.console.state import open_console_store
from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.demo import (
    DEMO_PROVIDER_ID,
    DEMO_PROVIDER_KEY,
    DEMO_PROVIDER_PHONE,
    Persona,
    personas,
)
from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.providers import hash_api_key
from eligibility_gw.settings import Settings, parse_settings
from eligibility_gw.textbudget import sms_segments
from tests.channels.console.support import add_staff
from tests.channels.telegram.fakeapi import FakeBotApi

Client = TestClient[web.Request, web.Application]

PUBLIC = "https://gw.example.org"
TWILIO_TOKEN = "hostile-twilio-token-0123456789abcdef"
TWILIO_ENV = "EGW_HOSTILE_TWILIO_TOKEN"
TELEGRAM_TOKEN = "987654321:HOSTILE-token_for_the-fake-bot-api"
TELEGRAM_SECRET = "hostile-webhook-secret_7"
TELEGRAM_TOKEN_ENV = "EGW_HOSTILE_TELEGRAM_TOKEN"
TELEGRAM_SECRET_ENV = "EGW_HOSTILE_TELEGRAM_SECRET"

SMS_PATH = "/channels/sms/twilio"
SMS_STATUS_PATH = "/channels/sms/twilio/status"
AT_PATH = "/channels/ussd/africastalking"
HUBTEL_PATH = "/channels/ussd/hubtel"
TELEGRAM_PATH = "/channels/telegram/webhook"

PROVIDER_ID = DEMO_PROVIDER_ID
PROVIDER_KEY = DEMO_PROVIDER_KEY
PROVIDER_PHONE = DEMO_PROVIDER_PHONE
CLOSED_ID = "closed-clinic"
CLOSED_KEY = "egw_closed_clinic_key_for_hostile_tests_only"
CLOSED_PHONE = "+989350000002"
OTHER_ID = "other-lab"
OTHER_KEY = "egw_other_lab_key_for_hostile_tests_only"
OTHER_PHONE = "+989350000003"
#: Well formed, never issued.
UNKNOWN_KEY = "egw_" + "u" * 43
REZAEI_PHONE = "+989121110001"
KARIMI_PHONE = "+989121110002"
#: On file for nobody.
STRANGER_PHONE = "+989129999999"

#: Limits far above anything a test sends, so that fuzzing reaches the parsers.
GENEROUS: dict[str, dict[str, object]] = {
    "web": {
        "requests_per_minute": 1_000_000,
        "batches_per_hour": 1_000_000,
        "inquiries_per_national_id": 1_000_000,
    },
    "sms": {"inquiries_per_sender": 1_000_000, "inquiries_per_national_id": 1_000_000},
    "ussd": {
        "hops_per_minute": 1_000_000,
        "answers_per_hour": 1_000_000,
        "asks_per_national_id_per_hour": 1_000_000,
    },
    "telegram": {"updates_per_sender": 1_000_000, "inquiries_per_national_id": 1_000_000},
    "console": {},
}

_TRACKING = re.compile(r"(?<![0-9۰-۹])([0-9۰-۹]{4})-([0-9۰-۹]{4})-([0-9۰-۹]{4})(?![0-9۰-۹])")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def hostile_settings(
    db: Path,
    telegram_api: str,
    knobs: Mapping[str, Mapping[str, object]] | None = None,
    languages: Sequence[str] = ("fa", "en"),
) -> Settings:
    """Every channel on, over ``db``; ``knobs`` replace the generous limits per channel."""
    channels: dict[str, dict[str, object]] = {
        name: dict(values) for name, values in GENEROUS.items()
    }
    for name, values in (knobs or {}).items():
        channels.setdefault(name, {}).update(values)
    channels["sms"].update(
        {
            "account_sid": "AC" + "1" * 32,
            "from_number": "+98300001420",
            "auth_token_env": TWILIO_ENV,
            "api_base_url": "http://127.0.0.1:9",
        }
    )
    channels["telegram"].update(
        {
            "token_env": TELEGRAM_TOKEN_ENV,
            "secret_env": TELEGRAM_SECRET_ENV,
            "api_base_url": f"{telegram_api}/bot",
            "api_file_base_url": f"{telegram_api}/file/bot",
        }
    )
    return parse_settings(
        {
            "gateway": {
                "rule_pack": "ir-tamin",
                "time_zone": "Asia/Tehran",
                "languages": list(languages),
            },
            "store": {"url": f"sqlite:///{db}"},
            "server": {"public_base_url": PUBLIC},
            "channels": channels,
        },
        source="<hostile tests>",
    )


async def seed(core: Core) -> list[Persona]:
    """The demo personas, two active providers and a deactivated one (phones, keys), staff."""
    people = personas(core.pack, core.settings.today())
    await core.store.registry.upsert_rows([p.row for p in people])
    providers = core.store.providers
    await providers.add(
        PROVIDER_ID,
        "Demo Pharmacy",
        ProviderKind.PHARMACY,
        PROVIDER_PHONE,
        hash_api_key(PROVIDER_KEY),
    )
    await providers.add(
        CLOSED_ID, "Closed Clinic", ProviderKind.CLINIC, CLOSED_PHONE, hash_api_key(CLOSED_KEY)
    )
    await providers.set_active(CLOSED_ID, False)
    await providers.add(
        OTHER_ID, "Other Lab", ProviderKind.PARACLINIC, OTHER_PHONE, hash_api_key(OTHER_KEY)
    )
    store = await open_console_store(core.store)
    assert store is not None
    try:
        await add_staff(store)
    finally:
        await store.close()
    return people


@dataclass(frozen=True, slots=True)
class Answer:
    """What the gateway answered to one request."""

    status: int
    content_type: str
    text: str
    headers: CIMultiDict[str]

    def json(self) -> Any:
        """The body read as JSON."""
        return json.loads(self.text)

    def tracking_codes(self) -> list[str]:
        """Every grouped tracking code the body quotes, in ASCII digits."""
        return codes_in(self.text)


def codes_in(text: str) -> list[str]:
    """Every grouped tracking code ``text`` quotes (ASCII or Persian digits), in ASCII."""
    return [ascii_digits("".join(m.groups())) for m in _TRACKING.finditer(text)]


def assert_sound(answer: Answer, what: str = "") -> None:
    """Never a server error, never a traceback: whatever was sent."""
    assert answer.status < 500, f"{what}: {answer.status} {answer.text[:300]!r}"
    assert not _TRACEBACK.search(answer.text), f"{what}: traceback in {answer.text[:500]!r}"


def assert_problem(answer: Answer) -> None:
    """A 4xx of the JSON API is an RFC 9457 problem document naming its own status."""
    assert 400 <= answer.status < 500, answer
    assert answer.content_type == "application/problem+json", answer
    problem = answer.json()
    assert problem["status"] == answer.status
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"]
    assert str(problem["type"]).startswith("/problems/")


def assert_twiml(answer: Answer) -> str | None:
    """A 200 is TwiML: one message at most, in three SMS parts at most; its text."""
    assert answer.content_type == "text/xml", answer
    root = ET.fromstring(answer.text)  # noqa: S314 (our own server's TwiML)
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1, answer.text
    if not messages:
        return None
    text = messages[0].text or ""
    assert text.strip(), answer.text
    assert sms_segments(text) <= 3, text
    return text


def sms_params(body: bytes, content_type: str | None) -> MultiDict[str]:
    """The form fields the server reads from ``body`` (as aiohttp parses them), for signing.

    Bodies it cannot read are refused before the signature matters: they sign as no fields.
    """
    if content_type is None:  # read as application/octet-stream: no fields
        return MultiDict()
    media, params = parse_content_type(content_type)
    if media not in ("", "application/x-www-form-urlencoded") or not body:
        return MultiDict()
    charset = params.get("charset") or "utf-8"
    try:
        query = body.rstrip().decode(charset)
        return MultiDict(query_to_pairs(query, encoding=charset))
    except (LookupError, ValueError):
        return MultiDict()


def twilio_signature(path: str, params: MultiDict[str], token: str = TWILIO_TOKEN) -> str:
    """Twilio's signature for a POST of ``params`` to ``path`` at the public address."""
    signature: str = RequestValidator(token).compute_signature(PUBLIC + path, params)
    return signature


def form_body(pairs: Sequence[tuple[str, str]]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body, as Twilio and browsers send it."""
    return urlencode(list(pairs)).encode("ascii")


_TELEGRAM_IDS = itertools.count(100_000)


def telegram_update(user_id: int, language: str, kind: str, fields: dict[str, Any]) -> bytes:
    """An update from a user in a private chat: a ``message`` or a ``callback_query``."""
    sender = {"id": user_id, "is_bot": False, "first_name": "T", "language_code": language}
    if kind == "message":
        body = {
            "message_id": next(_TELEGRAM_IDS),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": sender,
            **fields,
        }
    else:
        body = {"from": sender, **fields}
    return json.dumps({"update_id": next(_TELEGRAM_IDS), kind: body}).encode("utf-8")


@dataclass
class Hostile:
    """The gateway under attack: its client, core, and the fake Bot API it talks to."""

    client: Client
    core: Core
    telegram_api: FakeBotApi
    people: list[Persona]
    answered: list[str] = field(default_factory=list)

    def national_id(self, key: str) -> str:
        """A persona's national id."""
        return next(p.row.national_id for p in self.people if p.key == key)

    async def send(
        self,
        method: str,
        path: str | URL,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One raw request."""
        all_headers = dict(headers or {})
        skip = []
        if content_type is None:
            skip.append("Content-Type")
        else:
            all_headers["Content-Type"] = content_type
        # aiohttp warns of large bytes bodies (they block its loop while sent): a stream then.
        data = io.BytesIO(body) if body is not None and len(body) > 2**20 else body
        async with self.client.request(
            method,
            path,
            data=data,
            headers=all_headers,
            skip_auto_headers=skip,
            allow_redirects=False,
        ) as resp:
            text = (await resp.read()).decode("utf-8", errors="replace")
            return Answer(resp.status, resp.content_type, text, CIMultiDict(resp.headers))

    def remember(self, answer: Answer) -> Answer:
        """Keep the tracking codes an answer quotes, to be found in the log later.

        Only for channels that never echo what was typed: a page may quote a code it was given.
        """
        self.answered.extend(answer.tracking_codes())
        return answer

    async def sms(
        self,
        body: bytes,
        content_type: str | None = "application/x-www-form-urlencoded",
        path: str = SMS_PATH,
        signature: str | None = None,
    ) -> Answer:
        """Post to a Twilio webhook, signed over what the server will read unless told."""
        if signature is None:
            signature = twilio_signature(path, sms_params(body, content_type))
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return self.remember(await self.send("POST", path, body, content_type, headers))

    async def telegram(
        self, body: bytes, content_type: str | None = "application/json", secret: str | None = None
    ) -> Answer:
        """Post to the Telegram webhook with the configured secret unless told otherwise."""
        given = TELEGRAM_SECRET if secret is None else secret
        headers = {SECRET_HEADER: given} if given else {}
        return self.remember(await self.send("POST", TELEGRAM_PATH, body, content_type, headers))

    async def chat(self, user_id: int, language: str, text: str = "", **message: Any) -> Answer:
        """A Telegram user's message (a command when ``text`` starts with ``/``); the texts the
        bot sent back, one a line."""
        fields = dict(message)
        if text:
            fields["text"] = text
            if text.startswith("/"):
                fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        mark = len(self.telegram_api.calls)
        answer = await self.telegram(telegram_update(user_id, language, "message", fields))
        sent = [c.text for c in self.telegram_api.since(mark) if c.method == "sendMessage"]
        self.answered.extend(code for t in sent for code in codes_in(t))
        return Answer(answer.status, "text/plain", "\n".join(sent), answer.headers)

    async def tap(self, user_id: int, language: str, data: str) -> Answer:
        """A tap on an inline button; the button's note and the texts sent, one a line."""
        query = {
            "id": f"cq{next(_TELEGRAM_IDS)}",
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": next(_TELEGRAM_IDS),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "text": "…",
            },
        }
        mark = len(self.telegram_api.calls)
        answer = await self.telegram(telegram_update(user_id, language, "callback_query", query))
        said = [
            c.text
            for c in self.telegram_api.since(mark)
            if c.method in ("sendMessage", "answerCallbackQuery")
        ]
        return Answer(answer.status, "text/plain", "\n".join(said), answer.headers)

    async def assert_nothing_lost(self) -> None:
        """Every tracking code handed out is in the answer log, and the chain holds."""
        codes, self.answered = dict.fromkeys(self.answered), []
        for digits in codes:
            try:
                code = TrackingCode.parse(digits)
            except EligibilityError:
                continue  # four-four-four digits that are no tracking code
            found = await self.core.store.answers.find(code)
            assert found is not None, f"answer {digits} was given but is not in the log"
        report = await self.core.store.answers.verify()
        assert report.ok, report
