"""Staff sign-in: cookies, CSRF, wrong passwords, throttling, expiry, disabled accounts."""

from __future__ import annotations

import re
import time
from http.cookies import SimpleCookie
from typing import Any

import pytest
from argon2 import PasswordHasher

from eligibility_gw.channels.console.passwords import needs_rehash
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import (
    AGENT,
    AGENT_PASSWORD,
    DISABLED,
    DISABLED_PASSWORD,
    SESSION,
    SIGNIN,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    csrf_of,
)

COOKIE_FLAGS = {"httponly": True, "secure": True, "samesite": "Strict", "path": "/", "max-age": ""}


def _flags(cookie: Any) -> dict[str, Any]:
    return {
        "httponly": bool(cookie["httponly"]),
        "secure": bool(cookie["secure"]),
        "samesite": cookie["samesite"],
        "path": cookie["path"],
        "max-age": cookie["max-age"],
    }


async def test_sign_in_page_sets_a_pre_session_token_cookie(console: Console) -> None:
    visitor = console.visitor()
    response, page = await visitor.get("/console/")
    assert response.status == 200
    assert 'action="/console/signin"' in page
    assert 'type="password"' in page
    assert 'name="username"' in page
    assert _flags(visitor.cookies[SIGNIN]) == COOKIE_FLAGS
    assert csrf_of(page) == visitor.cookies[SIGNIN].value
    assert SESSION not in visitor.cookies


async def test_bare_console_path_goes_to_the_console(console: Console) -> None:
    response, _ = await console.visitor().get("/console")
    assert response.status == 308
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize(
    ("username", "password", "token", "status", "says", "signed_in"),
    [
        (AGENT, AGENT_PASSWORD, "right", 303, "", True),
        (SUPERVISOR, SUPERVISOR_PASSWORD, "right", 303, "", True),
        ("AMINA ", AGENT_PASSWORD, "right", 303, "", True),  # names are read as typed
        (AGENT, "not-the-password", "right", 401, "were not accepted", False),
        ("nobody", AGENT_PASSWORD, "right", 401, "were not accepted", False),
        (DISABLED, DISABLED_PASSWORD, "right", 401, "were not accepted", False),
        ("", AGENT_PASSWORD, "right", 422, "Enter your user name and password", False),
        (AGENT, "", "right", 422, "Enter your user name and password", False),
        ("x" * 500, "y" * 5000, "right", 401, "were not accepted", False),
        (AGENT, AGENT_PASSWORD, "missing", 403, "did not come from this site", False),
        (AGENT, AGENT_PASSWORD, "wrong", 403, "did not come from this site", False),
    ],
    ids=[
        "agent",
        "supervisor",
        "name-as-typed",
        "wrong-password",
        "unknown-name",
        "disabled-account",
        "empty-name",
        "empty-password",
        "huge",
        "no-token",
        "wrong-token",
    ],
)
async def test_sign_in(
    console: Console,
    username: str,
    password: str,
    token: str,
    status: int,
    says: str,
    signed_in: bool,
) -> None:
    visitor = console.visitor()
    _, page = await visitor.get("/console/")
    form = {"username": username, "password": password}
    if token != "missing":
        form["csrf"] = csrf_of(page) if token == "right" else "x" * 43
    response, body = await visitor.post("/console/signin", form)
    assert response.status == status
    assert says in body
    assert (SESSION in visitor.cookies) is signed_in
    assert not password or password not in body
    if signed_in:
        assert response.headers["Location"] == "/console/"
        assert _flags(visitor.cookies[SESSION]) == COOKIE_FLAGS
        assert SIGNIN not in visitor.cookies  # the pre-session token is spent
        _, home = await visitor.get("/console/")
        assert f"Signed in as <bdi>{username.strip().lower()}</bdi>" in home
        assert 'id="q"' in home


async def test_wrong_password_and_unknown_name_read_the_same(console: Console) -> None:
    visitor = console.visitor()
    bodies = []
    for name in (AGENT, "nobody"):
        _, page = await visitor.get("/console/")
        response, body = await visitor.post(
            "/console/signin", {"csrf": csrf_of(page), "username": name, "password": "wrong-pw"}
        )
        assert response.status == 401
        bodies.append(body.replace(f'value="{name}"', ""))
    assert bodies[0] == bodies[1]


