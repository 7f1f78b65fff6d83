"""The gateway the hostile tests attack: every channel on, a seeded registry, signed requests.

It is the suite's one test gateway (``make_gateway``) with every channel mounted, seen from
outside: Twilio signatures are computed with Twilio's own ``RequestValidator`` (through the
SMS tests' ``sign``) over the fields the server will read, and the Telegram secret header is
the configured one, so fuzzed bodies get past the doors and reach the parsers behind them.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp.helpers import parse_content_type
from multidict import CIMultiDict, MultiDict
from yarl import URL, query_to_pairs

from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.demo import DEMO_PROVIDER_ID, DEMO_PROVIDER_KEY, DEMO_PROVIDER_PHONE, Persona
from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import Store
from eligibility_gw.providers import hash_api_key
from eligibility_gw.settings import Settings
from eligibility_gw.textbudget import sms_segments
from tests.channels.console.support import add_staff
from tests.channels.sms.support import INBOUND as SMS_PATH
from tests.channels.sms.support import PUBLIC, FakeTwilio, sign, twilio_form
from tests.channels.sms.support import STATUS as SMS_STATUS_PATH
from tests.channels.sms.support import TOKEN as TWILIO_TOKEN
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.support import SECRET_ENV as TELEGRAM_SECRET_ENV
from tests.channels.telegram.support import TOKEN as TELEGRAM_TOKEN
from tests.channels.telegram.support import TOKEN_ENV as TELEGRAM_TOKEN_ENV
from tests.channels.telegram.support import WEBHOOK as TELEGRAM_PATH
from tests.channels.telegram.support import TelegramUser
from tests.channels.ussd.support import AT_PATH, HUBTEL_PATH
from tests.gateway import Client, TestGateway

__all__ = [
    "AT_PATH",
    "HUBTEL_PATH",
    "PUBLIC",
    "SMS_PATH",
    "SMS_STATUS_PATH",
    "TELEGRAM_PATH",
    "TELEGRAM_SECRET",
    "TELEGRAM_SECRET_ENV",
    "TELEGRAM_TOKEN",
    "TELEGRAM_TOKEN_ENV",
    "TWILIO_TOKEN",
]

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

#: The core's quotas far above anything a test sends, so that fuzzing reaches the parsers.
GENEROUS_QUOTAS: dict[str, int] = {
    "provider_per_minute": 1_000_000,
    "insured_per_hour": 1_000_000,
    "staff_per_hour": 1_000_000,
    "provider_per_national_id": 1_000_000,
    "national_id_ceiling": 1_000_000,
}
#: The same for each channel's own flood guard (sign-in throttles keep their defaults).
GENEROUS_GUARDS: dict[str, dict[str, object]] = {
    "web": {"batches_per_hour": 1_000_000},
    "sms": {"inquiries_per_sender": 1_000_000},
    "ussd": {"hops_per_minute": 1_000_000},
    "telegram": {"updates_per_sender": 1_000_000},
    "console": {},
}

_TRACKING = re.compile(r"(?<![0-9۰-۹])([0-9۰-۹]{4})-([0-9۰-۹]{4})-([0-9۰-۹]{4})(?![0-9۰-۹])")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


def hostile_channels(
    telegram_api: str, knobs: Mapping[str, Mapping[str, object]] | None = None
) -> dict[str, dict[str, object]]:
    """``[channels.*]`` with every channel on: generous flood guards, ``knobs`` over them, and
    the Telegram bot pointed at the fake Bot API at ``telegram_api``."""
    channels = {name: dict(values) for name, values in GENEROUS_GUARDS.items()}
    for name, values in (knobs or {}).items():
        channels.setdefault(name, {}).update(values)
    channels["telegram"].update(
        {
            "token_env": TELEGRAM_TOKEN_ENV,
            "secret_env": TELEGRAM_SECRET_ENV,
            "api_base_url": f"{telegram_api}/bot",
            "api_file_base_url": f"{telegram_api}/file/bot",
        }
    )
    return channels


async def add_hostile_callers(store: Store) -> None:
    """Beside the demo (personas, the demo pharmacy): a deactivated clinic and another active
    provider, with fixed keys and phones, and the console's staff."""
    providers = store.providers
    await providers.add(
        CLOSED_ID, "Closed Clinic", ProviderKind.CLINIC, CLOSED_PHONE, hash_api_key(CLOSED_KEY)
    )
    await providers.set_active(CLOSED_ID, False)
    await providers.add(
        OTHER_ID, "Other Lab", ProviderKind.PARACLINIC, OTHER_PHONE, hash_api_key(OTHER_KEY)
    )
    await add_staff(store.casework)


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


