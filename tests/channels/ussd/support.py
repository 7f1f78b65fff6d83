"""Helpers of the USSD tests: the suite's test gateway, and one caller per dialect, hop by hop."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from eligibility_gw.demo import DEMO_PROVIDER_ID, DEMO_PROVIDER_PHONE
from eligibility_gw.domain.dates import add_months, end_of_month
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.ports import RegistryRow
from eligibility_gw.textbudget import fits_ussd
from tests.gateway import Client, TestGateway

AT_PATH = "/channels/ussd/africastalking"
HUBTEL_PATH = "/channels/ussd/hubtel"

REZAEI = "+989121110001"  # principal of the Rezaei family (5 dependents), covered
KARIMI = "+989121110002"  # principal of the Karimi family (7 dependents), cover ends today
AHMADI = "+989121110003"  # principal whose cover ended two months ago
SHARED = "+989121110009"  # on file for two principals (Nima and Neda Sadeghi)
PROVIDER = DEMO_PROVIDER_PHONE  # the demo pharmacy, active
PROVIDER_OFF = "+989350000002"  # a deactivated clinic
STRANGER = "+989129999999"  # on file for nobody
INACTIVE_PROVIDER_ID = "closed-clinic"
OTHER_PROVIDER_ID = "other-clinic"
OTHER_PROVIDER = "+989350000003"  # another active provider


def only_ussd(knobs: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """``channels`` settings serving the USSD channel alone, with its knobs as given."""
    others = ("web", "sms", "telegram", "console")
    return {**{name: {"enabled": False} for name in others}, "ussd": dict(knobs)}


def shared_phone_rows(pack: RulePack, today: date) -> list[RegistryRow]:
    """Two principals who gave the same phone (a household phone)."""
    cover = (add_months(today, -24), end_of_month(add_months(today, 10)))
    rows = []
    for i, (given, sex) in enumerate((("Nima", "M"), ("Neda", "F")), start=1):
        rows.append(
            RegistryRow(
                national_id=pack.national_id.complete(f"2000000{i:02d}"),
                given_name=given,
                family_name="Sadeghi",
                birth_date=date(1980 + i, 3, 1),
                sex=sex,
                phone=SHARED,
                relationship="self",
                principal_id=None,
                cover_start=cover[0],
                cover_end=cover[1],
                marital_status="single",
                student_until=None,
                birth_certificate_seen=None,
                disabled=False,
                has_income=False,
                other_insurer=None,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class Screen:
    """One answer of the gateway, as the operator reads it."""

    status: int
    end: bool
    text: str
    seconds: float

    @property
    def fits(self) -> bool:
        """Say whether the text fits one USSD screen (default budgets)."""
        return fits_ussd(self.text)


class Session(Protocol):
    """One USSD session as a dialect's gateway drives it."""

    dialect: str

    async def dial(self) -> Screen:
        """The first hop."""

    async def send(self, text: str) -> Screen:
        """The caller's next answer."""

    async def repeat(self) -> Screen:
        """The latest hop, delivered again."""

    async def hangup(self) -> Screen | None:
        """The network ends the session (None when the dialect has no such callback)."""


@dataclass
class UssdGateway:
    """The suite's test gateway with the USSD callers' extra people, and sessions to open."""

    test: TestGateway
    #: Another active provider, with a phone of its own.
    other: Provider

    @property
    def client(self) -> Client:
        """The HTTP client of the gateway."""
        return self.test.client

    @property
    def inquiries(self) -> Inquiries:
        """The core's door to answers."""
        return self.test.inquiries

    @property
    def pack(self) -> RulePack:
        """The rule pack answering."""
        return self.test.gateway.pack

    def nid(self, persona: str) -> str:
        """A demo persona's national id."""
        return self.test.nid(persona)

    async def answers(self) -> int:
        """How many answers the log holds."""
        return await self.test.answers()

    async def pharmacy(self) -> Provider:
        """The demo pharmacy (the provider of ``PROVIDER``)."""
        found = await self.test.store.providers.get(DEMO_PROVIDER_ID)
        assert found is not None
        return found

    def session(self, dialect: str, phone: str) -> Session:
        """A new session of ``dialect`` from ``phone``."""
        if dialect == "africastalking":
            return AtSession(self.client, phone)
        return HubtelSession(self.client, phone)


