"""The provider pages and the console are one kit configured twice.

Each row of the table is a page set as its users meet it: the same double-submit sign-in,
session cookie, gate, turned-away page, error pages and stylesheet, in its own words.
Where the two used to differ by accident, they now agree (the tests say which).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
from markupsafe import escape

from eligibility_gw.channels.console.rendering import CONSOLE
from eligibility_gw.channels.pages.frame import KIT_TEXTS, Site
from eligibility_gw.channels.pages.rendering import KIT_PACKAGE, environment, package_text
from eligibility_gw.channels.web.portal.rendering import PORTAL
from eligibility_gw.domain.errors import InvalidDate, NotPermitted, ProviderInactive, QuotaExceeded
from eligibility_gw.keyvalue import Sessions
from eligibility_gw.wording import Wording, available_languages, catalogs
from tests.channels.console.support import AGENT, AGENT_PASSWORD, StaffVisitor, add_staff
from tests.channels.web.portal.support import Visitor, add_providers, csrf_of
from tests.conftest import MakeGateway
from tests.gateway import TestGateway

Browser = Visitor | StaffVisitor


@dataclass(frozen=True)
class PageSet:
    """A page set as a test meets it: its kit configuration and how one signs in."""

    site: Site[Any]
    fields: dict[str, str]
    #: Turn the signed-in principal away (deactivate the provider, disable the account).
    turn_away: Callable[[TestGateway], Awaitable[None]]
    #: The key the stored session names its principal with, and who that is.
    stored_as: tuple[str, str]

    def __str__(self) -> str:
        return self.site.name


async def _deactivate(tg: TestGateway) -> None:
    await tg.store.providers.set_active("demo-pharmacy", False)


async def _disable(tg: TestGateway) -> None:
    await tg.store.casework.set_staff_active(AGENT, False)


PORTAL_SIGNIN = {"api_key": TestGateway.api_key}
CONSOLE_SIGNIN = {"username": AGENT, "password": AGENT_PASSWORD}
PAGE_SETS = [
    PageSet(PORTAL, PORTAL_SIGNIN, _deactivate, ("provider_id", "demo-pharmacy")),
    PageSet(CONSOLE, CONSOLE_SIGNIN, _disable, ("username", AGENT)),
]


async def open_pages(make_gateway: MakeGateway) -> TestGateway:
    """One gateway with both page sets: the demo pharmacy, more providers, staff."""
    from aiohttp import DummyCookieJar

    tg = await make_gateway(
        store="memory", languages=("en", "fa"), client_args={"cookie_jar": DummyCookieJar()}
    )
    await add_providers(tg.store)
    await add_staff(tg.store.casework)
    return tg


@pytest.fixture
async def tg(make_gateway: MakeGateway) -> TestGateway:
    return await open_pages(make_gateway)


async def sign_in(tg: TestGateway, pages: PageSet) -> Visitor:
    """A browser signed in to ``pages``."""
    visitor = Visitor(tg.client)
    _, page = await visitor.get(pages.site.home)
    response, body = await visitor.post(
        f"{pages.site.base}/signin", {"csrf": csrf_of(page), **pages.fields}
    )
    assert response.status == 303, body
    return visitor


def said(message_id: str, language: str = "en") -> str:
    """A message as a page shows it (escaped)."""
    return str(escape(Wording(language).t(message_id)))


def words(pages: PageSet, piece: str, language: str = "en") -> str:
    """One of the kit's pieces in the page set's words, as a page shows it."""
    return said(pages.site.text(piece), language)


@pytest.mark.parametrize("pages", PAGE_SETS, ids=str)
async def test_signing_in_is_the_kits_double_submit_then_a_host_cookie(
    tg: TestGateway, pages: PageSet
) -> None:
    site = pages.site
    visitor = Visitor(tg.client)
    _, page = await visitor.get(site.home)
    token = visitor.cookies[f"__Host-egw-{site.name}-signin"]
    assert token.value == csrf_of(page)
    assert (token["httponly"], token["secure"], token["samesite"]) == (True, True, "Strict")
    refused, body = await visitor.post(f"{site.base}/signin", {"csrf": "x" * 43, **pages.fields})
    assert refused.status == 403
    assert words(pages, "error.csrf") in body
    visitor = await sign_in(tg, pages)
    session_id = visitor.cookies[f"__Host-egw-{site.name}"].value
    stored = await Sessions(tg.gateway.state, site.name, 60).load(session_id)
    assert stored is not None
    key, who = pages.stored_as
    assert stored[key] == who
    _, home = await visitor.get(site.home)
    assert home.count(f'name="csrf" value="{stored["csrf"]}"') == home.count("<form")
    assert f'action="{site.base}/signout"' in home and f'action="{site.base}/language"' in home


@pytest.mark.parametrize("pages", PAGE_SETS, ids=str)
async def test_a_principal_turned_away_is_told_so_and_the_session_ends(
    tg: TestGateway, pages: PageSet
) -> None:
    visitor = await sign_in(tg, pages)
    session_id = visitor.cookies[f"__Host-egw-{pages.site.name}"].value
    await pages.turn_away(tg)
    response, page = await visitor.get(pages.site.home)
    assert response.status == 403
    assert said(pages.site.turned_away) in page
    assert f"__Host-egw-{pages.site.name}" not in visitor.cookies
    assert await Sessions(tg.gateway.state, pages.site.name, 60).load(session_id) is None


@pytest.mark.parametrize("pages", PAGE_SETS, ids=str)
async def test_the_same_refusals_in_each_page_sets_words(tg: TestGateway, pages: PageSet) -> None:
    site = pages.site
    visitor = await sign_in(tg, pages)
    cases = [
        ("GET", f"{site.base}/no-such-page", {}, 404, "error.not_found"),
        ("GET", f"{site.base}/signout", {}, 405, "error.method"),
        ("POST", f"{site.base}/language", {"lang": "xx"}, 403, "error.csrf"),
    ]
    for method, path, data, status, piece in cases:
        if method == "GET":
            response, page = await visitor.get(path)
        else:
            response, page = await visitor.post(path, data)
        assert response.status == status, path
        assert words(pages, piece) in page
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "script-src" not in response.headers["Content-Security-Policy"]
    bare, _ = await visitor.get(site.base)
    assert bare.status == 308
    assert bare.headers["Location"] == site.home


@pytest.mark.parametrize("pages", PAGE_SETS, ids=str)
async def test_each_stylesheet_is_the_kits_then_its_own(tg: TestGateway, pages: PageSet) -> None:
    site = pages.site
    response, css = await Visitor(tg.client).get(f"{site.base}/static/{site.stylesheet}")
    assert response.status == 200
    kit = package_text(KIT_PACKAGE, "static", "frame.css")
    own = package_text(site.package, "static", site.stylesheet)
    assert css == kit + own
    assert ".top .languages" in kit and ".top .languages" not in own  # the frame's look, once


# --- where the two differed by accident -------------------------------------------------------


async def _portal_check(tg: TestGateway) -> tuple[Any, str]:
    visitor = await sign_in(tg, PAGE_SETS[0])
    _, page = await visitor.get("/portal/")
    return await visitor.post(
        "/portal/inquiries", {"csrf": csrf_of(page), "national_id": tg.nid("rezaei")}
    )


async def test_a_portal_quota_says_to_wait_at_least_a_second(
    tg: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the console always did: ``Retry-After: 0`` would invite an immediate retry."""

    async def spent(*_args: object, **_kwargs: object) -> None:
        raise QuotaExceeded("spent", scope="provider_national_id", retry_after=0, limit=20)

    monkeypatch.setattr(tg.inquiries, "ask", spent)
    response, page = await _portal_check(tg)
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert 'role="alert"' in page


