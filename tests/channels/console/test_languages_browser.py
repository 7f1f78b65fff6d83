"""The portal and the console in each of the six languages, in a real browser.

Debian's Chromium under Playwright, against ``eligibility-gw serve`` over a seeded SQLite
file offering all six languages. A provider's check page and answer card, and a staff
member's person page, are switched to each language with the switcher: the page stays the
same (path and query), ``<html>`` says the language and direction, and a screenshot per
language and page goes to ``tests/artifacts/languages/``. A visitor's choice on the sign-in
page is remembered by the browser across visits.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.demo import DEMO_PROVIDER_KEY
from eligibility_gw.settings import load_settings
from tests.channels.browser import BROWSER_MARKS, chromium, free_port, serve_gateway
from tests.channels.console.support import AGENT, AGENT_PASSWORD, SON, add_staff, to_toml
from tests.gateway import seed

pytestmark = BROWSER_MARKS

#: The shipped languages, the deployment's default first.
LANGUAGES = ("en", "fa", "ro", "pt_BR", "pl", "ru")
#: What each language's pages say somewhere on the person page (its own words).
PERSON_WORDS = {
    "en": "Documents on file",
    "fa": "مدارک",
    "ro": "Documente",
    "pt_BR": "Documentos",
    "pl": "Dokumenty",
    "ru": "Документы",
}


@dataclass(frozen=True)
class Gateway:
    """A gateway process over the seeded store."""

    base: str
    ids: dict[str, str]


async def _seed(config: Path) -> dict[str, str]:
    gateway = await open_gateway(load_settings(config))
    try:
        people = await seed(gateway)
        await add_staff(gateway.store.casework)
        return {key: p.row.national_id for key, p in people.items()}
    finally:
        await gateway.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("languages-browser")
    port = free_port()
    config = folder / "gateway.toml"
    data = {
        "gateway": {
            "rule_pack": "ir-tamin",
            "time_zone": "Asia/Tehran",
            "languages": list(LANGUAGES),
        },
        "store": {"url": f"sqlite:///{folder / 'languages.sqlite3'}"},
        "server": {"host": "127.0.0.1", "port": port},
        # The pages only: the phone channels' budgets are the budget tests' own.
        "channels": {name: {"enabled": False} for name in ("sms", "ussd", "telegram")},
    }
    config.write_text(to_toml(data), "utf-8")
    ids = asyncio.run(_seed(config))
    with serve_gateway(config, port, folder / "gateway.log") as base:
        yield Gateway(base, ids)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def artifacts(pytestconfig: pytest.Config) -> Path:
    folder = pytestconfig.rootpath / "tests" / "artifacts" / "languages"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _tag(language: str) -> str:
    return language.replace("_", "-")


def _switch(page: Page, language: str) -> None:
    """Press the switcher's entry for ``language``; the same page comes back in it."""
    before = page.url
    page.click(f".languages [lang='{_tag(language)}']")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", _tag(language))
    expect(html).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    assert page.url == before, (page.url, before)
    current = page.locator(".languages .current")
    expect(current).to_have_attribute("lang", _tag(language))


def test_the_portal_in_every_language(gateway: Gateway, browser: Browser, artifacts: Path) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        page.goto(gateway.base + "/portal/")
        page.fill("#api_key", DEMO_PROVIDER_KEY)
        page.click("form[action='/portal/signin'] button")
        page.fill("#national_id", gateway.ids[SON])
        page.click("form[action='/portal/inquiries'] button[type=submit]")
        page.wait_for_url(re.compile(r"/portal/answers/\d{12}$"))
        answer = page.url
        for language in LANGUAGES:
            page.goto(gateway.base + "/portal/")
            if page.locator("html").get_attribute("lang") != _tag(language):
                _switch(page, language)
            expect(page.locator("#national_id")).to_be_visible()
            page.screenshot(path=artifacts / f"portal-check-{language}.png", full_page=True)
            page.goto(answer)
            expect(page.locator("html")).to_have_attribute("lang", _tag(language))
            expect(page.locator("#tracking-code")).to_be_visible()
            page.screenshot(path=artifacts / f"portal-answer-{language}.png", full_page=True)
        # Persian: the tracking code and the member's name stay whole, left to right.
        _switch(page, "fa")
        expect(page.locator("#tracking-code")).to_have_attribute("dir", "ltr")
        expect(page.locator(".answer bdi.member")).to_have_count(1)
    finally:
        context.close()


def test_the_console_in_every_language(gateway: Gateway, browser: Browser, artifacts: Path) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(gateway.base + "/console/")
        page.fill("#username", AGENT)
        page.fill("#password", AGENT_PASSWORD)
        page.click("form[action='/console/signin'] button")
        page.fill("#q", gateway.ids[SON])
        page.click("#search-submit")
        page.wait_for_url(re.compile(r"/console/search\?s=[0-9a-f]{20}"))
        page.locator("table.members a.open-record", has_text="Hamid").click()
        page.wait_for_url(re.compile(r"/console/people/[0-9a-f]{20}"))
        for language in [*LANGUAGES[1:], LANGUAGES[0]]:
            _switch(page, language)
            expect(page.locator("main")).to_contain_text(PERSON_WORDS[language])
            page.screenshot(path=artifacts / f"console-person-{language}.png", full_page=True)
        _switch(page, "fa")
        # Right to left: the table's first column is on the right.
        first, last = (
            page.locator("table.members th").first.bounding_box(),
            page.locator("table.members th").last.bounding_box(),
        )
        assert first is not None and last is not None and first["x"] > last["x"]
        expect(page.locator("#national-id")).to_have_attribute("dir", "ltr")
    finally:
        context.close()


def test_a_visitor_choice_is_remembered(gateway: Gateway, browser: Browser) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(gateway.base + "/console/")
        _switch_link = page.locator(".languages a[lang='ro']")
        _switch_link.click()
        expect(page.locator("html")).to_have_attribute("lang", "ro")
        assert page.url.endswith("/console/?lang=ro")
        cookie = next(c for c in context.cookies() if c["name"] == "__Host-egw-console-lang")
        assert cookie["value"] == "ro" and cookie["expires"] > 0
        page.goto(gateway.base + "/console/")
        expect(page.locator("html")).to_have_attribute("lang", "ro")
    finally:
        context.close()
