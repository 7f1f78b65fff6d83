"""The HTTP evidence adapters against a local fake registry: answers, failures, the contract.

Each case is data: what the fake registry does, and what the real adapter makes of it (a
record, or ``EvidenceUnavailable`` with its problem).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.adapters.evidence import (
    HttpCivilRegistry,
    HttpStudentRegistry,
    JsonEndpoint,
    open_http_evidence,
)
from eligibility_gw.adapters.evidence.transport import MAX_ANSWER_BYTES
from eligibility_gw.domain.evidence import (
    CivilRecord,
    StudentRecord,
    StudyCertificate,
)
from eligibility_gw.domain.model import MaritalStatus
from eligibility_gw.ports import EvidenceUnavailable
from eligibility_gw.settings import parse_settings

NATIONAL_ID = "1000000044"
DAY = date(2026, 11, 23)
TIMEOUT = 1.0  # generous: a busy CI machine must not turn a quick answer into a timeout


@dataclass
class FakeRegistry:
    """A registry whose next answers are set by the test; it keeps what it was asked."""

    respond: Callable[[dict[str, Any]], Awaitable[web.StreamResponse]] | None = None
    asked: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Record the question; answer as told."""
        body = await request.json()
        self.asked.append((request.path_qs, body, dict(request.headers)))
        assert self.respond is not None
        return await self.respond(body)


def json_answer(data: Any, status: int = 200) -> Callable[[dict[str, Any]], Awaitable[Any]]:
    async def respond(_body: dict[str, Any]) -> web.StreamResponse:
        return web.json_response(data, status=status)

    return respond


def raw_answer(
    text: str, status: int = 200, content_type: str = "application/json"
) -> Callable[[dict[str, Any]], Awaitable[Any]]:
    async def respond(_body: dict[str, Any]) -> web.StreamResponse:
        return web.Response(text=text, status=status, content_type=content_type)

    return respond


def slow_answer(seconds: float, data: Any) -> Callable[[dict[str, Any]], Awaitable[Any]]:
    async def respond(_body: dict[str, Any]) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response(data)

    return respond


def echo(**fields: Any) -> dict[str, Any]:
    return {"national_id": NATIONAL_ID, **fields}


@pytest.fixture
def fake() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
async def server(fake: FakeRegistry, aiohttp_server: AiohttpServer) -> TestServer:
    app = web.Application()
    app.router.add_post("/students", fake.handle)
    app.router.add_post("/civil", fake.handle)
    app.router.add_get("/moved", fake.handle)
    return await aiohttp_server(app)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def student_registry(
    server: TestServer, session: aiohttp.ClientSession, token: str | None = None
) -> HttpStudentRegistry:
    return HttpStudentRegistry(
        JsonEndpoint(str(server.make_url("/students")), session, TIMEOUT, token)
    )


def civil_registry(server: TestServer, session: aiohttp.ClientSession) -> HttpCivilRegistry:
    return HttpCivilRegistry(JsonEndpoint(str(server.make_url("/civil")), session, TIMEOUT))


# --- answers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "record"),
    [
        (echo(certificates=[]), StudentRecord(())),
        (
            echo(certificates=[{"valid_from": "2025-09-23", "valid_until": "2027-05-22"}]),
            StudentRecord((StudyCertificate(date(2025, 9, 23), date(2027, 5, 22)),)),
        ),
        (
            echo(certificates=[{"valid_until": "2026-01-31"}, {"valid_from": None}]),
            StudentRecord(
                (StudyCertificate(None, date(2026, 1, 31)), StudyCertificate(None, None))
            ),
        ),
    ],
)
async def test_the_student_registry_answers(
    fake: FakeRegistry,
    server: TestServer,
    session: aiohttp.ClientSession,
    answer: dict[str, Any],
    record: StudentRecord,
) -> None:
    fake.respond = json_answer(answer)
    assert await student_registry(server, session).certificates(NATIONAL_ID, DAY) == record


@pytest.mark.parametrize(
    ("answer", "record"),
    [
        (
            echo(birth_registered=True, marital_status="single"),
            CivilRecord(True, MaritalStatus.SINGLE),
        ),
        (
            echo(birth_registered=True, marital_status="married"),
            CivilRecord(True, MaritalStatus.MARRIED),
        ),
        (echo(birth_registered=False, marital_status=None), CivilRecord(False, None)),
        (echo(birth_registered=True), CivilRecord(True, None)),
    ],
)
async def test_the_civil_registry_answers(
    fake: FakeRegistry,
    server: TestServer,
    session: aiohttp.ClientSession,
    answer: dict[str, Any],
    record: CivilRecord,
) -> None:
    fake.respond = json_answer(answer)
    assert await civil_registry(server, session).civil_record(NATIONAL_ID, DAY) == record


async def test_the_question_carries_the_id_in_the_body_and_the_token(
    fake: FakeRegistry, server: TestServer, session: aiohttp.ClientSession
) -> None:
    fake.respond = json_answer(echo(certificates=[]))
    await student_registry(server, session, token="s3cret").certificates(NATIONAL_ID, DAY)
    [(path, body, headers)] = fake.asked
    assert body == {"national_id": NATIONAL_ID, "date": "2026-11-23"}
    assert NATIONAL_ID not in path
    assert headers["Authorization"] == "Bearer s3cret"
    assert headers["Accept"] == "application/json"