def form_body(pairs: Sequence[tuple[str, str]]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body, as Twilio and browsers send it."""
    return urlencode(list(pairs)).encode("ascii")


@dataclass
class Hostile:
    """The gateway under attack: the suite's test gateway, and the fakes it talks to."""

    tg: TestGateway
    telegram_api: FakeBotApi
    twilio: FakeTwilio
    answered: list[str] = field(default_factory=list)

    @property
    def client(self) -> Client:
        """The HTTP client of the gateway's app."""
        return self.tg.client

    @property
    def settings(self) -> Settings:
        """The gateway's settings."""
        return self.tg.settings

    @property
    def store(self) -> Store:
        """Every port of the store (the answer log above all)."""
        return self.tg.store

    @property
    def pack(self) -> RulePack:
        """The rule pack answering."""
        return self.tg.gateway.pack

    @property
    def people(self) -> list[Persona]:
        """The demo personas, in the demo's order."""
        return list(self.tg.people.values())

    async def answers(self) -> int:
        """How many answers the log holds."""
        return await self.tg.answers()

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
            params = sms_params(body, content_type)
            signature = sign(PUBLIC + path, list(params.items()))
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return self.remember(await self.send("POST", path, body, content_type, headers))

    async def text(self, sender: str, said: str) -> Answer:
        """An SMS from ``sender`` saying ``said``, as Twilio posts it."""
        return await self.sms(form_body(list(twilio_form(sender, said).items())))

    async def telegram(
        self, body: bytes, content_type: str | None = "application/json", secret: str | None = None
    ) -> Answer:
        """Post to the Telegram webhook with the configured secret unless told otherwise."""
        given = TELEGRAM_SECRET if secret is None else secret
        headers = {SECRET_HEADER: given} if given else {}
        return self.remember(await self.send("POST", TELEGRAM_PATH, body, content_type, headers))

    def telegram_user(self, user_id: int, language: str) -> TelegramUser:
        """A Telegram user in a private chat with the bot."""
        return TelegramUser(self.client, self.telegram_api, user_id, language)

    async def chat(self, user_id: int, language: str, text: str = "", **message: Any) -> Answer:
        """A Telegram user's message (a command when ``text`` starts with ``/``); the texts the
        bot sent back, one a line."""
        fields = dict(message)
        if text:
            fields["text"] = text
            if text.startswith("/"):
                fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        user = self.telegram_user(user_id, language)
        status = await user.post(user.message(**fields))
        sent = [c.text for c in user.last if c.method == "sendMessage"]
        self.answered.extend(code for t in sent for code in codes_in(t))
        return Answer(status, "text/plain", "\n".join(sent), CIMultiDict())

    async def tap(self, user_id: int, language: str, data: str) -> Answer:
        """A tap on an inline button; the button's note and the texts sent, one a line."""
        user = self.telegram_user(user_id, language)
        status = await user.post(user.button_tap(data))
        said = [c.text for c in user.last if c.method in ("sendMessage", "answerCallbackQuery")]
        return Answer(status, "text/plain", "\n".join(said), CIMultiDict())

    async def assert_nothing_lost(self) -> None:
        """Every tracking code handed out is in the answer log, and the chain holds."""
        codes, self.answered = dict.fromkeys(self.answered), []
        for digits in codes:
            try:
                code = TrackingCode.parse(digits)
            except EligibilityError:
                continue  # four-four-four digits that are no tracking code
            found = await self.store.answers.find(code)
            assert found is not None, f"answer {digits} was given but is not in the log"
        report = await self.store.answers.verify()
        assert report.ok, report
