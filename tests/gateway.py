"""The one gateway factory of the suite: settings, an opened gateway, its app and a client.

Every channel's tests start their gateway here (``make_gateway`` in ``tests/conftest.py``),
on a real SQLite file by default, on the ``memory://`` store for fast handler tests, or on
PostgreSQL where a test asks for it. Channel helpers (signed Twilio posts, USSD sessions,
Telegram users, staff browsers) wrap the ``TestGateway`` it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from eligibility_gw.appkeys import GATEWAY
from eligibility_gw.demo import DEMO_PROVIDER_KEY, DEMO_PROVIDER_PHONE, Persona, seed_demo
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.gateway import Gateway
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.ports import Store
from eligibility_gw.providers import hash_api_key, new_api_key
from eligibility_gw.settings import Settings, parse_settings

Client = TestClient[web.Request, web.Application]

#: Where the factory puts each kind of store.
STORE_KINDS = ("sqlite", "memory", "postgresql")


def gateway_settings(
    store_url: str,
    *,
    rule_pack: str = "ir-tamin",
    time_zone: str = "Asia/Tehran",
    languages: Sequence[str] = ("fa", "en"),
    state_url: str = "memory://",
    channels: Mapping[str, Mapping[str, Any]] | None = None,
    inquiries: Mapping[str, Any] | None = None,
    notices: Mapping[str, Any] | None = None,
    twilio: Mapping[str, Any] | None = None,
    server: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings for a test gateway: the shipped example's scheme, with the given sections."""
    data: dict[str, Any] = {
        "gateway": {"rule_pack": rule_pack, "time_zone": time_zone, "languages": list(languages)},
        "store": {"url": store_url},
        "state": {"url": state_url},
        "server": {"public_base_url": "https://gw.example.org", **(server or {})},
        "inquiries": dict(inquiries or {}),
        "notices": dict(notices or {}),
        "twilio": dict(twilio or {}),
        "channels": {name: dict(table) for name, table in (channels or {}).items()},
    }
    data.update(extra or {})
    return parse_settings(data, source="<test gateway>")


@dataclass
class TestGateway:
    """A running gateway: its settings, what bootstrap opened, its app, a client, the demo."""

    settings: Settings
    gateway: Gateway
    client: Client
    people: dict[str, Persona] = field(default_factory=dict)
    #: The demo pharmacy's API key (phone ``DEMO_PROVIDER_PHONE``).
    api_key: str = DEMO_PROVIDER_KEY

    __test__ = False  # not a test class, whatever its name

    @property
    def app(self) -> web.Application:
        """The gateway's main app."""
        return self.client.app

    @property
    def store(self) -> Store:
        """Every port of the store."""
        return self.gateway.store

    @property
    def inquiries(self) -> Inquiries:
        """The inquiry policy's door."""
        return self.gateway.inquiries

    def nid(self, persona: str) -> str:
        """A demo persona's national id, by key (``hamid``, ``ali``…)."""
        return self.people[persona].row.national_id

    async def answers(self) -> int:
        """How many answers the log holds."""
        return (await self.store.answers.verify()).rows

    async def add_provider(
        self,
        provider_id: str,
        *,
        kind: ProviderKind = ProviderKind.CLINIC,
        phone: str | None = None,
        active: bool = True,
        name: str | None = None,
    ) -> tuple[Provider, str]:
        """Register another provider; it and its API key."""
        key = new_api_key()
        provider = await self.store.providers.add(
            provider_id, name or provider_id.title(), kind, phone, hash_api_key(key)
        )
        if not active:
            found = await self.store.providers.set_active(provider_id, False)
            assert found is not None
            provider = found
        return provider, key

    def auth(self, key: str | None = None) -> dict[str, str]:
        """The Authorization header of ``key`` (the demo pharmacy's by default)."""
        return {"Authorization": f"Bearer {key or self.api_key}"}


def store_url(kind: str, folder: Path, postgres_url: str | None = None) -> str:
    """The store URL of a test gateway of ``kind``."""
    if kind == "memory":
        return "memory://"
    if kind == "postgresql":
        assert postgres_url, "a PostgreSQL URL is needed (the postgres_url fixture)"
        return postgres_url
    return f"sqlite:///{folder / 'gateway.sqlite3'}"


async def seed(gateway: Gateway, api_key: str = DEMO_PROVIDER_KEY) -> dict[str, Persona]:
    """The demo personas of the gateway's rule pack and the demo pharmacy, in its store."""
    people = await seed_demo(
        gateway.store, gateway.pack, gateway.settings.today(), api_key, DEMO_PROVIDER_PHONE
    )
    return {p.key: p for p in people}


def gateway_of(app: web.Application) -> Gateway:
    """The gateway a running app holds."""
    return app[GATEWAY]
