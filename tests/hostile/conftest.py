"""Fixtures of the hostile tests: the whole gateway, every channel on, over a seeded registry."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from eligibility_gw.app import create_app
from eligibility_gw.bootstrap import Core, open_core
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.hostile.support import (
    TELEGRAM_SECRET,
    TELEGRAM_SECRET_ENV,
    TELEGRAM_TOKEN,
    TELEGRAM_TOKEN_ENV,
    TWILIO_ENV,
    TWILIO_TOKEN,
    Client,
    Hostile,
    hostile_settings,
    seed,
)

MakeGateway = Callable[..., Awaitable[Hostile]]


@pytest.fixture(autouse=True)
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Twilio token, the bot token and the webhook secret the gateway reads."""
    monkeypatch.setenv(TWILIO_ENV, TWILIO_TOKEN)
    monkeypatch.setenv(TELEGRAM_TOKEN_ENV, TELEGRAM_TOKEN)
    monkeypatch.setenv(TELEGRAM_SECRET_ENV, TELEGRAM_SECRET)


@pytest.fixture
def telegram_api() -> FakeBotApi:
    """The fake Bot API's state: what the bot called."""
    return FakeBotApi(TELEGRAM_TOKEN)


@pytest.fixture
async def telegram_server(aiohttp_server: AiohttpServer, telegram_api: FakeBotApi) -> TestServer:
    """The fake Bot API, listening on a local port."""
    return await aiohttp_server(telegram_api.app())


@pytest.fixture
async def make_gateway(
    tmp_path: Path,
    aiohttp_client: AiohttpClient,
    telegram_server: TestServer,
    telegram_api: FakeBotApi,
) -> AsyncIterator[MakeGateway]:
    """Start a seeded gateway; ``knobs`` (channel name to settings) replace the defaults, the
    first of ``languages`` is the default one."""
    opened: list[Core] = []
    clients: list[Client] = []
    numbers = itertools.count()
    api_url = str(telegram_server.make_url("")).rstrip("/")

    async def make(
        knobs: Mapping[str, Mapping[str, object]] | None = None,
        languages: Sequence[str] = ("fa", "en"),
    ) -> Hostile:
        db = tmp_path / f"hostile-{next(numbers)}.sqlite3"
        settings = hostile_settings(db, api_url, knobs, languages)
        core = await open_core(settings)
        opened.append(core)
        people = await seed(core)
        client: Client = await aiohttp_client(
            create_app(settings, core), cookie_jar=DummyCookieJar()
        )
        clients.append(client)
        return Hostile(client, core, telegram_api, people)

    try:
        yield make
    finally:
        for client in clients:  # the app stops before the stores it uses close
            await client.close()
        for core in opened:
            await core.close()


@pytest.fixture
async def gateway(make_gateway: MakeGateway) -> Hostile:
    """A gateway with generous limits, so that fuzzed requests reach the parsers."""
    return await make_gateway()
