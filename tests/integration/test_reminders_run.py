"""Reminder runs on real stores: milestones over the days, repetition, concurrency, quiet
hours, the per-run limit, failures, languages and routes (SMS, Telegram).

Outbound SMS goes to a fake of Twilio's REST API, Telegram messages to a fake Bot API; the
store keeps what was claimed and sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.ports.chats import Binding
from eligibility_gw.ports.reminders import ReminderStatus
from eligibility_gw.reminders import REMINDER_PURPOSE, Reminders, RunSummary, in_quiet_hours
from eligibility_gw.settings import clock_time
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.wording import Wording
from tests.channels.sms.support import TOKEN, FakeTwilio
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.conftest import MakeGateway, ir_id
from tests.contract.stores import postgres_reachable
from tests.gateway import TestGateway
from tests.integration.reminder_support import (
    families_ending,
    phone_of,
    principal_row,
    reminder_options,
    son_row,
)

DAY = date(2026, 11, 23)
BOT_TOKEN = "424242:reminder-test-token"
BOT_ENV = "EGW_TEST_TELEGRAM_TOKEN"
STORES = [
    "sqlite",
    "memory",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL on 5432"),
    ),
]
SQL_STORES = [s for s in STORES if s != "memory"]


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv(BOT_ENV, BOT_TOKEN)


@pytest.fixture
def fake_twilio() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
async def twilio_url(aiohttp_server: AiohttpServer, fake_twilio: FakeTwilio) -> str:
    server: TestServer = await aiohttp_server(fake_twilio.app())
    fake_twilio.base_url = str(server.make_url("")).rstrip("/")
    return fake_twilio.base_url


@pytest.fixture
def fake_bot() -> FakeBotApi:
    return FakeBotApi(BOT_TOKEN)


@pytest.fixture
async def bot_url(aiohttp_server: AiohttpServer, fake_bot: FakeBotApi) -> str:
    server: TestServer = await aiohttp_server(fake_bot.app())
    return str(server.make_url("")).rstrip("/")


async def start(
    make_gateway: MakeGateway, twilio_url: str, store: str = "sqlite", **kw: Any
) -> TestGateway:
    options = reminder_options(twilio_url, **kw)
    return await make_gateway(store=store, seed_demo=False, **options)


def reminders_of(test: TestGateway, clock: Callable[[], datetime] | None = None) -> Reminders:
    """The gateway's reminders, or the same over a clock of the test's own."""
    found = test.gateway.reminders
    assert found is not None
    if clock is None:
        return found
    g = test.gateway
    return Reminders(
        g.settings.reminders,
        g.pack,
        g.store.reminders,
        g.store.chats,
        g.service,
        g.sms_sender,
        g.chat_sender,
        g.settings.tz,
        g.settings.default_language,
        sms_uploads=True,
        clock=clock,
    )


async def run(test: TestGateway, day: date, **kw: Any) -> RunSummary:
    summary = await reminders_of(test).run(day, **kw)
    assert test.gateway.sms_sender is not None
    await test.gateway.sms_sender.drain()
    return summary


def sent_to(twilio: FakeTwilio) -> list[str]:
    return [p["To"] for p in twilio.posts]


@pytest.mark.parametrize("store", STORES)
async def test_one_message_per_milestone_over_the_days(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio, store: str
) -> None:
    test = await start(make_gateway, twilio_url, store)
    last_day = DAY + timedelta(days=30)
    await test.store.registry.upsert_rows(families_ending(100, 1, last_day))
    phone = phone_of(100)
    expected = {
        -1: 0,  # 31 days before: nothing yet
        0: 1,  # 30 days before: the first reminder
        1: 0,  # 29 days before: sent already
        22: 0,  # 8 days before
        23: 1,  # 7 days before: the second
        29: 0,  # the day before the last covered day
        30: 1,  # the last covered day itself: the third
        31: 0,  # cover has ended: nothing more
    }
    for offset, count in expected.items():
        before = len(fake_twilio.posts)
        summary = await run(test, DAY + timedelta(days=offset))
        assert summary.sent == count, offset
        assert len(fake_twilio.posts) - before == count, offset
    assert sent_to(fake_twilio) == [phone] * 3
    kept = await test.store.reminders.reminders_about(ir_id(101))
    assert sorted(r.key.milestone for r in kept) == [0, 7, 30]
    assert {r.status for r in kept} == {ReminderStatus.SENT}
    assert {r.reference for r in kept} == set(fake_twilio.created)
    assert all("Arash Sadeghi" in p["Body"] for p in fake_twilio.posts)
    assert sorted(r.run_day for r in kept) == [DAY, DAY + timedelta(days=23), last_day]
    per_day = await test.store.reminders.sent_per_day(DAY, last_day)
    assert per_day == {DAY: 1, DAY + timedelta(days=23): 1, last_day: 1}
    outbound = await test.store.sms.latest_outbound(
        phone, REMINDER_PURPOSE, datetime(2000, 1, 1, tzinfo=UTC)
    )
    assert outbound is not None


@pytest.mark.parametrize("store", STORES)
async def test_a_run_repeated_the_same_day_sends_nothing_twice(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio, store: str
) -> None:
    test = await start(make_gateway, twilio_url, store)
    await test.store.registry.upsert_rows(families_ending(200, 5, DAY + timedelta(days=7)))
    first = await run(test, DAY)
    second = await run(test, DAY)
    assert (first.sent, first.skipped) == (5, 0)
    assert (second.sent, second.skipped) == (0, 5)
    assert len(fake_twilio.posts) == 5
    assert len(set(sent_to(fake_twilio))) == 5


@pytest.mark.parametrize("store", SQL_STORES)
async def test_two_gateways_running_at_once_send_each_reminder_once(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio, store: str
) -> None:
    test = await start(make_gateway, twilio_url, store)
    await test.store.registry.upsert_rows(families_ending(300, 40, DAY + timedelta(days=7)))
    fake_twilio.delay = 0.005  # sends take a while: both runs are mid-way at once
    other = await open_gateway(test.settings)  # a second process's own connections
    try:
        assert other.reminders is not None and other.sms_sender is not None
        mine = reminders_of(test)
        a, b = await asyncio.gather(mine.run(DAY), other.reminders.run(DAY))
        await other.sms_sender.drain()
    finally:
        await other.close()
    assert a.sent + b.sent == 40
    assert a.skipped + b.skipped == 40
    assert a.sent > 0 and b.sent > 0  # both really ran over the same keys
    assert sorted(sent_to(fake_twilio)) == sorted(phone_of(300 + 2 * i) for i in range(40))


def test_quiet_hours_cross_midnight() -> None:
    quiet = (clock_time("21:00", "t"), clock_time("08:00", "t"))
    assert in_quiet_hours(clock_time("21:00", "t"), quiet)
    assert in_quiet_hours(clock_time("23:59", "t"), quiet)
    assert in_quiet_hours(clock_time("07:59", "t"), quiet)
    assert not in_quiet_hours(clock_time("08:00", "t"), quiet)
    assert not in_quiet_hours(clock_time("20:59", "t"), quiet)
    day = (clock_time("13:00", "t"), clock_time("14:00", "t"))
    assert in_quiet_hours(clock_time("13:30", "t"), day)
    assert not in_quiet_hours(clock_time("12:59", "t"), day)
    assert not in_quiet_hours(clock_time("03:00", "t"), None)


def tehran(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A moment of ``day`` on Tehran's clock (UTC+03:30, no summer time since 2022)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(
        hours=3, minutes=30
    )


@pytest.mark.parametrize(
    ("moment", "sent"),
    [
        (tehran(21, 0), 0),
        (tehran(2, 30), 0),
        (tehran(7, 59), 0),
        (tehran(8, 0), 3),
        (tehran(20, 59), 3),
    ],
)
async def test_quiet_hours_in_the_deployments_time_zone(
    make_gateway: MakeGateway,
    twilio_url: str,
    fake_twilio: FakeTwilio,
    moment: datetime,
    sent: int,
) -> None:
    test = await start(make_gateway, twilio_url, "memory", quiet_hours="21:00-08:00")
    await test.store.registry.upsert_rows(families_ending(400, 3, DAY + timedelta(days=7)))
    summary = await reminders_of(test, lambda: moment).run(DAY)
    assert summary.sent == sent
    assert len(fake_twilio.posts) == sent
    if not sent:
        assert summary.stopped == "quiet_hours"
        assert "quiet hours" in summary.line()


async def test_a_run_stops_when_quiet_hours_begin(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio
) -> None:
    test = await start(make_gateway, twilio_url, "memory", quiet_hours="21:00-08:00")
    await test.store.registry.upsert_rows(families_ending(500, 4, DAY + timedelta(days=7)))
    # The clock is read once when the run starts and once before each send: 20:59 for the
    # start and the first two sends, 21:00 from then on.
    readings = iter([tehran(20, 59)] * 3)

    def clock() -> datetime:
        return next(readings, tehran(21, 0))

    summary = await reminders_of(test, clock).run(DAY)
    assert (summary.sent, summary.deferred, summary.stopped) == (2, 2, "quiet_hours")
    later = await reminders_of(test, lambda: tehran(8, 0, DAY + timedelta(days=1))).run(
        DAY + timedelta(days=1)
    )
    assert (later.sent, later.skipped) == (2, 2)
    assert len(set(sent_to(fake_twilio))) == 4 == len(fake_twilio.posts)


async def test_the_per_run_limit_leaves_the_rest_for_the_next_run(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio
) -> None:
    test = await start(make_gateway, twilio_url, "sqlite", per_run=3)
    await test.store.registry.upsert_rows(families_ending(600, 5, DAY + timedelta(days=7)))
    first = await run(test, DAY)
    assert (first.sent, first.deferred, first.stopped) == (3, 2, "limit")
    assert "per-run limit" in first.line()
    second = await run(test, DAY)
    assert (second.sent, second.skipped) == (2, 3)
    # Reminders sent already take none of a run's sends: nothing is left to stop for.
    third = await run(test, DAY, limit=1)
    assert (third.sent, third.skipped, third.stopped) == (0, 5, None)
    assert len(fake_twilio.posts) == 5


async def test_a_failed_send_is_tried_again_by_the_next_run(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio
) -> None:
    test = await start(make_gateway, twilio_url, "sqlite")
    await test.store.registry.upsert_rows(families_ending(700, 1, DAY + timedelta(days=7)))
    fake_twilio.fail_with = [400]  # refused outright: not retried within the run
    first = await run(test, DAY)
    assert (first.sent, first.failed) == (0, 1)
    [kept] = await test.store.reminders.reminders_about(ir_id(701))
    assert (kept.status, kept.problem, kept.attempts) == (ReminderStatus.FAILED, "SmsSendError", 1)
    second = await run(test, DAY)
    assert (second.sent, second.failed) == (1, 0)
    [kept] = await test.store.reminders.reminders_about(ir_id(701))
    assert (kept.status, kept.attempts) == (ReminderStatus.SENT, 2)
    assert len(fake_twilio.created) == 1


@pytest.mark.parametrize(("languages", "language"), [(("fa", "en"), "fa"), (("en", "fa"), "en")])
async def test_sms_reminders_in_the_deployments_language(
    make_gateway: MakeGateway,
    twilio_url: str,
    fake_twilio: FakeTwilio,
    languages: tuple[str, ...],
    language: str,
) -> None:
    test = await start(make_gateway, twilio_url, "memory", languages=languages)
    last_day = DAY + timedelta(days=7)
    await test.store.registry.upsert_rows(families_ending(800, 1, last_day))
    await run(test, DAY)
    [post] = fake_twilio.posts
    body = post["Body"]
    w = Wording(language)
    # Who, from when, why, the document and how to send it.
    assert body.startswith(("Arash Sadeghi: ", "Arash: "))
    assert w.date(last_day + timedelta(days=1)) in body
    assert (
        w.n("reminder.why.age", 19, age=w.digits("19"), document=w.document("student_certificate"))
        in body
    )
    assert w.document("student_certificate") in body
    if language == "en":
        assert "reply with a photo" in body.lower()
        assert sms_segments(body) == 1  # one SMS where it fits: English does
    else:
        assert "عکس" in body
        assert sms_segments(body) <= 2


async def test_a_phone_bound_to_a_chat_is_told_on_telegram_in_the_chats_language(
    make_gateway: MakeGateway,
    twilio_url: str,
    fake_twilio: FakeTwilio,
    bot_url: str,
    fake_bot: FakeBotApi,
) -> None:
    test = await start(make_gateway, twilio_url, "sqlite", bot_url=bot_url)
    await test.store.registry.upsert_rows(families_ending(900, 2, DAY + timedelta(days=30)))
    chat = 55_000_001
    bound = datetime(2026, 1, 1, tzinfo=UTC)
    await test.store.chats.bind(Binding(chat, chat, phone_of(900), "en", bound))
    summary = await run(test, DAY)
    assert summary.sent == 2
    [message] = fake_bot.sent()
    assert message.params["chat_id"] == chat
    text = message.text
    assert text.startswith("Arash Sadeghi: no cover from ")
    assert "send a photo or PDF of a valid student certificate here" in text
    # The other family has no chat: by SMS, in the deployment's first language (Persian).
    [post] = fake_twilio.posts
    assert post["To"] == phone_of(902)
    kept = await test.store.reminders.reminders_about(ir_id(901))
    assert [(r.channel, r.language) for r in kept] == [("telegram", "en")]


async def test_telegram_failure_is_recorded_and_retried(
    make_gateway: MakeGateway,
    twilio_url: str,
    bot_url: str,
    fake_bot: FakeBotApi,
) -> None:
    test = await start(make_gateway, twilio_url, "memory", bot_url=bot_url)
    await test.store.registry.upsert_rows(families_ending(950, 1, DAY + timedelta(days=7)))
    await test.store.chats.bind(
        Binding(77, 77, phone_of(950), "fa", datetime(2026, 1, 1, tzinfo=UTC))
    )
    fake_bot.failing.add("sendMessage")
    first = await run(test, DAY)
    assert (first.sent, first.failed) == (0, 1)
    fake_bot.failing.clear()
    second = await run(test, DAY)
    assert second.sent == 1
    [_, delivered] = fake_bot.sent()
    assert "۱۹" in delivered.text  # Persian, as the chat chose


async def test_no_sms_sender_fails_without_claiming(
    make_gateway: MakeGateway, tmp_path: Path
) -> None:
    test = await make_gateway(
        store="memory", seed_demo=False, extra={"reminders": {"quiet_hours": ""}}
    )
    await test.store.registry.upsert_rows(families_ending(980, 1, DAY + timedelta(days=7)))
    reminders = reminders_of(test)
    summary = await reminders.run(DAY)
    assert (summary.sent, summary.failed, summary.unsendable) == (0, 1, 1)
    assert "SMS sender" in summary.line()
    assert await test.store.reminders.reminders_about(ir_id(981)) == []
    dry = await reminders.run(DAY, dry_run=True)
    assert [p.reminder.national_id for p in dry.planned] == [ir_id(981)]


async def test_a_dry_run_lists_and_keeps_nothing(
    make_gateway: MakeGateway, twilio_url: str, fake_twilio: FakeTwilio
) -> None:
    test = await start(make_gateway, twilio_url, "sqlite", quiet_hours="00:00-23:59")
    await test.store.registry.upsert_rows(
        [
            principal_row(1000, cover_end=DAY + timedelta(days=7)),
            son_row(1001, 1000, DAY + timedelta(days=30), student_until=DAY + timedelta(days=30)),
        ]
    )
    # Within quiet hours a dry run still lists: it sends nothing anyway.
    summary = await reminders_of(test).run(DAY, dry_run=True)
    rules = sorted((p.reminder.ending.rule.value, p.reminder.milestone) for p in summary.planned)
    # The son's certificate would end after the principal's cover: only the principal's.
    assert rules == [("cover_period", 7)]
    assert fake_twilio.posts == []
    assert await test.store.reminders.reminders_about(ir_id(1000)) == []
    assert "would send" in summary.line()
