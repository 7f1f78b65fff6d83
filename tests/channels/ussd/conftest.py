"""Fixtures of the USSD tests: a demo registry on disk and the gateway serving it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from eligibility_gw.app import create_app
from eligibility_gw.demo import Persona
from tests.channels.ussd.support import Gateway, fill_registry, gateway_settings

MakeGateway = Callable[..., Awaitable[Gateway]]


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
    aiohttp_client: AiohttpClient, db_path: Path, people: list[Persona]
) -> MakeGateway:
    """Start a gateway on the demo registry, in ``languages``, with USSD knobs as given."""

    async def make(languages: tuple[str, ...] = ("en", "fa"), **ussd: object) -> Gateway:
        settings = gateway_settings(db_path, languages, **ussd)
        if not people:
            people.extend(await fill_registry(settings))
        client: TestClient[web.Request, web.Application] = await aiohttp_client(
            create_app(settings)
        )
        return Gateway(client)

    return make


@pytest.fixture
async def gateway(make_gateway: MakeGateway) -> Gateway:
    """A gateway with the default knobs, English first."""
    return await make_gateway()


@pytest.fixture(params=["africastalking", "hubtel"])
def dialect(request: pytest.FixtureRequest) -> str:
    """Each dialect in turn."""
    return str(request.param)
