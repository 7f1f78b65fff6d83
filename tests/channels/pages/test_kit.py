"""The page kit on its own: a toy page set made of nothing else, driven over HTTP.

What a page set gets from the kit: the sign-in page's double-submit token, sessions kept
server-side under a fresh id, the gate (signed in, CSRF on every POST, who may open a page,
a principal turned away), error pages in words with their status, safe headers, the
language switch, signing out, and the stylesheet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from eligibility_gw.channels.pages.rendering import KIT_PACKAGE, SECURITY_HEADERS, package_text
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.keyvalue import Sessions
from eligibility_gw.wording import Wording
from tests.channels.pages.conftest import Toy
from tests.channels.pages.toyset import RAISED, SESSION_MINUTES, Member, ToySessions
from tests.channels.web.portal.support import Visitor, csrf_of

SESSION = "__Host-egw-toy"
SIGNIN = "__Host-egw-toy-signin"
FLAGS = {"httponly": True, "secure": True, "samesite": "Strict", "path": "/"}


def flags(visitor: Visitor, name: str) -> dict[str, object]:
    """The flags a cookie was set with."""
    morsel = visitor.cookies[name]
    return {
        "httponly": bool(morsel["httponly"]),
        "secure": bool(morsel["secure"]),
        "samesite": morsel["samesite"],
        "path": morsel["path"],
    }


def sessions(toy: Toy) -> ToySessions:
    """The toy page set's sessions, read as the gateway keeps them."""
    return ToySessions(toy.state, SESSION_MINUTES * 60)


# --- signing in -------------------------------------------------------------------------------


async def test_the_signin_page_carries_a_double_submit_token(toy: Toy) -> None:
    visitor = toy.visitor()
    response, page = await visitor.get("/toy/")
    assert response.status == 200
    assert flags(visitor, SIGNIN) == FLAGS
    assert csrf_of(page) == visitor.cookies[SIGNIN].value
    assert 'action="/toy/signin"' in page
    assert '<html lang="en" dir="ltr">' in page
    assert 'href="/toy/static/toy.css"' in page
    assert SESSION not in visitor.cookies
    again, page = await visitor.get("/toy/")
    assert SIGNIN not in again.cookies  # the token a browser holds is kept, not replaced
    assert csrf_of(page) == visitor.cookies[SIGNIN].value


@pytest.mark.parametrize("token", ["", "forged-" + "x" * 40, "someone-else's"])
async def test_signing_in_needs_the_signin_token(toy: Toy, token: str) -> None:
    visitor = toy.visitor()
    await visitor.get("/toy/")
    data = {"name": "ann"} | ({"csrf": token} if token else {})
    response, page = await visitor.post("/toy/signin", data)
    assert response.status == 403
    assert "toy.error.csrf" in page
    assert SESSION not in visitor.cookies


async def test_signing_in_starts_a_new_session_kept_in_state(toy: Toy) -> None:
    visitor = toy.visitor()
    _, page = await visitor.get("/toy/")
    brought = "P" * 43
    headers = {"Cookie": f"{SIGNIN}={visitor.cookies[SIGNIN].value}; {SESSION}={brought}"}
    response, _ = await visitor.post(
        "/toy/signin", {"csrf": csrf_of(page), "name": "ann"}, headers=headers
    )
    assert response.status == 303
    assert response.headers["Location"] == "/toy/"
    assert flags(visitor, SESSION) == FLAGS
    assert SIGNIN not in visitor.cookies  # the sign-in token is spent
    session_id = visitor.cookies[SESSION].value
    assert session_id != brought  # never a session id the browser brought
    session = await sessions(toy).load(session_id)
    assert session is not None
    assert (session.principal, session.language, session.clicks) == ("ann", "en", 0)
    # Stored under the page set's own name for its principal, with its own fields.
    stored = await Sessions(toy.state, "toy", 60).load(session_id)
    assert stored is not None
    assert stored["member"] == "ann" and stored["clicks"] == 0
    assert "principal" not in stored and session_id not in json.dumps(stored)


async def test_a_wrong_name_is_refused_and_the_form_refilled(toy: Toy) -> None:
    visitor = toy.visitor()
    _, page = await visitor.get("/toy/")
    response, body = await visitor.post("/toy/signin", {"csrf": csrf_of(page), "name": "zed"})
    assert response.status == 401
    assert "toy.signin.wrong" in body
    assert 'value="zed"' in body
    assert SESSION not in visitor.cookies


async def test_too_many_failed_sign_ins_say_when_to_try_again(toy: Toy) -> None:
    visitor = toy.visitor()
    _, page = await visitor.get("/toy/")
    response, body = await visitor.post("/toy/signin", {"csrf": csrf_of(page), "name": "flood"})
    assert response.status == 429
    assert response.headers["Retry-After"] == "90"
    assert "toy.signin.throttled" in body


