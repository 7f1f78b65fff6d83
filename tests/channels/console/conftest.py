"""Fixtures of the console tests: a seeded gateway with staff, a fake Twilio, signed-in staff."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import DummyCookieJar, web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from eligibility_gw.app import create_app
from eligibility_gw.bootstrap import Core, open_core
from eligibility_gw.channels.console.records import ConsoleStore
from eligibility_gw.channels.console.state import CONSOLE
from tests.channels.console.support import (
    AGENT,
    AGENT_PASSWORD,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    StaffVisitor,
    console_test_settings,
    seed,
)
from tests.channels.sms.support import TOKEN, FakeTwilio

Client = TestClient[web.Request, web.Application]


@dataclass(frozen=True)
class Console:
    """A running gateway over a seeded store, and the fake Twilio it sends through."""

    core: Core
    client: Client
    ids: dict[str, str]
    twilio: FakeTwilio

    @property
    def store(self) -> ConsoleStore:
        """The console's own store (opened by the app)."""
        store = self.client.app[CONSOLE].store
        assert store is not None
        return store

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
    """The auth token the gateway's SMS channel reads from its environment."""
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
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
    twilio_server: TestServer,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[MakeConsole]:
    """Start a seeded gateway with console knobs as given."""
    opened: list[Core] = []
    clients: list[Client] = []

    async def make(**knobs: Any) -> Console:
        settings = console_test_settings(
            tmp_path / f"console-{len(opened)}.sqlite3", fake_twilio.base_url, **knobs
        )
        core = await open_core(settings)
        opened.append(core)
        ids = await seed(core)
        client: Client = await aiohttp_client(
            create_app(settings, core), cookie_jar=DummyCookieJar()
        )
        clients.append(client)
        return Console(core, client, ids, fake_twilio)

    try:
        yield make
    finally:
        for client in clients:
            await client.close()
        for core in opened:
            await core.close()


@pytest.fixture
async def console(make_console: MakeConsole) -> Console:
    """A gateway with the default console knobs."""
    return await make_console()
