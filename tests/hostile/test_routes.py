"""Every route of the assembled app: a body size limit each, and no 5xx whatever is sent.

The routes are read from the app's router (sub-applications included), so a route added
later is covered without being listed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.edge import BODY_LIMITS, DEFAULT_BODY_LIMIT
from eligibility_gw.rulepacks import load_rule_pack
from tests.channels.console.support import AGENT, SUPERVISOR, SUPERVISOR_PASSWORD, StaffVisitor
from tests.channels.web.portal.support import Visitor
from tests.hostile.strategies import (
    CONTENT_TYPES,
    field_value,
    header_values,
    nasty_text,
    raw_bodies,
    sprinkled,
)
from tests.hostile.support import (
    AT_PATH,
    HUBTEL_PATH,
    PROVIDER_KEY,
    STRANGER_PHONE,
    TELEGRAM_SECRET,
    Answer,
    Hostile,
    assert_problem,
    assert_sound,
    form_body,
)

HOSTILE = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
FORM = "application/x-www-form-urlencoded"
_PARAMETER = re.compile(r"\{[^}]+\}")
#: Field and query names the pages and the API read, to put hostile values under.
NAMES = (
    "action",
    "api_key",
    "caller_channel",
    "caller_phone",
    "code",
    "csrf",
    "date",
    "dispute",
    "format",
    "from",
    "kind",
    "lang",
    "language",
    "month",
    "national_id",
    "next",
    "note",
    "page",
    "password",
    "person",
    "phone",
    "print",
    "q",
    "reason",
    "referrer",
    "s",
    "saved",
    "setting",
    "staff",
    "status",
    "summary",
    "to",
    "tracking_code",
    "username",
    "valid_from",
    "valid_until",
)
#: Ids and phones on file for nobody: addresses are logged, and these are sent in addresses.
NOBODY_ID = load_rule_pack("ir-tamin").national_id.complete("987654321")
VALUES = (NOBODY_ID, STRANGER_PHONE, "4821-0937-5526", "2026-01-01", "fa", "/portal/", "1")


@dataclass(frozen=True, slots=True)
class Route:
    """One method on one address template of the app."""

    method: str
    template: str

    def path(self, parameter: str = "x") -> str:
        """The address with every ``{name}`` filled with ``parameter`` (escaped)."""
        return _PARAMETER.sub(lambda _: quote(parameter, safe=""), self.template)


def routes(app: web.Application) -> Iterator[Route]:
    """Every route of ``app`` and of its sub-applications (their addresses carry the prefix)."""
    for resource in app.router.resources():
        info = resource.get_info()
        sub = info.get("app")
        if isinstance(sub, web.Application):
            yield from routes(sub)
            continue
        for route in resource:
            if route.method != "HEAD":
                yield Route(route.method, resource.canonical)


def limit_of(app: web.Application, path: str) -> int:
    """The body limit the gateway applies to ``path``."""
    limits = app[BODY_LIMITS]
    prefixes = [p for p in limits if path.startswith(p)]
    return limits[max(prefixes, key=len)] if prefixes else DEFAULT_BODY_LIMIT


def assert_too_large_in_channel(path: str, answer: Answer) -> None:
    """413, worded the way the channel words its refusals."""
    assert answer.status == 413, (path, answer)
    if path.startswith("/fhir/"):
        assert answer.content_type == "application/fhir+json", answer
        assert answer.json()["resourceType"] == "OperationOutcome"
    elif path == AT_PATH:
        assert answer.content_type == "text/plain" and answer.text.startswith("END "), answer
    elif path == HUBTEL_PATH:
        assert answer.content_type == "application/json", answer
        assert answer.json()["Type"] == "Release"
    elif path.startswith(("/portal/", "/console/")):
        assert answer.content_type == "text/html", answer
        assert answer.headers["Content-Language"] in ("fa", "en")
        assert answer.headers["X-Frame-Options"] == "DENY"
    else:  # the API, and webhooks whose callers show no body to anyone
        assert_problem(answer)


def test_every_channel_has_routes_here(gateway: Hostile) -> None:
    prefixes = {r.template.split("/")[1] for r in routes(gateway.client.app)}
    paths = {r.template for r in routes(gateway.client.app)}
    assert {"api", "fhir", "portal", "console", "channels"} <= prefixes, prefixes
    assert {AT_PATH, HUBTEL_PATH, "/channels/sms/twilio", "/channels/telegram/webhook"} <= paths


async def test_every_route_taking_a_body_refuses_one_over_its_limit(gateway: Hostile) -> None:
    app = gateway.client.app
    taking = [r for r in routes(app) if r.method in BODY_METHODS]
    assert len(taking) >= 20, taking
    for route in taking:
        path = route.path("4821-0937-5526")
        limit = limit_of(app, path)
        over = await gateway.send(route.method, path, b"x" * (limit + 1), "text/plain")
        assert_too_large_in_channel(path, over)
        at_limit = await gateway.send(route.method, path, b"x" * limit, "text/plain")
        assert_sound(at_limit, path)
        assert at_limit.status != 413, (path, at_limit)


async def _chunks(size: int) -> AsyncIterator[bytes]:
    """A body sent in chunks, so that no Content-Length announces its size."""
    piece = b"x" * 4096
    sent = 0
    while sent < size:
        chunk = piece[: size - sent]
        sent += len(chunk)
        yield chunk


async def test_a_body_without_a_length_is_cut_at_the_limit(gateway: Hostile) -> None:
    app = gateway.client.app
    forms = ("/portal/", "/console/", "/channels/sms/", AT_PATH)
    for route in (r for r in routes(app) if r.method in BODY_METHODS):
        path = route.path("4821-0937-5526")
        limit = limit_of(app, path)
        headers = {
            "Authorization": f"Bearer {PROVIDER_KEY}",
            SECRET_HEADER: TELEGRAM_SECRET,
            "Content-Type": FORM if path.startswith(forms) else "application/json",
        }
        async with gateway.client.request(
            route.method, path, data=_chunks(limit + 1), headers=headers, allow_redirects=False
        ) as resp:
            text = await resp.text(errors="replace")
        # Read up to the limit and refused; pages for the signed-in refuse before reading.
        signed_out = resp.status == 401 and path.startswith(("/portal/", "/console/"))
        assert resp.status == 413 or signed_out, (path, resp.status, text[:200])


@dataclass(frozen=True, slots=True)
class Session:
    """Who the fuzzed requests come from: cookies and the page's form token."""

    cookie: str
    csrf: str