async def with_ussd_callers(test: TestGateway) -> UssdGateway:
    """Add what the USSD paths dial from besides the demo: a household phone, a deactivated
    clinic and another provider."""
    pack = test.gateway.pack
    await test.store.registry.upsert_rows(shared_phone_rows(pack, test.settings.today()))
    await test.add_provider(INACTIVE_PROVIDER_ID, phone=PROVIDER_OFF, active=False)
    other, _key = await test.add_provider(OTHER_PROVIDER_ID, phone=OTHER_PROVIDER)
    return UssdGateway(test, other)


async def _timed_post(client: Client, path: str, **kwargs: Any) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    async with client.post(path, **kwargs) as resp:
        body = await resp.text()
        return resp.status, resp.content_type, body, time.perf_counter() - started


@dataclass
class AtSession:
    """Africa's Talking: a form with the whole history in ``text``."""

    client: Client
    phone: str
    session_id: str = field(default_factory=lambda: "ATUid_" + secrets.token_hex(8))
    history: list[str] = field(default_factory=list)
    last: dict[str, str] = field(default_factory=dict)
    dialect: str = "africastalking"

    def form(self, text: str) -> dict[str, str]:
        """The form Africa's Talking posts."""
        return {
            "sessionId": self.session_id,
            "serviceCode": "*384*1420#",
            "phoneNumber": self.phone,
            "networkCode": "63902",
            "text": text,
        }

    async def post(self, form: Mapping[str, str]) -> Screen:
        """Post one hop."""
        self.last = dict(form)
        status, content_type, body, seconds = await _timed_post(self.client, AT_PATH, data=form)
        assert content_type == "text/plain"
        assert body.startswith(("CON ", "END ")), body
        return Screen(status, body.startswith("END "), body[4:], seconds)

    async def dial(self) -> Screen:
        """Start: empty text."""
        self.history = []
        return await self.post(self.form(""))

    async def send(self, text: str) -> Screen:
        """The history so far, with ``text`` added."""
        self.history.append(text)
        return await self.post(self.form("*".join(self.history)))

    async def repeat(self) -> Screen:
        """The same form again."""
        return await self.post(self.last)

    async def hangup(self) -> Screen | None:
        """Africa's Talking does not call back when a session ends."""
        return None


@dataclass
class HubtelSession:
    """Hubtel: JSON with the newest input only, hops numbered by ``Sequence``."""

    client: Client
    phone: str
    session_id: str = field(default_factory=lambda: secrets.token_hex(16))
    sequence: int = 0
    last: dict[str, object] = field(default_factory=dict)
    dialect: str = "hubtel"

    def payload(self, kind: str, message: str) -> dict[str, object]:
        """The JSON Hubtel posts."""
        return {
            "Type": kind,
            "Mobile": self.phone.removeprefix("+"),
            "SessionId": self.session_id,
            "ServiceCode": "713*1420",
            "Message": message,
            "Operator": "mtn",
            "Sequence": self.sequence,
            "ClientState": "",
        }

    async def post(self, payload: Mapping[str, object]) -> Screen:
        """Post one hop."""
        self.last = dict(payload)
        status, content_type, body, seconds = await _timed_post(
            self.client, HUBTEL_PATH, json=payload
        )
        assert content_type == "application/json"
        data = json.loads(body)
        assert data["Type"] in ("Response", "Release"), data
        return Screen(status, data["Type"] == "Release", str(data["Message"]), seconds)

    async def dial(self) -> Screen:
        """Start: ``initiation`` with the dialled string."""
        self.sequence = 1
        return await self.post(self.payload("Initiation", "*713*1420#"))

    async def send(self, text: str) -> Screen:
        """The next ``response``."""
        self.sequence += 1
        return await self.post(self.payload("Response", text))

    async def repeat(self) -> Screen:
        """The same payload again."""
        return await self.post(self.last)

    async def hangup(self) -> Screen | None:
        """Hubtel's ``timeout``."""
        self.sequence += 1
        return await self.post(self.payload("Timeout", ""))


async def provider_check(
    gateway: UssdGateway, dialect: str, national_id: str, phone: str = PROVIDER, day: str = "1"
) -> Screen:
    """A provider's check of ``national_id`` through the menus; the last screen."""
    session = gateway.session(dialect, phone)
    await session.dial()
    await session.send("1")
    await session.send(national_id)
    return await session.send(day)
