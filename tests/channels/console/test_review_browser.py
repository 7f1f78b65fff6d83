"""A document sent from a phone, end to end, with a real browser: Debian's Chromium under
Playwright.

The gateway runs as ``python -m eligibility_gw serve`` over a seeded SQLite file; its
Telegram channel and its outbound SMS talk to fakes of the Bot API and of Twilio served from
this test process. The father's chat shares his number, sends a photo of his son's student
certificate and taps the son's button: the real python-telegram-bot handlers fetch the file
from the fake Bot API (``getFile``, then the file) and queue it. An agent finds it in the
review queue, sees it beside the son (not covered today), accepts it with its valid-until
date; the father is told on Telegram with a fresh tracking code, and the pharmacy's next
inquiry says eligible. Screenshots go to ``tests/artifacts/console/``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.demo import DEMO_PROVIDER_KEY
from eligibility_gw.settings import load_settings
from tests.channels.browser import BROWSER_MARKS, chromium, free_port, serve_gateway
from tests.channels.console.support import AGENT, AGENT_PASSWORD, SON, add_staff, to_toml
from tests.channels.sms.support import TOKEN as TWILIO_TOKEN
from tests.channels.sms.support import twilio_settings
from tests.gateway import seed
from tests.integration.reminder_support import Served, served_fakes
from tests.integration.upload_samples import png

pytestmark = BROWSER_MARKS

BOT_TOKEN = "8080:browser-review-token"
SECRET = "browser-review-secret"
TOKEN_ENV = "EGW_REVIEW_BOT_TOKEN"
SECRET_ENV = "EGW_REVIEW_BOT_SECRET"
FATHER = "+989121110001"
CHAT = 515_151
_ids = itertools.count(1)


@dataclass(frozen=True)
class Running:
    """The gateway process and what the test knows of it."""

    base: str
    son_id: str
    today: date
    fakes: Served


@pytest.fixture(scope="module")
def fakes() -> Iterator[Served]:
    with served_fakes(BOT_TOKEN) as served:
        yield served


async def _seed(config: Path) -> tuple[str, date]:
    gateway = await open_gateway(load_settings(config))
    try:
        people = await seed(gateway)
        await add_staff(gateway.store.casework)
        return people[SON].row.national_id, gateway.settings.today()
    finally:
        await gateway.close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, fakes: Served) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("review-browser")
    port = free_port()
    config = folder / "gateway.toml"
    data = {
        "gateway": {"rule_pack": "ir-tamin", "time_zone": "Asia/Tehran", "languages": ["en", "fa"]},
        "store": {"url": f"sqlite:///{folder / 'review.sqlite3'}"},
        "server": {
            "host": "127.0.0.1",
            "port": port,
            "public_base_url": f"http://127.0.0.1:{port}",
        },
        "twilio": twilio_settings(fakes.twilio_url),
        "channels": {
            "telegram": {
                "token_env": TOKEN_ENV,
                "secret_env": SECRET_ENV,
                "api_base_url": f"{fakes.bot_url}/bot",
                "api_file_base_url": f"{fakes.bot_url}/file/bot",
            }
        },
    }
    config.write_text(to_toml(data), "utf-8")
    env = {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN, TOKEN_ENV: BOT_TOKEN, SECRET_ENV: SECRET}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        son_id, today = asyncio.run(_seed(config))
    with serve_gateway(config, port, folder / "gateway.log", env) as base:
        yield Running(base, son_id, today, fakes)


def _update(**message: Any) -> dict[str, Any]:
    sender = {"id": CHAT, "is_bot": False, "first_name": "Ali", "language_code": "en"}
    n = next(_ids)
    if "callback" in message:
        return {
            "update_id": n,
            "callback_query": {
                "id": f"cq{n}",
                "from": sender,
                "chat_instance": "ci",
                "data": message["callback"],
                "message": {
                    "message_id": 900 + n,
                    "date": int(time.time()),
                    "chat": {"id": CHAT, "type": "private"},
                    "text": "…",
                },
            },
        }
    return {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": CHAT, "type": "private"},
            "from": sender,
            **message,
        },
    }


def _post(base: str, update: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 (our own gateway on 127.0.0.1)
        base + "/channels/telegram/webhook",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", SECRET_HEADER: SECRET},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        assert response.status == 200


def _api_inquiry(base: str, national_id: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310
        base + "/api/v1/inquiries",
        data=json.dumps({"national_id": national_id}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {DEMO_PROVIDER_KEY}",
            "Accept-Language": "en",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        found: dict[str, Any] = json.loads(response.read())
        return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_photo_sent_on_telegram_is_accepted_in_the_console(
    gateway: Running, browser: Browser, pytestconfig: pytest.Config
) -> None:
    artifacts = pytestconfig.rootpath / "tests" / "artifacts" / "console"
    artifacts.mkdir(parents=True, exist_ok=True)
    bot = gateway.fakes.bot
    assert _api_inquiry(gateway.base, gateway.son_id)["status"] == "not_eligible"

    # The father links his chat, sends the photo, and taps his son's button.
    _post(
        gateway.base,
        _update(contact={"phone_number": FATHER[1:], "user_id": CHAT, "first_name": "Ali"}),
    )
    photo = png(width=480, height=320, seed=4)
    bot.add_file("certificate-photo", photo)
    sizes = [
        {"file_id": "certificate-thumb", "file_unique_id": "t", "width": 90, "height": 60},
        {"file_id": "certificate-photo", "file_unique_id": "p", "width": 480, "height": 320},
    ]
    mark = len(bot.calls)
    _post(gateway.base, _update(photo=sizes))
    [question] = [c for c in bot.since(mark) if c.method == "sendMessage"]
    assert question.text == "Whose document is this? Choose below."
    buttons = {label.split(" (")[0]: data for row in question.inline() for label, data in row}
    mark = len(bot.calls)
    _post(gateway.base, _update(callback=buttons["Hamid"]))
    calls = bot.since(mark)
    assert [c.method for c in calls][:1] == ["getFile"]
    assert bot.downloads == ["certificate-photo"]  # fetched through PTB from the fake
    [received] = [c for c in calls if c.method == "sendMessage"]
    assert received.text.startswith("Received: the document for Hamid")

    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(gateway.base + "/console/")
        page.fill("#username", AGENT)
        page.fill("#password", AGENT_PASSWORD)
        page.click("form[action='/console/signin'] button")
        page.click("#nav-uploads")
        queue = page.locator("#upload-queue tbody tr")
        expect(queue).to_have_count(1)
        expect(queue).to_contain_text("Hamid Rezaei")
        expect(queue).to_contain_text("Telegram")
        expect(queue.locator(".nid")).to_have_text("******" + gateway.son_id[-4:])
        page.screenshot(path=artifacts / "11-review-queue.png", full_page=True)

        queue.locator("a.open-upload").click()
        image = page.locator("#upload-image")
        expect(image).to_be_visible()
        # The file is served to the signed-in agent, and is the photo the father sent.
        page.wait_for_function("document.querySelector('#upload-image').complete")
        assert page.evaluate("document.querySelector('#upload-image').naturalWidth") == 480
        focus = page.locator("table.members tr.focus")
        expect(focus).to_contain_text("Hamid Rezaei")
        expect(focus).to_contain_text("Not eligible")
        expect(page.locator("#accept-kind")).to_have_value("student_certificate")
        page.screenshot(path=artifacts / "12-review-document-beside-member.png", full_page=True)

        until = (gateway.today + timedelta(days=300)).isoformat()
        page.fill("#accept-valid-until", until)
        page.click("#accept-upload")
        expect(page.locator("#upload-saved")).to_contain_text("Accepted")
        expect(page.locator("#upload-status")).to_have_text("accepted")
        expect(page.locator("table.members tr.focus")).to_contain_text("Eligible")
        code = page.locator("#upload-tracking-code").inner_text()
        assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code), code
        page.screenshot(path=artifacts / "13-review-accepted.png", full_page=True)
    finally:
        context.close()

    # The father is told on Telegram, with the fresh tracking code; nothing went by SMS.
    told = [c for c in bot.sent() if c.params.get("chat_id") == CHAT and code in c.text]
    assert len(told) == 1 and "accepted" in told[0].text
    assert gateway.fakes.twilio.posts == []
    # The pharmacy's next answer: eligible.
    assert _api_inquiry(gateway.base, gateway.son_id)["status"] == "eligible"
