"""Shared by the console's tests: staff, the fake Twilio's settings, a cookie-keeping client.

The gateway comes from the suite's one factory (``make_gateway``): the demo personas and
the demo pharmacy, plus two staff accounts (an agent and a supervisor) and a disabled one.
Outbound SMS points at a fake of Twilio's REST API (the SMS tests' fake), so the resolution
SMS and check notices can be read back.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from http.cookies import Morsel
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from eligibility_gw.channels.console.passwords import hash_password
from eligibility_gw.ports.casework import ConsoleStore, Role
from tests.channels.sms.support import ACCOUNT_SID, SHORT_NUMBER

AGENT = "amina"
AGENT_PASSWORD = "agent-password-for-tests"
SUPERVISOR = "sara"
SUPERVISOR_PASSWORD = "supervisor-password-for-tests"
DISABLED = "dara"
DISABLED_PASSWORD = "disabled-password-for-tests"
SESSION = "__Host-egw-console"
SIGNIN = "__Host-egw-console-signin"
#: The son of 20 without a student certificate, in the Rezaei family.
SON = "rezaei-son-no-cert"
REZAEI_PHONE = "+989121110001"
#: The channel the demo pharmacy's checks come through in these tests.
PORTAL = "portal"


def twilio_table(api_base_url: str) -> dict[str, Any]:
    """``[twilio]`` pointed at a fake of its REST API, retrying fast."""
    return {
        "account_sid": ACCOUNT_SID,
        "from_number": SHORT_NUMBER,
        "api_base_url": api_base_url,
        "retry_backoff_ms": 1,
        "send_timeout_ms": 5000,
    }


def toml_value(value: Any) -> str:
    """One TOML value (strings, numbers, booleans, lists of those)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """Settings data as a TOML file (tables of tables become dotted headers)."""
    lines: list[str] = []
    plain = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if prefix and plain:
        lines.append(f"[{prefix}]")
    lines += [f"{k} = {toml_value(v)}" for k, v in plain.items()]
    for name, table in tables.items():
        lines.append(to_toml(table, f"{prefix}.{name}" if prefix else name))
    return "\n".join(line for line in lines if line) + "\n"


@functools.cache
def password_hash(password: str) -> str:
    """An Argon2id hash, made once per password for the whole test run."""
    return hash_password(password)


async def add_staff(store: ConsoleStore) -> None:
    """The agent, the supervisor, and a disabled agent."""
    await store.add_staff(AGENT, Role.AGENT, password_hash(AGENT_PASSWORD))
    await store.add_staff(SUPERVISOR, Role.SUPERVISOR, password_hash(SUPERVISOR_PASSWORD))
    await store.add_staff(DISABLED, Role.AGENT, password_hash(DISABLED_PASSWORD))
    await store.set_staff_active(DISABLED, False)


_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_DISPUTE_LINK = re.compile(r'href="/console/disputes/(\d{8})"')
_RECORD_LINK = re.compile(r'href="/console/people/([0-9a-f]{20})"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = _CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def dispute_codes_of(html: str) -> list[str]:
    """The dispute codes a page links to, in order."""
    return _DISPUTE_LINK.findall(html)


def record_links_of(html: str) -> list[str]:
    """The person references a page links to, in order (repeats removed)."""
    return list(dict.fromkeys(_RECORD_LINK.findall(html)))


def record_link_for(html: str, name: str) -> str:
    """The person reference of the member called ``name`` in a family table."""
    m = re.search(
        r'href="/console/people/([0-9a-f]{20})(?:\?[^"]*)?"><bdi>' + re.escape(name) + "</bdi>",
        html,
    )
    assert m, f"no record link for {name}"
    return m.group(1)


class StaffVisitor:
    """A browser stand-in at the console: keeps cookies itself, follows no redirect.

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

    async def sign_in(self, key: str = AGENT, password: str = AGENT_PASSWORD) -> ClientResponse:
        """Open the sign-in page and sign in as ``key`` (a user name)."""
        _, page = await self.get("/console/")
        response, _ = await self.post(
            "/console/signin",
            {"csrf": csrf_of(page), "username": key, "password": password},
        )
        return response

    async def token(self) -> str:
        """The signed-in session's CSRF token, read off the home page."""
        _, page = await self.get("/console/")
        return csrf_of(page)

    async def search(self, text: str, kind: str = "auto") -> tuple[ClientResponse, str]:
        """Search from the home page's box; follow on to the results (not to a dispute)."""
        response, body = await self.post(
            "/console/search", {"csrf": await self.token(), "q": text, "kind": kind}
        )
        location = response.headers.get("Location", "")
        if response.status == 303 and location.startswith("/console/search?s="):
            return await self.get(location)
        return response, body

    async def form(self, path: str, data: dict[str, str]) -> tuple[ClientResponse, str]:
        """POST a form with the session's token; follow one redirect to its page."""
        response, body = await self.post(path, {"csrf": await self.token(), **data})
        if response.status == 303:
            return await self.get(response.headers["Location"])
        return response, body
