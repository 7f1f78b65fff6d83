"""Fixtures of the SMS channel tests: a fake Twilio, and gateways from the suite's factory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.domain.provider import ProviderKind
from tests.channels.sms.support import (
    INACTIVE_PROVIDER_ID,
    PROVIDER_OFF,
    TOKEN,
    FakeTwilio,
    SmsGateway,
    twilio_settings,
)
from tests.conftest import MakeGateway

#: ``make_sms(store="memory", languages=("en", "fa"), sms={...}, twilio={...}, **options)``.
MakeSms = Callable[..., Awaitable[SmsGateway]]


@pytest.fixture(autouse=True)
def twilio_token(monkeypatch: pytest.MonkeyPatch) -> str:
    """The auth token the gateway reads from its environment (``[twilio] auth_token_env``)."""
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
def make_sms(
    make_gateway: MakeGateway, twilio_server: TestServer, fake_twilio: FakeTwilio
) -> MakeSms:
    """Start a seeded gateway (memory store unless told) whose outbound SMS go to the fake.

    English is the default language unless ``languages`` says otherwise; the demo pharmacy
    is active and a clinic (``PROVIDER_OFF``) deactivated.
    """
    assert twilio_server is not None

    async def make(
        *,
        store: str = "memory",
        languages: Sequence[str] = ("en", "fa"),
        sms: Mapping[str, object] | None = None,
        twilio: Mapping[str, object] | None = None,
        channels: Mapping[str, Mapping[str, object]] | None = None,
        **options: object,
    ) -> SmsGateway:
        tables = {name: dict(table) for name, table in (channels or {}).items()}
        tables["sms"] = dict(sms or {})
        gw = await make_gateway(
            store=store,
            languages=languages,
            channels=tables,
            twilio=twilio_settings(fake_twilio.base_url, **(twilio or {})),
            **options,
        )
        await gw.add_provider(
            INACTIVE_PROVIDER_ID,
            kind=ProviderKind.CLINIC,
            phone=PROVIDER_OFF,
            active=False,
            name="Closed Clinic",
        )
        return SmsGateway(gw)

    return make


@pytest.fixture
async def gateway(make_sms: MakeSms) -> SmsGateway:
    """A gateway on the memory store with the default SMS knobs (English first)."""
    return await make_sms()