async def test_failed_sign_ins_are_throttled_per_name(make_console: MakeConsole) -> None:
    console = await make_console(signin_failures=3, signin_window_minutes=10)
    visitor = console.visitor()
    _, page = await visitor.get("/console/")
    token = csrf_of(page)

    async def attempt(name: str, password: str) -> tuple[int, str]:
        response, body = await visitor.post(
            "/console/signin", {"csrf": token, "username": name, "password": password}
        )
        return response.status, body

    assert [(await attempt(AGENT, "guess"))[0] for _ in range(3)] == [401, 401, 401]
    status, body = await attempt(AGENT, "guess")
    assert status == 429
    found = re.search(r"Too many failed sign-ins. Try again in (\d+) minutes", body)
    assert found and 1 <= int(found.group(1)) <= 10  # the rest of the fixed window
    # Even the right password waits until the window has passed...
    assert (await attempt(AGENT, AGENT_PASSWORD))[0] == 429
    assert SESSION not in visitor.cookies
    # ...but only for that name: colleagues behind the same address still sign in.
    assert (await attempt(SUPERVISOR, SUPERVISOR_PASSWORD))[0] == 303


async def test_failed_sign_ins_are_throttled_per_address(make_console: MakeConsole) -> None:
    console = await make_console(signin_failures=3, signin_failures_per_address=4)
    visitor = console.visitor()
    _, page = await visitor.get("/console/")
    token = csrf_of(page)
    statuses = []
    for name in ("ann", "bob", "cy", "dee", "eve", SUPERVISOR):  # a new name each time
        password = SUPERVISOR_PASSWORD if name == SUPERVISOR else "guess"
        response, _ = await visitor.post(
            "/console/signin", {"csrf": token, "username": name, "password": password}
        )
        statuses.append(response.status)
        assert 0 < int(response.headers.get("Retry-After", "1")) <= 15 * 60
    assert statuses == [401, 401, 401, 401, 429, 429]


async def test_sign_out_ends_the_session(console: Console) -> None:
    visitor = await console.agent()
    old = visitor.cookies[SESSION]
    response, _ = await visitor.post("/console/signout", {"csrf": await visitor.token()})
    assert response.status == 303
    assert SESSION not in visitor.cookies
    response, _ = await visitor.get("/console/disputes")
    assert response.status == 303
    assert response.headers["Location"] == "/console/"
    visitor.cookies[SESSION] = old  # replayed: opens nothing
    response, _ = await visitor.get("/console/disputes")
    assert response.status == 303


async def test_sign_in_never_keeps_a_session_id_the_browser_brought(console: Console) -> None:
    visitor = console.visitor()
    planted: SimpleCookie = SimpleCookie()
    planted[SESSION] = "P" * 43
    visitor.cookies[SESSION] = planted[SESSION]
    assert (await visitor.sign_in()).status == 303
    assert visitor.cookies[SESSION].value != "P" * 43


async def test_a_session_expires(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = await make_console(session_minutes=30)
    visitor = await console.agent()
    response, _ = await visitor.get("/console/disputes")
    assert response.status == 200
    later = time.time() + 30 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response, body = await visitor.get("/console/disputes")
    assert response.status == 303
    assert response.headers["Location"] == "/console/"
    _, home = await visitor.get("/console/")
    assert 'action="/console/signin"' in home
    response, body = await visitor.post("/console/disputes", {"csrf": "x" * 43})
    assert response.status == 401
    assert "Your session has ended" in body


async def test_an_account_disabled_mid_session_is_signed_out(console: Console) -> None:
    visitor = await console.agent()
    await console.store.set_staff_active(AGENT, False)
    response, body = await visitor.get("/console/disputes")
    assert response.status == 403
    assert "This account is disabled" in body
    assert SESSION not in visitor.cookies
    await console.store.set_staff_active(AGENT, True)
    response, _ = await visitor.get("/console/disputes")
    assert response.status == 303  # the session ended: sign in again


async def test_a_weaker_hash_is_replaced_at_sign_in(console: Console) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("weak-but-long-pw")
    await console.store.set_password_hash(AGENT, weak)
    assert needs_rehash(weak)
    visitor = console.visitor()
    assert (await visitor.sign_in(AGENT, "weak-but-long-pw")).status == 303
    account = await console.store.get_staff(AGENT)
    assert account is not None
    assert account.password_hash != weak
    assert account.password_hash.startswith("$argon2id$")
    assert not needs_rehash(account.password_hash)


async def test_persian_pages_read_right_to_left(console: Console) -> None:
    visitor = await console.agent(**{"Accept-Language": "fa"})
    _, home = await visitor.get("/console/")
    assert 'dir="rtl"' in home
    assert "یافتن فرد" in home
    response, _ = await visitor.post(
        "/console/language", {"csrf": csrf_of(home), "lang": "en", "next": "/console/disputes"}
    )
    assert response.status == 303
    assert response.headers["Location"] == "/console/disputes"
    _, page = await visitor.get("/console/disputes")
    assert 'dir="ltr"' in page
    response, _ = await visitor.post(
        "/console/language", {"csrf": csrf_of(page), "lang": "fa", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/console/"
    response, _ = await visitor.post(
        "/console/language", {"csrf": csrf_of(page), "lang": "xx", "next": "/console/"}
    )
    assert response.status == 422
