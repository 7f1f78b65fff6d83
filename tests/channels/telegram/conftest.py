"""Fixtures of the Telegram channel tests: a fake Bot API, a demo registry, the gateway."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from eligibility_gw.app import create_app
from eligibility_gw.demo import Persona
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import (
    SECRET,
    SECRET_ENV,
    TOKEN,
    TOKEN_ENV,
    Client,
    TelegramUser,
    fill_registry,
    gateway_settings,
)

MakeGateway = Callable[..., Awaitable[Client]]
MakeUser = Callable[..., TelegramUser]


@pytest.fixture(autouse=True)
def telegram_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token and secret the gateway reads from its environment."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture
def fake_api() -> FakeBotApi:
    """The fake Bot API's state: what the bot called."""
    return FakeBotApi(TOKEN)


@pytest.fixture
async def api_server(aiohttp_server: AiohttpServer, fake_api: FakeBotApi) -> TestServer:
    """The fake Bot API, listening on a local port."""
    return await aiohttp_server(fake_api.app())


@pytest.fixture
def api_url(api_server: TestServer) -> str:
    """The fake's root URL."""
    return str(api_server.make_url("")).rstrip("/")


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
    aiohttp_client: AiohttpClient, db_path: Path, api_url: str, people: list[Persona]
) -> MakeGateway:
    """Start a gateway (``create_app``) on the demo registry with Telegram knobs as given."""

    async def make(crowd: int = 0, **telegram: object) -> Client:
        settings = gateway_settings(db_path, api_url, telegram)
        if not people:
            people.extend(await fill_registry(settings, crowd))
        client: Client = await aiohttp_client(create_app(settings))
        return client

    return make


@pytest.fixture
async def gateway(make_gateway: MakeGateway) -> Client:
    """A gateway with the default knobs."""
    return await make_gateway()


@pytest.fixture
def make_user(gateway: Client, fake_api: FakeBotApi) -> MakeUser:
    """A new Telegram user of ``gateway``, each with a user id of their own."""
    ids = itertools.count(424_242_001)

    def make(language_code: str | None = "en", chat_type: str = "private") -> TelegramUser:
        return TelegramUser(gateway, fake_api, next(ids), language_code, chat_type)

    return make