# --- failures: every one is "unavailable" with its problem ----------------------------------------

FAILURES: list[tuple[str, Callable[[dict[str, Any]], Awaitable[Any]], str]] = [
    ("server error", json_answer({"error": "boom"}, status=500), "status 500"),
    ("not found", json_answer(echo(certificates=[]), status=404), "status 404"),
    ("unavailable", raw_answer("busy", status=503, content_type="text/plain"), "status 503"),
    ("slow", slow_answer(TIMEOUT * 2, echo(certificates=[])), "timeout"),
    ("not JSON", raw_answer("{certificates: ["), "malformed: not JSON"),
    ("HTML page", raw_answer("<html>hi</html>", content_type="text/html"), "not JSON"),
    ("a list", json_answer([]), "not a JSON object"),
    ("another id", json_answer({"national_id": "1000000052", "certificates": []}), "echo"),
    ("no echo", json_answer({"certificates": []}), "echo"),
    ("no list", json_answer(echo(certificates="yes")), "certificates is not a list"),
    ("bad item", json_answer(echo(certificates=["2027-01-01"])), "not an object"),
    ("bad date", json_answer(echo(certificates=[{"valid_until": "soon"}])), "not a date"),
    ("a number", json_answer(echo(certificates=[{"valid_until": 20270101}])), "not a date"),
    (
        "backwards",
        json_answer(echo(certificates=[{"valid_from": "2027-01-01", "valid_until": "2026-01-01"}])),
        "ends before",
    ),
    (
        "too large",
        raw_answer(json.dumps(echo(certificates=[], pad="x" * MAX_ANSWER_BYTES))),
        "too large",
    ),
]


@pytest.mark.parametrize(
    ("respond", "problem"), [(r, p) for _, r, p in FAILURES], ids=[n for n, _, _ in FAILURES]
)
async def test_a_failing_student_registry_is_unavailable(
    fake: FakeRegistry,
    server: TestServer,
    session: aiohttp.ClientSession,
    respond: Callable[[dict[str, Any]], Awaitable[Any]],
    problem: str,
) -> None:
    fake.respond = respond
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(EvidenceUnavailable) as caught:
        await student_registry(server, session).certificates(NATIONAL_ID, DAY)
    assert problem in caught.value.problem
    assert loop.time() - started < TIMEOUT * 3  # the timeout holds, whatever the registry does
    assert NATIONAL_ID not in caught.value.problem


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (echo(marital_status="single"), "birth_registered"),
        (echo(birth_registered="yes", marital_status="single"), "birth_registered"),
        (echo(birth_registered=True, marital_status="engaged"), "marital_status"),
        (echo(birth_registered=True, marital_status=1), "marital_status"),
    ],
)
async def test_a_malformed_civil_answer_is_unavailable(
    fake: FakeRegistry,
    server: TestServer,
    session: aiohttp.ClientSession,
    answer: dict[str, Any],
    problem: str,
) -> None:
    fake.respond = json_answer(answer)
    with pytest.raises(EvidenceUnavailable, match=problem):
        await civil_registry(server, session).civil_record(NATIONAL_ID, DAY)


async def test_a_redirect_is_not_followed(
    fake: FakeRegistry, server: TestServer, session: aiohttp.ClientSession
) -> None:
    async def moved(_body: dict[str, Any]) -> web.StreamResponse:
        raise web.HTTPFound("/moved")

    fake.respond = moved
    with pytest.raises(EvidenceUnavailable, match="status 302"):
        await student_registry(server, session).certificates(NATIONAL_ID, DAY)
    assert len(fake.asked) == 1


def _closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_refused_connection_is_unavailable(session: aiohttp.ClientSession) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/students"
    registry = HttpStudentRegistry(JsonEndpoint(url, session, TIMEOUT))
    with pytest.raises(EvidenceUnavailable, match="transport"):
        await registry.certificates(NATIONAL_ID, DAY)
    civil = HttpCivilRegistry(JsonEndpoint(url, session, TIMEOUT))
    with pytest.raises(EvidenceUnavailable, match="transport"):
        await civil.civil_record(NATIONAL_ID, DAY)


# --- built from settings --------------------------------------------------------------------------


async def test_settings_build_the_registries_over_one_session(
    fake: FakeRegistry, server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_STUDENT_TOKEN", "t0ken")
    settings = parse_settings(
        {
            "server": {"lookup_timeout": 0.5},
            "evidence": {
                "student": {
                    "url": str(server.make_url("/students")),
                    "timeout": 3,
                    "token_env": "TEST_STUDENT_TOKEN",
                },
            },
        }
    )
    http = await open_http_evidence(settings)
    try:
        assert http.civil is None
        assert http.student is not None
        assert http.student.endpoint.timeout == 0.5  # cut to the inquiry deadline
        fake.respond = json_answer(echo(certificates=[]))
        assert await http.student.certificates(NATIONAL_ID, DAY) == StudentRecord(())
        assert fake.asked[0][2]["Authorization"] == "Bearer t0ken"
    finally:
        await http.close()
    assert http.session.closed
