"""Fixtures of the console tests: a seeded gateway with staff, a fake Twilio, signed-in staff.

Gateways come from the suite's ``make_gateway``: on the in-memory store by default (page
tests, milliseconds), on SQLite where a test asks for it (``make_console(store="sqlite")``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.demo import DEMO_PROVIDER_ID
from eligibility_gw.gateway import Gateway
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports.casework import ConsoleStore
from eligibility_gw.settings import Settings
from tests.channels.console.support import (
    AGENT,
    AGENT_PASSWORD,
    PORTAL,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    StaffVisitor,
    add_staff,
    twilio_table,
)
from tests.channels.sms.support import TOKEN, FakeTwilio
from tests.conftest import MakeGateway
from tests.gateway import Client, TestGateway


@dataclass(frozen=True)
class Console:
    """A running gateway with staff accounts, and the fake Twilio it sends through."""

    tg: TestGateway
    twilio: FakeTwilio

    @property
    def gateway(self) -> Gateway:
        """What bootstrap opened."""
        return self.tg.gateway

    @property
    def settings(self) -> Settings:
        """The gateway's settings."""
        return self.tg.settings

    @property
    def client(self) -> Client:
        """The HTTP client of the gateway's app."""
        return self.tg.client

    @property
    def inquiries(self) -> Inquiries:
        """The inquiry policy's door (how the tests' providers ask)."""
        return self.tg.inquiries

    @property
    def store(self) -> ConsoleStore:
        """What the console keeps (the gateway store's casework)."""
        return self.tg.store.casework

    @property
    def ids(self) -> dict[str, str]:
        """The demo personas' national ids by key."""
        return {key: p.row.national_id for key, p in self.tg.people.items()}

    async def provider(self, provider_id: str = DEMO_PROVIDER_ID) -> Asker:
        """A registered provider asking through its portal."""
        provider = await self.inquiries.provider(provider_id)
        assert provider is not None
        return Asker.for_provider(PORTAL, provider)

    async def provider_check(self, key: str) -> Disclosure:
        """The demo pharmacy checks a persona (logged, as any provider's check)."""
        return await self.inquiries.ask(await self.provider(), self.ids[key])

    def visitor(self, **headers: str) -> StaffVisitor:
        """A fresh browser."""
        return StaffVisitor(self.client, headers)

    async def signed_in(
        self, username: str = AGENT, password: str = AGENT_PASSWORD, **headers: str
    ) -> StaffVisitor:
        """A browser signed in as ``username``."""
        visitor = self.visitor(**headers)
        response = await visitor.sign_in(username, password)
        assert response.status == 303, await response.text()
        return visitor

    async def agent(self, **headers: str) -> StaffVisitor:
        """The agent, signed in."""
        return await self.signed_in(AGENT, AGENT_PASSWORD, **headers)

    async def supervisor(self, **headers: str) -> StaffVisitor:
        """The supervisor, signed in."""
        return await self.signed_in(SUPERVISOR, SUPERVISOR_PASSWORD, **headers)


@pytest.fixture(autouse=True)
def twilio_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The auth token the gateway's outbound SMS reads from its environment."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    return TOKEN


@pytest.fixture
def fake_twilio() -> FakeTwilio:
    """A fake of Twilio's REST API (started by ``twilio_server``)."""
    return FakeTwilio()


@pytest.fixture
async def twilio_server(aiohttp_server: AiohttpServer, fake_twilio: FakeTwilio) -> TestServer:
    """The fake Twilio, listening on a local port."""
    server = await aiohttp_server(fake_twilio.app())
    fake_twilio.base_url = str(server.make_url("")).rstrip("/")
    return server


MakeConsole = Callable[..., Awaitable[Console]]


@pytest.fixture
async def make_console(
    make_gateway: MakeGateway, twilio_server: TestServer, fake_twilio: FakeTwilio
) -> MakeConsole:
    """Start a seeded gateway with staff; console knobs as keywords.

    ``store`` ("memory" or "sqlite"), ``sms=False`` (no outbound SMS), ``languages`` and any
    other ``make_gateway`` option (``inquiries=``, ``notices=``, ``extra=``…) pass through.
    """

    async def make(
        *,
        store: str = "memory",
        sms: bool = True,
        languages: tuple[str, ...] = ("en", "fa"),
        gateway: dict[str, Any] | None = None,
        **knobs: Any,
    ) -> Console:
        tg = await make_gateway(
            store=store,
            languages=languages,
            channels={"console": knobs},
            twilio=twilio_table(fake_twilio.base_url) if sms else {},
            client_args={"cookie_jar": DummyCookieJar()},
            **(gateway or {}),
        )
        await add_staff(tg.store.casework)
        return Console(tg, fake_twilio)

    return make


@pytest.fixture
async def console(make_console: MakeConsole) -> Console:
    """A gateway on the in-memory store with the default console knobs."""
    return await make_console()
