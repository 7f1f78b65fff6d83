"""What the reminder tests share: registry rows whose cover ends on chosen days, a fake
Twilio and a fake Bot API served on their own loop (for gateway processes), the settings."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from eligibility_gw.ports import RegistryRow
from tests.channels.sms.support import FakeTwilio, twilio_settings
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.conftest import ir_id

PRINCIPAL_PHONE = "+989121230000"


def phone_of(n: int) -> str:
    """The ``n``-th test principal's phone."""
    return f"+98912123{n:04d}"


def principal_row(
    n: int,
    *,
    cover_end: date = date(2030, 12, 31),
    phone: str | None = None,
    given: str = "Kamran",
) -> RegistryRow:
    """A covered principal (the ``n``-th), with a phone of their own by default."""
    return RegistryRow(
        national_id=ir_id(n),
        given_name=given,
        family_name="Sadeghi",
        birth_date=date(1975, 4, 2),
        sex="M",
        phone=phone if phone is not None else phone_of(n),
        relationship="self",
        principal_id=None,
        cover_start=date(2020, 1, 1),
        cover_end=cover_end,
        marital_status="married",
        student_until=None,
        birth_certificate_seen=None,
        disabled=False,
        has_income=False,
        other_insurer=None,
    )


def son_row(
    n: int,
    principal: int,
    last_day: date,
    *,
    student_until: date | None = None,
    phone: str | None = None,
    given: str = "Arash",
) -> RegistryRow:
    """A son whose cover ends after ``last_day``: he turns 19 the next day (without a
    certificate), or, with ``student_until``, was born 20 years before."""
    first = last_day + timedelta(days=1)
    born = first.replace(year=first.year - 19) if student_until is None else date(2005, 5, 5)
    return RegistryRow(
        national_id=ir_id(n),
        given_name=given,
        family_name="Sadeghi",
        birth_date=born,
        sex="M",
        phone=phone,
        relationship="child",
        principal_id=ir_id(principal),
        cover_start=None,
        cover_end=None,
        marital_status="single",
        student_until=student_until,
        birth_certificate_seen=None,
        disabled=False,
        has_income=False,
        other_insurer=None,
    )


def families_ending(start: int, count: int, last_day: date) -> list[RegistryRow]:
    """``count`` families, each with a son whose cover ends after ``last_day``."""
    rows: list[RegistryRow] = []
    for i in range(count):
        head = start + 2 * i
        rows += [principal_row(head), son_row(head + 1, head, last_day)]
    return rows


@dataclass
class Served:
    """Fakes of Twilio and the Bot API, listening on 127.0.0.1 from a thread of their own."""

    twilio: FakeTwilio
    bot: FakeBotApi
    twilio_url: str
    bot_url: str


@contextmanager
def served_fakes(bot_token: str) -> Iterator[Served]:
    """Serve both fakes on a loop of their own (gateway processes reach them too)."""
    twilio = FakeTwilio()
    bot = FakeBotApi(bot_token)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runners = [web.AppRunner(twilio.app()), web.AppRunner(bot.app())]
    urls: list[str] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        for runner in runners:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            urls.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        ready.set()
        loop.run_forever()
        for runner in runners:
            loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="reminder-fakes", daemon=True)
    thread.start()
    assert ready.wait(10), "the fakes did not start"
    twilio.base_url = urls[0]
    try:
        yield Served(twilio, bot, urls[0], urls[1])
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def reminder_options(
    twilio_url: str,
    *,
    quiet_hours: str = "",
    per_run: int = 5000,
    bot_url: str | None = None,
    token_env: str = "EGW_TEST_TELEGRAM_TOKEN",  # noqa: S107 (a variable's name)
    languages: tuple[str, ...] = ("fa", "en"),
) -> dict[str, Any]:
    """``make_gateway`` options: Twilio at ``twilio_url``, the Telegram bot's API at
    ``bot_url`` (the channel itself off: only the core's sender speaks to it)."""
    channels: dict[str, dict[str, Any]] = {"telegram": {"enabled": False}}
    if bot_url is not None:
        channels["telegram"] = {"token_env": token_env, "api_base_url": f"{bot_url}/bot"}
    return {
        "twilio": twilio_settings(twilio_url),
        "languages": languages,
        "channels": channels,
        "extra": {"reminders": {"quiet_hours": quiet_hours, "per_run": per_run}},
    }
