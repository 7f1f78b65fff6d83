"""Shared by the console's tests: settings, a seeded store with staff, a cookie-keeping client.

The registry holds the demo personas and the portal tests' providers; two staff accounts
(an agent and a supervisor) and a disabled one. The SMS channel points at a fake of Twilio's
REST API (the SMS tests' fake), so the resolution SMS can be read back.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse

from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.console.passwords import hash_password
from eligibility_gw.channels.console.records import ConsoleStore, Role
from eligibility_gw.channels.console.state import open_console_store
from eligibility_gw.settings import Settings, parse_settings
from tests.channels.sms.support import ACCOUNT_SID, SHORT_NUMBER
from tests.channels.web.portal.support import TIME_ZONE, Visitor, csrf_of
from tests.channels.web.portal.support import seed as seed_portal

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


def settings_data(
    db: Path,
    twilio_url: str = "http://127.0.0.1:9",
    languages: tuple[str, ...] = ("en", "fa"),
    port: int | None = None,
    sms: dict[str, Any] | None = None,
    **console: Any,
) -> dict[str, Any]:
    """The settings the tests run under, as TOML data (``sms`` replaces the SMS knobs)."""
    data: dict[str, Any] = {
        "gateway": {"rule_pack": "ir-tamin", "time_zone": TIME_ZONE, "languages": list(languages)},
        "store": {"url": f"sqlite:///{db}"},
        "channels": {
            "console": dict(console),
            "sms": {
                "account_sid": ACCOUNT_SID,
                "from_number": SHORT_NUMBER,
                "api_base_url": twilio_url,
                "retry_backoff_ms": 1,
                "send_timeout_ms": 5000,
            },
        },
    }
    if sms is not None:
        data["channels"]["sms"] = sms
    if port is not None:
        data["server"] = {"host": "127.0.0.1", "port": port}
    return data


def console_test_settings(db: Path, twilio_url: str = "http://127.0.0.1:9", **kw: Any) -> Settings:
    """Settings over an SQLite file, English first, Persian offered."""
    return parse_settings(settings_data(db, twilio_url, **kw), source="<console tests>")


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


async def seed(core: Core) -> dict[str, str]:
    """Personas, providers and staff; the personas' national ids by key."""
    ids = await seed_portal(core)
    store = await open_console_store(core.store)
    assert store is not None
    try:
        await add_staff(store)
    finally:
        await store.close()
    return ids


_DISPUTE_LINK = re.compile(r'href="/console/disputes/(\d{8})"')
_RECORD_LINK = re.compile(r'href="/console/people/([0-9a-f]{20})"')


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


class StaffVisitor(Visitor):
    """A browser stand-in at the console (the portal tests' visitor, console pages)."""

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
