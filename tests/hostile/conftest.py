"""Fixtures of the hostile tests: the suite's one gateway factory with every channel on, over
the demo registry, a fake Bot API and a fake Twilio."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import SimpleNamespace

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw import keyvalue
from tests.channels.sms.support import FakeTwilio, twilio_settings
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.conftest import MakeGateway
from tests.hostile.support import (
    GENEROUS_QUOTAS,
    TELEGRAM_SECRET,
    TELEGRAM_SECRET_ENV,
    TELEGRAM_TOKEN,
    TELEGRAM_TOKEN_ENV,
    TWILIO_TOKEN,
    Hostile,
    add_hostile_callers,
    hostile_channels,
)

#: ``make_hostile(store="memory", channels={name: knobs}, inquiries={...},
#: languages=("fa", "en"))``: a gateway with every channel on.
MakeHostile = Callable[..., Awaitable[Hostile]]


@pytest.fixture(autouse=True)
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Twilio token (``[twilio] auth_token_env``'s default), the bot token and the
    webhook secret the gateway reads."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
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
def fake_twilio() -> FakeTwilio:
    """A fake of Twilio's REST API: where the core's outbound SMS go."""
    return FakeTwilio()


@pytest.fixture
async def twilio_server(aiohttp_server: AiohttpServer, fake_twilio: FakeTwilio) -> TestServer:
    """The fake Twilio, listening on a local port."""
    server = await aiohttp_server(fake_twilio.app())
    fake_twilio.base_url = str(server.make_url("")).rstrip("/")
    return server


@pytest.fixture
def make_hostile(
    make_gateway: MakeGateway,
    telegram_server: TestServer,
    telegram_api: FakeBotApi,
    twilio_server: TestServer,
    fake_twilio: FakeTwilio,
) -> MakeHostile:
    """Start a seeded gateway with every channel on (in memory unless ``store`` says so).

    Quotas and flood guards are generous unless ``inquiries`` or ``channels`` (channel name
    to knobs) say otherwise; the first of ``languages`` is the default one.
    """
    api_url = str(telegram_server.make_url("")).rstrip("/")
    assert twilio_server is not None  # started: ``fake_twilio.base_url`` is set

    async def make(
        *,
        store: str = "memory",
        channels: Mapping[str, Mapping[str, object]] | None = None,
        inquiries: Mapping[str, int] | None = None,
        languages: Sequence[str] = ("fa", "en"),
    ) -> Hostile:
        tg = await make_gateway(
            store=store,
            languages=languages,
            channels=hostile_channels(api_url, channels),
            inquiries={**GENEROUS_QUOTAS, **(inquiries or {})},
            twilio=twilio_settings(fake_twilio.base_url),
            client_args={"cookie_jar": DummyCookieJar()},
        )
        await add_hostile_callers(tg.store)
        return Hostile(tg, telegram_api, fake_twilio)

    return make


@pytest.fixture
async def gateway(make_hostile: MakeHostile) -> Hostile:
    """A gateway in memory with generous limits, so that fuzzed requests reach the parsers."""
    return await make_hostile()


@pytest.fixture
async def sqlite_gateway(make_hostile: MakeHostile) -> Hostile:
    """The same on a real SQLite file: end to end, down to the answer log on disk."""
    return await make_hostile(store="sqlite")


@pytest.fixture
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counters' clock stands in the middle of a minute and of an hour.

    Quotas and flood guards count in fixed windows: a test crossing a window's edge would
    see its count start again.
    """
    now = time.time() // 3600 * 3600 + 1830
    monkeypatch.setattr(keyvalue, "time", SimpleNamespace(time=lambda: now))
