"""Who reaches what: nobody unsigned, agents not supervisor pages; CSRF; headers; no 500s."""

from __future__ import annotations

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from eligibility_gw.ports import StoreUnavailable
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import SESSION

#: Stand-ins for the dynamic parts of console routes.
_SAMPLES = {"{ref}": "0" * 20, "{code}": "12345679", "{upload}": "0" * 16}
#: Routes anyone may reach: the sign-in (home) page, the sign-in form, the stylesheet.
_OPEN = {("GET", "/console/"), ("POST", "/console/signin"), ("GET", "/console/static/console.css")}
SUPERVISOR_PAGES = [
    "/console/disputes/overdue",
    "/console/reports",
    "/console/access-log",
    "/console/dashboard",
]


def console_routes(app: web.Application) -> list[tuple[str, str]]:
    """Every (method, path) the console serves, dynamic parts filled with samples."""
    found: list[tuple[str, str]] = []
    for resource in app.router.resources():
        info = resource.get_info()
        sub = info.get("app")
        if not isinstance(sub, web.Application) or info.get("prefix") != "/console":
            continue
        for inner in sub.router.resources():
            path = inner.canonical
            for key, sample in _SAMPLES.items():
                path = path.replace(key, sample)
            for route in inner:
                if route.method != "HEAD":
                    found.append((route.method, path))
    return found


async def test_the_route_table_is_what_the_tests_expect(console: Console) -> None:
    routes = console_routes(console.client.app)
    assert len(routes) == 28  # 23, and the review queue's 5 (issue #18)
    assert set(routes) >= _OPEN
    assert {("GET", p) for p in SUPERVISOR_PAGES} <= set(routes)


async def test_an_unsigned_visitor_reaches_nothing(console: Console) -> None:
    visitor = console.visitor()
    checked = 0
    for method, path in console_routes(console.client.app):
        if (method, path) in _OPEN:
            continue
        checked += 1
        if method == "GET":
            response, body = await visitor.get(path)
            assert response.status == 303, (path, body)
            assert response.headers["Location"] == "/console/", path
        else:
            response, body = await visitor.post(path, {"csrf": "x" * 43, "note": "n"})
            assert response.status == 401, (path, body)
            assert 'action="/console/signin"' in body, path
            assert "Your session has ended" in body
        assert "Rezaei" not in body
    assert checked == 25
    # What is open gives nothing away either.
    response, body = await visitor.get("/console/")
    assert response.status == 200
    assert 'action="/console/signin"' in body
    assert "Rezaei" not in body


@pytest.mark.parametrize("path", SUPERVISOR_PAGES)
async def test_an_agent_cannot_reach_supervisor_pages(console: Console, path: str) -> None:
    agent = await console.agent()
    response, body = await agent.get(path)
    assert response.status == 403
    assert "This page is for supervisors" in body
    _, home = await agent.get("/console/")
    assert f'href="{path}"' not in home  # nor are they offered


@pytest.mark.parametrize("path", SUPERVISOR_PAGES)
async def test_a_supervisor_reaches_supervisor_pages(console: Console, path: str) -> None:
    supervisor = await console.supervisor()
    response, body = await supervisor.get(path)
    assert response.status == 200, body
    _, home = await supervisor.get("/console/")
    assert f'href="{path}"' in home


async def test_every_form_needs_the_session_token(console: Console) -> None:
    agent = await console.agent()
    for method, path in console_routes(console.client.app):
        if method != "POST" or (method, path) in _OPEN:
            continue
        for token in (None, "x" * 43):
            data = {"note": "n", "action": "start"} | ({"csrf": token} if token else {})
            response, body = await agent.post(path, data)
            assert response.status == 403, path
            assert "did not come from this site" in body
    assert SESSION in agent.cookies  # still signed in