# --- the frame and the gate -------------------------------------------------------------------


async def test_the_frame_names_who_is_signed_in_and_carries_the_session_token(toy: Toy) -> None:
    visitor = await toy.signed_in("ann")
    response, page = await visitor.get("/toy/")
    assert response.status == 200
    assert "member ann" in page
    assert 'action="/toy/signout"' in page and 'action="/toy/language"' in page
    session = await sessions(toy).load(visitor.cookies[SESSION].value)
    assert session is not None
    forms = page.count("<form")
    assert forms == 3  # the language switch, sign out, the page's own
    assert page.count(f'name="csrf" value="{session.csrf}"') == forms
    assert '<input type="hidden" name="next" value="/toy/">' in page


@dataclass(frozen=True)
class GateCase:
    """One request at the gate: who sends it, and what comes back."""

    label: str
    who: str | None  # a member signed in, or None for a visitor
    method: str
    path: str
    token: str = "right"  # "right", "wrong" or "none"
    expect_status: int = 200
    expect_text: str = ""
    expect_location: str = ""


GATE_CASES = [
    GateCase("visitor GET", None, "GET", "/toy/boss", expect_status=303, expect_location="/toy/"),
    GateCase("visitor POST", None, "POST", "/toy/click", "none", 401, "toy.signin.expired"),
    GateCase("no token", "ann", "POST", "/toy/click", "none", 403, "toy.error.csrf"),
    GateCase("wrong token", "ann", "POST", "/toy/click", "wrong", 403, "toy.error.csrf"),
    GateCase("right token", "ann", "POST", "/toy/click", expect_text="clicked"),
    GateCase("not a boss", "ann", "GET", "/toy/boss", expect_status=403,
             expect_text="toy.error.bosses_only"),
    GateCase("a boss", "bob", "GET", "/toy/boss", expect_text="clicks: 0"),
]  # fmt: skip


@pytest.mark.parametrize("case", GATE_CASES, ids=lambda c: c.label)
async def test_the_gate(toy: Toy, case: GateCase) -> None:
    visitor = await toy.signed_in(case.who) if case.who else toy.visitor()
    data: dict[str, str] = {}
    if case.method == "POST" and case.token != "none":
        data["csrf"] = await _token(visitor) if case.token == "right" else "W" * 43
    if case.method == "GET":
        response, body = await visitor.get(case.path)
    else:
        response, body = await visitor.post(case.path, data)
    assert response.status == case.expect_status, body
    assert case.expect_text in body
    if case.expect_location:
        assert response.headers["Location"] == case.expect_location
    if case.expect_status == 401:
        assert SESSION not in visitor.cookies
    if case.who and case.expect_status == 403:
        _, page = await visitor.get("/toy/")
        assert "clicks: 0" in page  # refused before the page's handler ran


async def _token(visitor: Visitor) -> str:
    _, page = await visitor.get("/toy/")
    return csrf_of(page)


async def test_fields_a_page_set_adds_are_kept_in_the_session(toy: Toy) -> None:
    visitor = await toy.signed_in("ann")
    for _ in range(2):
        response, _ = await visitor.post("/toy/click", {"csrf": await _token(visitor)})
        assert response.status == 200
    _, page = await visitor.get("/toy/")
    assert "clicks: 2" in page


async def test_a_member_turned_away_since_signing_in_is_told_so(toy: Toy) -> None:
    visitor = await toy.signed_in("ann")
    session_id = visitor.cookies[SESSION].value
    toy.members["ann"] = Member("ann", active=False)
    response, page = await visitor.get("/toy/boss")
    assert response.status == 403
    assert "toy.signin.retired" in page
    assert SESSION not in visitor.cookies
    assert await sessions(toy).load(session_id) is None  # ended where it is kept, too


async def test_a_member_turned_away_while_a_page_is_open_is_told_so_in_their_language(
    toy: Toy,
) -> None:
    visitor = await toy.signed_in("ann")
    session_id = visitor.cookies[SESSION].value
    await visitor.post("/toy/language", {"csrf": await _token(visitor), "lang": "fa"})
    response, page = await visitor.post("/toy/retire", {"csrf": await _token(visitor)})
    assert response.status == 403
    assert "toy.signin.retired" in page
    assert '<html lang="fa" dir="rtl">' in page
    assert SESSION not in visitor.cookies
    assert await sessions(toy).load(session_id) is None


