"""The call-centre console in a real browser: Debian's Chromium driven by Playwright.

The gateway runs as ``python -m eligibility_gw serve`` over a seeded SQLite file, its
outbound SMS pointed at a fake of Twilio's REST API served from this test process. The walk
is the issue's: an agent signs in, finds a son shown as not covered for lack of a student
certificate, opens a dispute from his tracking code, records the certificate, resolves the
dispute; the next inquiry says eligible and the resolution SMS is caught by the fake. A
supervisor then finds a reported check (a NO to a check notice) and opens a dispute from it
in one click. Screenshots go to ``tests/artifacts/console/``.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Browser, BrowserContext, Page, expect

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.demo import DEMO_PROVIDER_ID, DEMO_PROVIDER_KEY
from eligibility_gw.policy.askers import Asker
from eligibility_gw.settings import load_settings
from tests.channels.browser import BROWSER_MARKS, chromium, free_port, serve_gateway
from tests.channels.console.support import (
    AGENT,
    AGENT_PASSWORD,
    PORTAL,
    REZAEI_PHONE,
    SON,
    SUPERVISOR,
    SUPERVISOR_PASSWORD,
    add_staff,
    to_toml,
    twilio_table,
)
from tests.channels.sms.support import TOKEN, FakeTwilio, new_sid
from tests.gateway import seed

pytestmark = BROWSER_MARKS

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
AHMADI_PHONE = "+989121110003"


@dataclass(frozen=True)
class Gateway:
    """A gateway process over the seeded store; the son's first tracking code; today."""

    base: str
    ids: dict[str, str]
    son_code: str
    #: The pharmacy's check of the Ahmadi boy his father said NO to.
    reported_code: str
    today: date


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    """The SMS tests' fake Twilio, served on its own loop in a thread of this process."""
    fake = FakeTwilio()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner = web.AppRunner(fake.app())

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="fake-twilio", daemon=True)
    thread.start()
    assert ready.wait(10), "the fake Twilio did not start"
    try:
        yield fake
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


async def _seed(config: Path) -> tuple[dict[str, str], str, str, date]:
    gateway = await open_gateway(load_settings(config))
    try:
        people = await seed(gateway)
        ids = {key: p.row.national_id for key, p in people.items()}
        await add_staff(gateway.store.casework)
        provider = await gateway.inquiries.provider(DEMO_PROVIDER_ID)
        assert provider is not None
        pharmacy = Asker.for_provider(PORTAL, provider)
        # The pharmacy checked the son before he called the hotline.
        son = await gateway.inquiries.ask(pharmacy, ids[SON])
        # And checked the Ahmadi boy: his father was told by SMS, and answered NO.
        reported = await gateway.inquiries.ask(pharmacy, ids["ahmadi-son"])
        assert gateway.sms_sender is not None
        await gateway.sms_sender.drain()
        report = await gateway.inquiries.report_unasked_check(AHMADI_PHONE, new_sid())
        assert report is not None
        return (
            ids,
            son.tracking_code.grouped(),
            reported.tracking_code.grouped(),
            gateway.settings.today(),
        )
    finally:
        await gateway.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio) -> Iterator[Gateway]:
    folder = tmp_path_factory.mktemp("console-browser")
    port = free_port()
    config = folder / "gateway.toml"
    # Persian first, as shipped for ir-tamin: the insured person's SMS is in Persian.
    data = {
        "gateway": {"rule_pack": "ir-tamin", "time_zone": "Asia/Tehran", "languages": ["fa", "en"]},
        "store": {"url": f"sqlite:///{folder / 'console.sqlite3'}"},
        "server": {"host": "127.0.0.1", "port": port},
        "notices": {"check_notices": True},
        "twilio": twilio_table(twilio.base_url),
    }
    config.write_text(to_toml(data), "utf-8")
    env = {"TWILIO_AUTH_TOKEN": TOKEN}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
        ids, son_code, reported_code, today = asyncio.run(_seed(config))
    with serve_gateway(config, port, folder / "gateway.log", env) as base:
        yield Gateway(base, ids, son_code, reported_code, today)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def artifacts(pytestconfig: pytest.Config) -> Path:
    folder = pytestconfig.rootpath / "tests" / "artifacts" / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _context(browser: Browser, locale: str = "en-US") -> BrowserContext:
    return browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})