async def test_pages_carry_safe_headers(console: Console) -> None:
    agent = await console.agent()
    for path in ("/console/", "/console/disputes", "/console/no-such-page"):
        response, _ = await agent.get(path)
        headers = response.headers
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
    response, css = await agent.get("/console/static/console.css")
    assert response.status == 200
    assert response.content_type == "text/css"
    # The console's rules on the page kit's look (not the portal's answer card).
    assert ".tiles" in css and ".top .languages" in css and ".answer" not in css


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("GET", "/console/no-such-page", 404, "There is no such page"),
        ("PUT", "/console/search", 405, "does not take such a request"),
        ("GET", "/console/search", 404, "Search again"),
        ("GET", "/console/search?s=" + "0" * 20, 404, "Search again"),
        ("GET", "/console/people/" + "f" * 20, 404, "not valid in this session"),
        ("GET", "/console/people/not-a-ref", 404, "not valid in this session"),
        ("GET", "/console/disputes/D-0000-0000", 404, "no dispute with this code"),
        ("GET", "/console/disputes/12345679", 404, "no dispute with this code"),
        ("GET", "/console/disputes?status=lost", 422, "no such list"),
        ("GET", "/console/disputes?page=0", 422, "not a page number"),
        ("GET", "/console/disputes?page=%F0%9F%98%80", 422, "not a page number"),
    ],
)
async def test_bad_input_is_a_page_in_words_never_a_500(
    console: Console, method: str, path: str, status: int, says: str
) -> None:
    agent = await console.agent()
    if method == "GET":
        response, body = await agent.get(path)
    elif method == "PUT":
        response = await agent.client.put(path, headers=agent._headers(None))
        body = await response.text()
    else:
        response, body = await agent.post(path, {"csrf": await agent.token()})
    assert response.status == status, body
    assert says in body
    assert 'class="errors"' in body
    if status == 405:
        assert {"GET", "POST"} <= set(response.headers["Allow"].split(","))


async def test_a_body_too_large_is_refused_in_words(console: Console) -> None:
    agent = await console.agent()
    response, body = await agent.post(
        "/console/disputes", {"csrf": await agent.token(), "summary": "x" * 70_000}
    )
    assert response.status == 413
    assert "too large" in body


async def test_a_failing_dependency_is_a_503_page(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await console.agent()

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk is gone")

    monkeypatch.setattr(console.store, "list_disputes", broken)
    response, body = await agent.get("/console/disputes")
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
    assert "could not answer" in body


async def test_a_store_that_cannot_answer_is_a_polite_503(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await console.agent()
    _, page = await agent.search(console.ids["rezaei"])

    async def unavailable(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("database is locked")

    monkeypatch.setattr(console.tg.store.registry, "find_family", unavailable)
    monkeypatch.setattr(console.store, "list_disputes", unavailable)
    with capture_logs() as logs:
        for path in (
            "/console/disputes",
            "/console/people/" + page.split("/console/people/")[1][:20],
        ):
            response, body = await agent.get(path)
            assert response.status == 503, path
            assert response.headers["Retry-After"] == "5"
            assert "could not answer" in body
            assert 'class="errors"' in body
    # Said as what it is, not as a bug with a traceback.
    assert {e["event"] for e in logs} == {"console_store_unavailable"}


async def test_a_spent_staff_quota_is_a_page_in_words(make_console: MakeConsole) -> None:
    console = await make_console(gateway={"inquiries": {"staff_per_hour": 2}})
    code = (await console.provider_check("rezaei")).tracking_code.grouped()
    agent = await console.agent()
    for _ in range(2):  # each search by tracking code is an answer read back: one each
        response, page = await agent.search(code)
        assert response.status == 200
        assert f"Answer <bdi>{code}</bdi>" in page
    response, page = await agent.search(code)
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many inquiries from you. Try again in" in page
    assert 'class="errors"' in page
    assert "Rezaei" not in page
    # The supervisor has a budget of their own.
    supervisor = await console.supervisor()
    response, _ = await supervisor.search(code)
    assert response.status == 200
