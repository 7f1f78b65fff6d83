"""The toy page set on a gateway from the suite's factory (``memory://``, English and Persian)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiohttp import DummyCookieJar
from pytest_aiohttp import AiohttpClient

from eligibility_gw.app import create_app
from eligibility_gw.ports import KeyValueStore
from tests.channels.pages.toyset import Member, ToyKnobs, mount
from tests.channels.web.portal.support import Visitor, csrf_of
from tests.conftest import MakeGateway
from tests.gateway import Client


@dataclass
class Toy:
    """The toy pages running over a test gateway; ``members`` may change while they run."""

    client: Client
    members: dict[str, Member]
    state: KeyValueStore

    def visitor(self, **headers: str) -> Visitor:
        """A fresh browser (it keeps its own cookies, Secure ones too)."""
        return Visitor(self.client, headers)

    async def signed_in(self, name: str = "ann", **headers: str) -> Visitor:
        """A browser signed in as ``name``."""
        visitor = self.visitor(**headers)
        _, page = await visitor.get("/toy/")
        response, body = await visitor.post("/toy/signin", {"csrf": csrf_of(page), "name": name})
        assert response.status == 303, body
        return visitor


@pytest.fixture
async def toy(make_gateway: MakeGateway, aiohttp_client: AiohttpClient) -> Toy:
    """The toy pages: ``ann`` (a member), ``bob`` (a boss)."""
    tg = await make_gateway(store="memory", languages=("en", "fa"), seed_demo=False)
    members = {"ann": Member("ann"), "bob": Member("bob", boss=True)}
    app = create_app(tg.settings, tg.gateway, [mount(members, ToyKnobs())])
    client: Client = await aiohttp_client(app, cookie_jar=DummyCookieJar())
    return Toy(client, members, tg.gateway.state)
