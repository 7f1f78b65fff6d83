"""Shared by the portal's HTTP and browser tests: a gateway with three providers, a browser.

The gateway holds the demo personas and three providers: the demo pharmacy, another clinic
(to show that providers never see each other's checks) and a deactivated one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import Morsel
from typing import Any

from aiohttp import ClientResponse, DummyCookieJar
from aiohttp.test_utils import TestClient

from eligibility_gw.demo import DEMO_PROVIDER_ID, DEMO_PROVIDER_KEY
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.gateway import Gateway
from eligibility_gw.ports import Store
from eligibility_gw.providers import hash_api_key
from eligibility_gw.wording import available_languages
from tests.conftest import MakeGateway
from tests.gateway import TestGateway
from tests.gateway import seed as seed_demo

PROVIDER_ID = DEMO_PROVIDER_ID
PROVIDER_KEY = DEMO_PROVIDER_KEY
OTHER_ID = "other-clinic"
OTHER_KEY = "egw_other_clinic_key_for_portal_tests_only"
DEACTIVATED_ID = "closed-lab"
DEACTIVATED_KEY = "egw_closed_lab_key_for_portal_tests_only"
TIME_ZONE = "Asia/Tehran"
#: English first, every other shipped language offered.
LANGUAGES = ("en", *(lang for lang in available_languages() if lang != "en"))


def settings_toml(db: str, port: int) -> str:
    """Settings a gateway process (``eligibility-gw serve --config``) reads, over an SQLite file."""
    return "\n".join(
        [
            "[gateway]",
            'rule_pack = "ir-tamin"',
            f'time_zone = "{TIME_ZONE}"',
            f"languages = {json.dumps(list(LANGUAGES))}",
            "[store]",
            f'url = "sqlite:///{db}"',
            "[server]",
            'host = "127.0.0.1"',
            f"port = {port}",
            "",
        ]
    )


async def add_providers(store: Store) -> None:
    """Register the other clinic and the deactivated lab, with their fixed keys."""
    providers = store.providers
    await providers.add(
        OTHER_ID, "Other Clinic", ProviderKind.CLINIC, None, hash_api_key(OTHER_KEY)
    )
    await providers.add(
        DEACTIVATED_ID, "Closed Lab", ProviderKind.PARACLINIC, None, hash_api_key(DEACTIVATED_KEY)
    )
    await providers.set_active(DEACTIVATED_ID, False)


async def seed(gateway: Gateway) -> dict[str, str]:
    """Load the demo personas and the three providers into a gateway opened without the
    suite's factory (a served process's file); the personas' national ids by key."""
    people = await seed_demo(gateway)
    await add_providers(gateway.store)
    return {key: p.row.national_id for key, p in people.items()}


@dataclass(frozen=True)
class Portal:
    """A running gateway with the three providers, and browsers for it."""

    tg: TestGateway
    ids: dict[str, str]

    @property
    def client(self) -> TestClient[Any, Any]:
        """The HTTP client (it keeps no cookies: each ``Visitor`` keeps its own)."""
        return self.tg.client

    def visitor(self, **headers: str) -> Visitor:
        """A fresh browser."""
        return Visitor(self.client, headers)

    async def signed_in(self, key: str = PROVIDER_KEY, **headers: str) -> Visitor:
        """A browser signed in with ``key``."""
        visitor = self.visitor(**headers)
        response = await visitor.sign_in(key)
        assert response.status == 303, await response.text()
        return visitor


async def open_portal(
    make_gateway: MakeGateway, web: Mapping[str, Any] | None = None, **options: Any
) -> Portal:
    """A gateway for portal tests (``memory://`` unless ``store`` says otherwise)."""
    options.setdefault("store", "memory")
    tg = await make_gateway(
        languages=LANGUAGES,
        channels={"web": dict(web or {})},
        client_args={"cookie_jar": DummyCookieJar()},
        **options,
    )
    await add_providers(tg.store)
    return Portal(tg, {key: p.row.national_id for key, p in tg.people.items()})


_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_CODE = re.compile(r'id="tracking-code"[^>]*>([0-9-]+)<')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = _CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def tracking_code_of(html: str) -> str:
    """The tracking code an answer card shows."""
    m = _CODE.search(html)
    assert m, "no tracking code on the page"
    return m.group(1)


class Visitor:
    """A browser stand-in over the test client: keeps cookies itself, follows no redirect.

    It sends back every cookie it was given, Secure ones too (the test server speaks plain
    HTTP), so tests can read each cookie's flags and still walk through the pages.
    """

    def __init__(self, client: TestClient[Any, Any], headers: Mapping[str, str] | None = None):
        self.client = client
        self.cookies: dict[str, Morsel[str]] = {}
        self.headers = dict(headers or {})

    def _remember(self, response: ClientResponse) -> None:
        for name, morsel in response.cookies.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{n}={m.value}" for n, m in self.cookies.items())
        headers.update(extra or {})
        return headers

    async def get(
        self, path: str, headers: Mapping[str, str] | None = None
    ) -> tuple[ClientResponse, str]:
        """GET ``path``; the response and its text."""
        response = await self.client.get(
            path, headers=self._headers(headers), allow_redirects=False
        )
        body = await response.text()
        self._remember(response)
        return response, body

    async def post(
        self, path: str, data: Mapping[str, str], headers: Mapping[str, str] | None = None
    ) -> tuple[ClientResponse, str]:
        """POST a form to ``path``; the response and its text."""
        response = await self.client.post(
            path, data=dict(data), headers=self._headers(headers), allow_redirects=False
        )
        body = await response.text()
        self._remember(response)
        return response, body

    async def sign_in(self, key: str = PROVIDER_KEY) -> ClientResponse:
        """Open the sign-in page and sign in with ``key``."""
        _, page = await self.get("/portal/")
        response, _ = await self.post("/portal/signin", {"csrf": csrf_of(page), "api_key": key})
        return response

    async def token(self) -> str:
        """The signed-in session's CSRF token, read off the check page."""
        _, page = await self.get("/portal/")
        return csrf_of(page)

    async def check(
        self, national_id: str, day: str = "", setting: str = "outpatient"
    ) -> tuple[ClientResponse, str]:
        """Submit the check form; follow the answer redirect when there is one."""
        data = {"csrf": await self.token(), "national_id": national_id, "date": day}
        data["setting"] = setting
        response, body = await self.post("/portal/inquiries", data)
        if response.status == 303:
            return await self.get(response.headers["Location"])
        return response, body