async def test_a_provider_deactivated_while_checking_has_its_session_ended(
    tg: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, only the browser's cookie was cleared; the session lived on in ``STATE``."""

    async def inactive(*_args: object, **_kwargs: object) -> None:
        raise ProviderInactive("deactivated")

    visitor = await sign_in(tg, PAGE_SETS[0])
    session_id = visitor.cookies["__Host-egw-portal"].value
    _, page = await visitor.get("/portal/")
    monkeypatch.setattr(tg.inquiries, "ask", inactive)
    response, body = await visitor.post(
        "/portal/inquiries", {"csrf": csrf_of(page), "national_id": tg.nid("rezaei")}
    )
    assert response.status == 403
    assert said("portal.signin.deactivated") in body
    assert await Sessions(tg.gateway.state, "portal", 60).load(session_id) is None


async def test_a_portal_input_the_core_refuses_is_a_422_page_not_a_503(
    tg: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As at the console: the core's input refusals are pages in words, never 'try again'."""

    async def unreadable(*_args: object, **_kwargs: object) -> None:
        raise InvalidDate("bad date", field="date")

    visitor = await sign_in(tg, PAGE_SETS[0])
    monkeypatch.setattr(tg.inquiries, "provider_history", unreadable)
    response, page = await visitor.get("/portal/history")
    assert response.status == 422
    assert said("error.INVALID_DATE") in page


async def test_a_console_refusal_of_the_policy_is_a_403_as_on_the_portal(
    tg: TestGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the console answered a policy refusal as an input error (422)."""

    async def refused(*_args: object, **_kwargs: object) -> None:
        raise NotPermitted("not on file")

    visitor = StaffVisitor(tg.client)
    assert (await visitor.sign_in()).status == 303
    monkeypatch.setattr(tg.inquiries, "family_of", refused)
    response, page = await visitor.search(tg.nid("rezaei"))
    assert response.status == 403
    assert said("error.NOT_ON_FILE") in page


# --- texts and templates ----------------------------------------------------------------------


@pytest.mark.parametrize("language", available_languages())
@pytest.mark.parametrize("site", [PORTAL, CONSOLE], ids=lambda s: s.name)
def test_every_page_set_has_words_for_every_piece_of_the_kit(
    site: Site[Any], language: str
) -> None:
    catalog = catalogs()[language]
    wanted = [site.text(piece) for piece in KIT_TEXTS] + [site.turned_away]
    assert [i for i in wanted if i not in catalog] == []


@pytest.mark.parametrize("site", [PORTAL, CONSOLE], ids=lambda s: s.name)
def test_every_template_compiles_and_runs_no_script(site: Site[Any]) -> None:
    env = environment(site.package)
    names = env.list_templates()
    assert "kit/frame.html" in names and "base.html" in names and "kit/error.html" in names
    for name in names:
        env.get_template(name)  # parses, imports and extends resolve
    for package in (site.package, KIT_PACKAGE):
        for entry in resources.files(package).joinpath("templates").iterdir():
            text = entry.read_text("utf-8").lower()
            assert "<script" not in text, entry.name
            assert " onclick=" not in text and " onload=" not in text, entry.name