async def test_an_unknown_or_malformed_session_id_is_a_visitor(toy: Toy) -> None:
    for value in ("Q" * 43, "short", "bad value!"):
        visitor = toy.visitor(Cookie=f"{SESSION}={value}")
        response, page = await visitor.get("/toy/")
        assert response.status == 200
        assert 'action="/toy/signin"' in page


# --- the language, signing out ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "next_page", "status", "location"),
    [
        ("fa", "/toy/boss", 303, "/toy/boss"),
        ("fa", "https://elsewhere.example/", 303, "/toy/"),
        ("fa", "/other/", 303, "/toy/"),
        ("fa", "//elsewhere.example/toy/", 303, "/toy/"),
        ("xx", "/toy/", 422, ""),
    ],
)
async def test_the_language_switch(
    toy: Toy, lang: str, next_page: str, status: int, location: str
) -> None:
    visitor = await toy.signed_in("ann")
    data = {"csrf": await _token(visitor), "lang": lang, "next": next_page}
    response, body = await visitor.post("/toy/language", data)
    assert response.status == status
    if location:
        assert response.headers["Location"] == location
        _, page = await visitor.get("/toy/")
        assert '<html lang="fa" dir="rtl">' in page
    else:
        assert "toy.error.language" in body


async def test_signing_out_ends_the_session_where_it_is_kept(toy: Toy) -> None:
    visitor = await toy.signed_in("ann")
    session_id = visitor.cookies[SESSION].value
    response, _ = await visitor.post("/toy/signout", {"csrf": await _token(visitor)})
    assert response.status == 303
    assert response.headers["Location"] == "/toy/"
    assert SESSION not in visitor.cookies
    assert await sessions(toy).load(session_id) is None
    replay = toy.visitor(Cookie=f"{SESSION}={session_id}")
    response, _ = await replay.get("/toy/boss")
    assert response.status == 303  # the old cookie opens nothing


# --- refusals as pages in words ---------------------------------------------------------------


def _error_words(kind: str) -> str:
    raised = RAISED[kind]
    assert isinstance(raised, EligibilityError)
    return Wording("en").error(raised)


ERROR_CASES = [
    # path, status, words, Retry-After
    ("/toy/raise/page", 409, "toy.error.taken", None),
    ("/toy/raise/form", 400, "toy.error.bad_form", None),
    ("/toy/raise/store", 503, "toy.error.unavailable", "5"),
    ("/toy/raise/quota", 429, _error_words("quota"), "1"),
    ("/toy/raise/refused", 403, _error_words("refused"), None),
    ("/toy/raise/input", 422, _error_words("input"), None),
    ("/toy/raise/missing", 404, "toy.error.not_found", None),
    ("/toy/raise/busy", 429, "toy.error.rate_limited", "30"),
    ("/toy/raise/bug", 503, "toy.error.unavailable", "5"),
    ("/toy/no-such-page", 404, "toy.error.not_found", None),
]


@pytest.mark.parametrize(("path", "status", "says", "retry_after"), ERROR_CASES)
async def test_every_refusal_is_a_page_in_words(
    toy: Toy, path: str, status: int, says: str, retry_after: str | None
) -> None:
    response, page = await toy.visitor().get(path)
    assert response.status == status
    assert response.content_type == "text/html"
    assert says in page
    assert 'role="alert"' in page and 'href="/toy/"' in page
    assert response.headers.get("Retry-After") == retry_after
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value
    assert "fire" not in page and "disk full" not in page and "Traceback" not in page


async def test_a_redirect_raised_inside_passes_through(toy: Toy) -> None:
    response, _ = await toy.visitor().get("/toy/raise/moved")
    assert response.status == 302
    assert response.headers["Location"] == "/toy/"


async def test_a_wrong_method_is_a_page_naming_the_right_one(toy: Toy) -> None:
    response, page = await toy.visitor().post("/toy/boss", {})
    assert response.status == 405
    assert "toy.error.method" in page
    assert "GET" in response.headers["Allow"]


async def test_a_body_over_the_limit_is_a_page_in_words(toy: Toy) -> None:
    visitor = await toy.signed_in("ann")
    response, page = await visitor.post("/toy/click", {"csrf": "x", "note": "n" * 5000})
    assert response.status == 413
    assert "toy.error.too_large" in page
    assert response.headers["X-Frame-Options"] == "DENY"


# --- the stylesheet ---------------------------------------------------------------------------


async def test_the_stylesheet_is_the_kits_then_the_page_sets_own(toy: Toy) -> None:
    response, css = await toy.visitor().get("/toy/static/toy.css")
    assert response.status == 200
    assert response.content_type == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    kit = package_text(KIT_PACKAGE, "static", "frame.css")
    assert css.startswith(kit)
    assert css.endswith("#clicks { font-weight: 700; }\n")
