"""Fixtures of the SMS channel tests: a demo registry on disk, a fake Twilio, the gateway."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from eligibility_gw.app import create_app
from eligibility_gw.demo import Persona
from tests.channels.sms.support import (
    TOKEN,
    FakeTwilio,
    SmsClient,
    fill_registry,
    gateway_settings,
)

MakeGateway = Callable[..., Awaitable[SmsClient]]


@pytest.fixture(autouse=True)
def twilio_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The auth token the gateway reads from its environment."""
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


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh SQLite file."""
    return tmp_path / "gateway.sqlite3"


@pytest.fixture
def people() -> list[Persona]:
    """Filled in by ``make_gateway``: the personas in the registry."""
    return []


@pytest.fixture
def make_gateway(
    aiohttp_client: AiohttpClient,
    db_path: Path,
    twilio_server: TestServer,
    fake_twilio: FakeTwilio,
    people: list[Persona],
) -> MakeGateway:
    """Start a gateway on the demo registry with SMS knobs as given."""

    async def make(
        languages: tuple[str, ...] = ("en", "fa"),
        server: dict[str, object] | None = None,
        **sms: object,
    ) -> SmsClient:
        settings = gateway_settings(db_path, fake_twilio.base_url, languages, server, **sms)
        if not people:
            people.extend(await fill_registry(settings))
        client: TestClient[web.Request, web.Application] = await aiohttp_client(
            create_app(settings)
        )
        return SmsClient(client)

    return make


@pytest.fixture
async def gateway(make_gateway: MakeGateway) -> SmsClient:
    """A gateway with the default SMS knobs (English first, Persian second)."""
    return await make_gateway()