def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/console/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/console/signin'] button")
    expect(page.locator(".who")).to_contain_text(f"Signed in as {username}")


def _search(page: Page, text: str) -> None:
    page.fill("#q", text)
    page.click("#search-submit")
    page.wait_for_url(re.compile(r"/console/search\?s=[0-9a-f]{20}"))
    assert text not in page.url  # results live under an opaque address


def test_agent_walk(
    gateway: Gateway, browser: Browser, twilio: FakeTwilio, artifacts: Path
) -> None:
    son_id = gateway.ids[SON]
    context = _context(browser)
    page = context.new_page()
    try:
        # Sign in: a wrong password first, then the right one.
        page.goto(gateway.base + "/console/")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        page.fill("#username", AGENT)
        page.fill("#password", "not-my-password")
        page.click("form[action='/console/signin'] button")
        expect(page.locator("[role=alert]")).to_contain_text("were not accepted")
        page.screenshot(path=artifacts / "01-sign-in-refused.png", full_page=True)
        _sign_in(page, gateway.base, AGENT, AGENT_PASSWORD)
        cookie = next(c for c in context.cookies() if c["name"] == "__Host-egw-console")
        assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Strict")

        # Find the son: not covered, for lack of a student certificate; his id masked.
        _search(page, son_id)
        son_row = page.locator("table.members tr", has_text="Hamid Rezaei")
        expect(son_row).to_contain_text("Not eligible")
        expect(son_row).to_contain_text("student certificate")
        expect(son_row.locator(".nid")).to_have_text("******" + son_id[-4:])
        assert son_id not in page.content()
        page.screenshot(path=artifacts / "02-search-son-not-covered.png", full_page=True)

        # His tracking code, as the caller reads it out: the answer, and a dispute from it.
        _search(page, gateway.son_code)
        expect(page.locator(".found-answer")).to_contain_text(gateway.son_code)
        expect(page.locator(".found-answer")).to_contain_text("Not eligible")
        page.screenshot(path=artifacts / "03-search-tracking-code.png", full_page=True)
        page.click("#open-dispute")
        expect(page.locator("#tracking_code")).to_have_value(gateway.son_code.replace("-", ""))
        page.select_option("#caller_channel", "hotline")
        page.fill("#caller_phone", "0912 111 0001")
        page.fill("#summary", "The father says Hamid studies at the University of Tehran.")
        expect(page.locator("#language")).to_have_value("fa")
        page.click("#open-dispute-submit")
        page.wait_for_url(re.compile(r"/console/disputes/\d{8}$"))
        dispute_code = page.locator("#dispute-code").inner_text()
        assert re.fullmatch(r"D-\d{4}-\d{4}", dispute_code), dispute_code
        expect(page.locator("#dispute-status")).to_have_text("Received")
        page.screenshot(path=artifacts / "04-dispute-received.png", full_page=True)
        page.click("#action-start")
        expect(page.locator("#dispute-status")).to_have_text("In progress")

        # Put it right: the certificate seen at the branch, for this dispute.
        page.click("#dispute-person")
        expect(page.locator("#national-id")).to_have_text(son_id)  # opened: the id whole
        expect(page.locator("#doc-dispute")).to_have_value(dispute_code)
        until = (gateway.today + timedelta(days=365)).isoformat()
        page.select_option("#doc-kind", "student_certificate")
        page.fill("#valid_until", until)
        page.fill("#note", "Certificate of the University of Tehran seen at branch 12.")
        page.click("#record-document")
        expect(page.locator(".saved")).to_contain_text("The document is on file")
        expect(page.locator("table.documents")).to_contain_text("branch")
        expect(page.locator("table.members tr.focus")).to_contain_text("Eligible")
        page.screenshot(path=artifacts / "05-certificate-recorded.png", full_page=True)

        # Resolve: the person is told by SMS, with a fresh answer and a new tracking code.
        page.click(f"table.disputes a:text('{dispute_code}')")
        page.fill("#status-note", "Student certificate recorded; cover restored.")
        page.click("#action-resolve")
        expect(page.locator("#dispute-status")).to_have_text("Resolved")
        expect(page.locator("#sms-status")).to_contain_text("sent to the insured person by SMS")
        resolution = page.locator("#resolution table.answers")
        expect(resolution).to_contain_text("Eligible")
        new_code = resolution.locator(".code").inner_text()
        assert new_code != gateway.son_code
        page.screenshot(path=artifacts / "06-dispute-resolved-sms-sent.png", full_page=True)

        # The fake Twilio caught the SMS: to the principal's phone on file, in Persian.
        (sms,) = [p for p in twilio.posts if p["To"] == REZAEI_PHONE]
        assert "درخواست" in sms["Body"]
        assert dispute_code.translate(PERSIAN_DIGITS) in sms["Body"]
        assert new_code.translate(PERSIAN_DIGITS) in sms["Body"]
        assert "دارای اعتبار" in sms["Body"]
        expect(page.locator("#sms-status")).to_contain_text(twilio.created[-1])

        # An agent cannot open supervisor pages.
        response = page.goto(gateway.base + "/console/dashboard")
        assert response is not None and response.status == 403
        expect(page.locator("[role=alert]")).to_contain_text("for supervisors")
        page.screenshot(path=artifacts / "07-agent-refused-dashboard.png", full_page=True)
        page.click("#sign-out")
        expect(page.locator("#password")).to_be_visible()
    finally:
        context.close()

    # The next inquiry, by the pharmacy on its portal, says eligible.
    context = _context(browser)
    page = context.new_page()
    try:
        page.goto(gateway.base + "/portal/")
        page.fill("#api_key", DEMO_PROVIDER_KEY)
        page.click("form[action='/portal/signin'] button")
        page.fill("#national_id", son_id)
        page.click("form[action='/portal/inquiries'] button[type=submit]")
        page.wait_for_url(re.compile(r"/portal/answers/\d{12}$"))
        expect(page.locator(".answer .status")).to_contain_text("Eligible")
        page.screenshot(path=artifacts / "08-next-inquiry-eligible.png", full_page=True)
    finally:
        context.close()

    # A supervisor: the dashboard, and the agent's look-ups in the access log.
    context = _context(browser)
    page = context.new_page()
    try:
        _sign_in(page, gateway.base, SUPERVISOR, SUPERVISOR_PASSWORD)
        page.click("nav a[href='/console/dashboard']")
        expect(page.locator("#open-disputes")).to_have_text("0")
        expect(page.locator("#reported-checks")).to_have_text("1")
        expect(page.locator("svg")).not_to_have_count(0)
        expect(page.locator("#channel-totals")).to_contain_text("provider portal")
        expect(page.locator("#channel-totals")).to_contain_text("console")
        page.screenshot(path=artifacts / "09-supervisor-dashboard.png", full_page=True)

        # The reported check: listed with the provider and the masked member, one click away
        # from a dispute about it.
        page.click("nav a[href='/console/reports']")
        report = page.locator("table.reports tr.report")
        expect(report).to_have_count(1)
        expect(report).to_contain_text("Demo Pharmacy")
        expect(report).to_contain_text("Arman Ahmadi")
        expect(report).to_contain_text(gateway.reported_code)
        expect(report.locator(".nid")).to_have_text("******" + gateway.ids["ahmadi-son"][-4:])
        page.screenshot(path=artifacts / "09b-reported-checks.png", full_page=True)
        report.locator("button.open-report-dispute").click()
        page.wait_for_url(re.compile(r"/console/disputes/\d{8}$"))
        expect(page.locator("#dispute-status")).to_have_text("Received")
        expect(page.locator("#dispute-person")).to_contain_text("Arman Ahmadi")
        expect(page.locator("dd.summary")).to_contain_text("did not ask for the check")
        page.screenshot(path=artifacts / "09c-dispute-from-report.png", full_page=True)
        page.click("nav a[href='/console/access-log']")
        page.fill("#person", son_id)
        page.click("#access-filter")
        rows = page.locator("table.access tbody tr")
        expect(rows.first).to_contain_text(AGENT)
        actions = rows.locator(".action").all_inner_texts()
        assert {"search results", "record opened", "dispute"} <= set(actions), actions
        page.screenshot(path=artifacts / "10-access-log.png", full_page=True)

        # In Persian: right to left; and on a phone.
        page.goto(gateway.base + "/console/disputes?status=all")
        page.click(".languages button[lang=fa]")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.click(f"table.disputes a.dispute-code:text('{dispute_code}')")
        expect(page.locator("#dispute-status")).to_have_text("رسیدگی‌شده")
        page.screenshot(path=artifacts / "11-dispute-persian.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.click("#dispute-person")
        page.screenshot(path=artifacts / "12-record-persian-phone.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the record scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
