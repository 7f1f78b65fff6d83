"""Fixtures of the Telegram channel tests: a fake Bot API and gateways from ``make_gateway``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import (
    SECRET,
    SECRET_ENV,
    TOKEN,
    TOKEN_ENV,
    TelegramGateway,
    TelegramUser,
    add_test_people,
    telegram_channels,
)
from tests.conftest import MakeGateway

#: ``make_telegram(store="memory", telegram={...}, crowd=0, fresh=True, **make_gateway
#: options)``: a gateway with the Telegram channel on the fake Bot API.
MakeTelegram = Callable[..., Awaitable[TelegramGateway]]
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
def make_telegram(make_gateway: MakeGateway, api_url: str, fake_api: FakeBotApi) -> MakeTelegram:
    """Start gateways with the Telegram channel (in memory unless a test asks otherwise).

    ``fresh=False`` starts on a store that already holds the demo (a restart).
    """

    async def make(
        *,
        store: str = "memory",
        telegram: Mapping[str, object] | None = None,
        crowd: int = 0,
        fresh: bool = True,
        **options: object,
    ) -> TelegramGateway:
        test = await make_gateway(
            store=store,
            seed_demo=fresh,
            channels=telegram_channels(api_url, telegram),
            **options,
        )
        if fresh:
            await add_test_people(test, crowd)
        return TelegramGateway(test, fake_api)

    return make


@pytest.fixture
async def gateway(make_telegram: MakeTelegram) -> TelegramGateway:
    """A gateway on the memory store with the default knobs."""
    return await make_telegram()


@pytest.fixture
def make_user(gateway: TelegramGateway) -> MakeUser:
    """A new Telegram user of ``gateway``, each with a user id of their own."""
    return gateway.user