async def _session(visitor: Visitor | StaffVisitor) -> Session:
    csrf = await visitor.token()
    cookie = "; ".join(f"{n}={m.value}" for n, m in visitor.cookies.items())
    return Session(cookie, csrf)


@pytest.fixture
async def sessions(sqlite_gateway: Hostile) -> Mapping[str, Session]:
    """A signed-in provider at the portal, and an agent and a supervisor at the console, on
    the SQLite gateway the fuzzing runs end to end on."""
    gateway = sqlite_gateway
    provider = Visitor(gateway.client)
    assert (await provider.sign_in(PROVIDER_KEY)).status == 303
    agent = StaffVisitor(gateway.client)
    assert (await agent.sign_in(AGENT)).status == 303
    supervisor = StaffVisitor(gateway.client)
    assert (await supervisor.sign_in(SUPERVISOR, SUPERVISOR_PASSWORD)).status == 303
    return {
        "portal": await _session(provider),
        "agent": await _session(agent),
        "supervisor": await _session(supervisor),
    }


def hostile_pairs(long: bool) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Fields or query parameters under the names the gateway reads.

    Not ``long`` for addresses: past 8190 bytes the HTTP parser refuses the request line
    itself (400), before any of the gateway's code runs.
    """
    values = field_value(VALUES) if long else st.one_of(sprinkled(VALUES), nasty_text())
    return st.lists(
        st.tuples(st.sampled_from(NAMES), st.one_of(st.sampled_from(VALUES), values)),
        max_size=6,
    )


@HOSTILE
@given(
    pick=st.integers(min_value=0, max_value=10_000),
    who=st.sampled_from(["portal", "agent", "supervisor", "nobody"]),
    parameter=st.one_of(st.sampled_from(["4821-0937-5526", "12345678", "0" * 20]), nasty_text()),
    query=hostile_pairs(long=False),
    fields=hostile_pairs(long=True),
    with_token=st.booleans(),
    raw=st.one_of(st.none(), raw_bodies()),
    content_type=st.sampled_from(CONTENT_TYPES),
    language=header_values(40),
    request_id=header_values(100),
)
async def test_no_route_fails_whatever_it_is_sent(
    sqlite_gateway: Hostile,
    sessions: Mapping[str, Session],
    pick: int,
    who: str,
    parameter: str,
    query: list[tuple[str, str]],
    fields: list[tuple[str, str]],
    with_token: bool,
    raw: bytes | None,
    content_type: str | None,
    language: str,
    request_id: str,
) -> None:
    gateway = sqlite_gateway
    everything = sorted(
        {r for r in routes(gateway.client.app) if not r.template.endswith("/signout")},
        key=lambda r: (r.template, r.method),
    )
    route = everything[pick % len(everything)]
    path = route.path(parameter)
    url = URL(path, encoded=True).with_query(query)
    headers = {"Accept-Language": language, "X-Request-Id": request_id}
    session = sessions.get(who)
    if session is not None:
        headers["Cookie"] = session.cookie
        if with_token:
            fields = [("csrf", session.csrf), *fields]
    body: bytes | None = None
    declared = content_type
    if route.method in BODY_METHODS:
        if raw is None:
            body, declared = form_body(fields), FORM
        else:
            body = raw
    answer = await gateway.send(route.method, url, body, declared, headers)
    assert_sound(answer, f"{route.method} {route.template}")
    if answer.status >= 400 and path.startswith("/api/"):
        assert_problem(answer)
    if answer.status >= 400 and path.startswith(("/portal/", "/console/")):
        assert answer.content_type == "text/html", (route, answer)
    await gateway.assert_nothing_lost()


async def test_a_request_id_holding_an_id_or_a_phone_is_not_taken(gateway: Hostile) -> None:
    # Every log line carries the request id as it is: the caller's is taken only when sane.
    national_id = gateway.people[0].row.national_id
    body = json.dumps({"national_id": national_id}).encode()
    for sent in (national_id, f"req-{national_id}", "+989121110001", "09121110001"):
        headers = {"Authorization": f"Bearer {PROVIDER_KEY}", "X-Request-Id": sent}
        answer = await gateway.send("POST", "/api/v1/inquiries", body, "application/json", headers)
        assert answer.status == 200, answer
        assert answer.headers["X-Request-Id"] != sent, sent
    sane = "checkout-7f3a-42"
    answer = await gateway.send("GET", "/healthz", headers={"X-Request-Id": sane})
    assert answer.headers["X-Request-Id"] == sane
