"""The provider pages in a real browser: Debian's Chromium driven by Playwright.

The gateway runs as ``python -m eligibility_gw serve`` on a free port of 127.0.0.1, over a
seeded SQLite file. The walk is the issue's: sign in, check an eligible person and a son
without a student certificate, read the tracking codes off the page, open the history,
download the monthly CSV, switch to Persian. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.settings import load_settings
from tests.channels.browser import BROWSER_MARKS, chromium, free_port, serve_gateway
from tests.channels.web.portal.support import PROVIDER_KEY, seed, settings_toml

pytestmark = BROWSER_MARKS


@dataclass(frozen=True)
class Gateway:
    """A gateway process serving the seeded store."""

    base: str
    ids: dict[str, str]


async def _seed(config: Path) -> dict[str, str]:
    """Seed the file the gateway process will serve (opened and closed before it starts)."""
    gateway = await open_gateway(load_settings(config))
    try:
        return await seed(gateway)
    finally:
        await gateway.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("portal-browser")
    port = free_port()
    config = folder / "gateway.toml"
    config.write_text(settings_toml(str(folder / "portal.sqlite3"), port), "utf-8")
    ids = asyncio.run(_seed(config))
    with serve_gateway(config, port, folder / "gateway.log") as base:
        yield Gateway(base, ids)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def artifacts(pytestconfig: pytest.Config) -> Path:
    folder = pytestconfig.rootpath / "tests" / "artifacts" / "portal"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(page: Page, national_id: str) -> str:
    """Fill the check form, submit it, and read the tracking code off the answer card."""
    page.fill("#national_id", national_id)
    page.click("form[action='/portal/inquiries'] button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/answers/\d{12}$"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code), code
    return code


def test_provider_walk(gateway: Gateway, browser: Browser, artifacts: Path) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        # Sign in with the API key: a form post, never the address bar.
        page.goto(gateway.base + "/portal/")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        page.screenshot(path=artifacts / "01-sign-in.png", full_page=True)
        page.fill("#api_key", "egw_wrong_key")
        page.click("form[action='/portal/signin'] button")
        expect(page.locator("[role=alert]")).to_contain_text("This API key was not accepted")
        page.fill("#api_key", PROVIDER_KEY)
        page.click("form[action='/portal/signin'] button")
        expect(page.locator(".who")).to_contain_text("Signed in as Demo Pharmacy")
        assert PROVIDER_KEY not in page.url
        cookie = next(c for c in context.cookies() if c["name"] == "__Host-egw-portal")
        assert cookie["httpOnly"] is True
        assert cookie["secure"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["value"] != PROVIDER_KEY

        # An eligible person.
        eligible = _check(page, gateway.ids["rezaei"])
        expect(page.locator(".answer .status")).to_contain_text("Eligible")
        expect(page.locator(".answer")).to_contain_text("A*** R***")
        page.screenshot(path=artifacts / "02-answer-eligible.png", full_page=True)

        # A son of 20 without a student certificate: not eligible, and what to ask for.
        son = _check(page, gateway.ids["rezaei-son-no-cert"])
        assert son != eligible
        expect(page.locator(".answer .status")).to_contain_text("Not eligible")
        expect(page.locator(".ask-for")).to_contain_text("student certificate")
        expect(page.locator(".answer")).not_to_contain_text("Hamid")
        page.screenshot(path=artifacts / "03-answer-son-without-certificate.png", full_page=True)

        # The print view of that answer.
        page.click("#print-view")
        expect(page.locator("#tracking-code")).to_have_text(son)
        expect(page.locator("form")).to_have_count(0)
        page.emulate_media(media="print")
        page.screenshot(path=artifacts / "04-print-view.png", full_page=True)
        page.emulate_media(media="screen")

        # History: both checks, newest first; then found by tracking code.
        page.goto(gateway.base + "/portal/history")
        codes = page.locator("table.history a.code").all_inner_texts()
        assert codes[:2] == [son, eligible]
        page.screenshot(path=artifacts / "05-history.png", full_page=True)
        page.fill("#code", eligible)
        page.click("form:has(#code) button")
        expect(page.locator("table.history a.code")).to_have_text([eligible])

        # The monthly report, downloaded as a file.
        with page.expect_download() as info:
            page.click("#download-report")
        download = info.value
        saved = artifacts / download.suggested_filename
        download.save_as(saved)
        assert re.fullmatch(r"activity-demo-pharmacy-\d{4}-\d{2}\.csv", saved.name)
        rows = list(csv.DictReader(io.StringIO(saved.read_text("utf-8-sig"))))
        assert [r["tracking_code"] for r in rows] == [eligible, son]
        assert [r["status"] for r in rows] == ["eligible", "not_eligible"]
        assert [r["masked_member"] for r in rows] == ["A*** R***", "H*** R***"]

        # Persian: right to left, Persian words, Solar Hijri dates in Persian digits.
        page.click(".languages button[lang=fa]")
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "fa")
        expect(html).to_have_attribute("dir", "rtl")
        expect(page.locator("h1")).to_have_text("استعلام‌های شما")
        page.goto(gateway.base + "/portal/history")
        page.screenshot(path=artifacts / "06-history-persian.png", full_page=True)
        page.click(f"a.code:text('{son}')")
        expect(page.locator(".answer .status")).to_contain_text("فاقد")
        expect(page.locator(".ask-for")).to_contain_text("از بیمار بخواهید")
        expect(page.locator(".facts")).to_contain_text(re.compile("[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}"))
        page.screenshot(path=artifacts / "07-answer-persian.png", full_page=True)

        # Readable on a phone.
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=artifacts / "08-answer-persian-phone.png", full_page=True)
        page.goto(gateway.base + "/portal/history")
        page.screenshot(path=artifacts / "09-history-persian-phone.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"

        # Sign out: the session is gone.
        page.click("#sign-out")
        expect(page.locator("#api_key")).to_be_visible()
        assert not [c for c in context.cookies() if c["name"] == "__Host-egw-portal"]
    finally:
        context.close()
