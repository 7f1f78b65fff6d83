"""The Twilio sender (``adapters/twilio``): Twilio's real async client against a local fake of
its REST API, every accepted message kept in ``SmsRecords``.

Through the gateway too: ``bootstrap`` builds it from ``[twilio]`` and closes it before the
store, so a message still being sent at shutdown is recorded on the store's own handle.
PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpServer

from eligibility_gw.adapters.memory.messages import MemorySmsRecords
from eligibility_gw.adapters.twilio import TwilioNotifier
from eligibility_gw.bootstrap import open_gateway, open_store
from eligibility_gw.ports.outbound import SmsNotConfigured, SmsSendError
from eligibility_gw.settings import TwilioSettings, parse_section
from tests.channels.sms.support import (
    ACCOUNT_SID,
    PUBLIC,
    SHORT_NUMBER,
    STATUS,
    TOKEN,
    FakeTwilio,
    twilio_settings,
)
from tests.contract.stores import postgres_reachable
from tests.gateway import gateway_settings

REZAEI = "+989121110001"
CALLBACK = PUBLIC + STATUS

#: ``make_notifier(**[twilio] overrides, token=TOKEN)``: a started sender over fresh records.
MakeNotifier = Callable[..., Awaitable[TwilioNotifier]]


@pytest.fixture
async def fake_twilio(aiohttp_server: AiohttpServer) -> FakeTwilio:
    """A fake of Twilio's REST API, listening on a local port."""
    fake = FakeTwilio()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
def records() -> MemorySmsRecords:
    return MemorySmsRecords()


@pytest.fixture
async def make_notifier(
    fake_twilio: FakeTwilio, records: MemorySmsRecords
) -> AsyncIterator[MakeNotifier]:
    started: list[TwilioNotifier] = []

    async def make(token: str | None = TOKEN, **overrides: object) -> TwilioNotifier:
        table = twilio_settings(fake_twilio.base_url, **overrides)
        settings = parse_section(TwilioSettings, table, "twilio")
        notifier = TwilioNotifier(settings, CALLBACK, token)
        await notifier.start(records)
        started.append(notifier)
        return notifier

    yield make
    for notifier in started:
        await notifier.close()


async def test_send_posts_the_form_twilio_expects(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio, records: MemorySmsRecords
) -> None:
    notifier = await make_notifier()
    sent = await notifier.send(REZAEI, "سلام: your reminder", "reminder", reference="ref-1")
    assert sent.attempts == 1
    assert sent.status == "queued"
    assert sent.message_sid == fake_twilio.created[0]
    (posted,) = fake_twilio.posts
    assert posted == {
        "To": REZAEI,
        "From": SHORT_NUMBER,
        "Body": "سلام: your reminder",
        "StatusCallback": CALLBACK,
    }
    assert fake_twilio.accounts == [ACCOUNT_SID]
    basic = base64.b64encode(f"{ACCOUNT_SID}:{TOKEN}".encode()).decode()
    assert fake_twilio.authorizations == [f"Basic {basic}"]
    stored = await records.outbound(sent.message_sid)
    assert stored is not None
    assert (stored.to_phone, stored.purpose, stored.reference) == (REZAEI, "reminder", "ref-1")
    assert (stored.status, stored.attempts) == ("queued", 1)


@pytest.mark.parametrize(
    ("failures", "attempts"),
    [([503], 2), ([429, 500], 3), ([502, 504], 3)],
    ids=["503-then-ok", "429-500-then-ok", "502-504-then-ok"],
)
async def test_transient_failures_are_retried(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio, failures: list[int], attempts: int
) -> None:
    fake_twilio.fail_with = list(failures)
    sent = await (await make_notifier()).send(REZAEI, "hello", "reminder")
    assert sent.attempts == attempts
    assert len(fake_twilio.posts) == attempts
    assert all(p == fake_twilio.posts[0] for p in fake_twilio.posts)


async def test_a_refusal_is_not_retried(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio, records: MemorySmsRecords
) -> None:
    fake_twilio.fail_with = [400]
    with pytest.raises(SmsSendError) as caught:
        await (await make_notifier()).send("+15005550001", "hello", "reminder")
    assert caught.value.status == 400
    assert len(fake_twilio.posts) == 1
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert await records.latest_outbound("+15005550001", "reminder", since) is None


async def test_retries_give_up(make_notifier: MakeNotifier, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_with = [503, 503, 503, 503]
    with pytest.raises(SmsSendError) as caught:
        await (await make_notifier()).send(REZAEI, "hello", "reminder")
    assert caught.value.status == 503
    assert len(fake_twilio.posts) == 3


async def test_each_attempt_has_a_deadline(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio
) -> None:
    # A deadline of a second (none shorter in tests), against a fake that never answers in time.
    notifier = await make_notifier(send_timeout_ms=1000, send_attempts=2)
    fake_twilio.delay = 5.0
    with pytest.raises(SmsSendError) as caught:
        await notifier.send(REZAEI, "hello", "reminder")
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert len(fake_twilio.posts) == 2


async def test_unreachable_api_is_retried_then_fails(make_notifier: MakeNotifier) -> None:
    notifier = await make_notifier(api_base_url="http://127.0.0.1:9", send_attempts=2)
    with pytest.raises(SmsSendError):
        await notifier.send(REZAEI, "hello", "reminder")


async def test_messaging_service_as_sender(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio
) -> None:
    service = "MG" + "3" * 32
    notifier = await make_notifier(from_number="", messaging_service_sid=service)
    await notifier.send(REZAEI, "hello", "reminder")
    assert fake_twilio.posts[0]["MessagingServiceSid"] == service
    assert "From" not in fake_twilio.posts[0]


@pytest.mark.parametrize(
    ("overrides", "token"),
    [({"account_sid": ""}, TOKEN), ({"from_number": ""}, TOKEN), ({}, None)],
    ids=["no-account", "no-sender", "no-token"],
)
async def test_not_configured_says_so(
    make_notifier: MakeNotifier, overrides: dict[str, object], token: str | None
) -> None:
    notifier = await make_notifier(token=token, **overrides)
    assert not notifier.ready
    with pytest.raises(SmsNotConfigured):
        await notifier.send(REZAEI, "hello", "reminder")


async def test_send_later_is_drained(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio, records: MemorySmsRecords
) -> None:
    notifier = await make_notifier()
    fake_twilio.delay = 0.05
    notifier.send_later(REZAEI, "hello", "check_notice", "ref-2")
    assert fake_twilio.created == []  # nobody waited for it
    await notifier.drain()
    (sid,) = fake_twilio.created
    stored = await records.outbound(sid)
    assert stored is not None and stored.reference == "ref-2"


async def test_region_and_edge_settings_still_reach_the_fake(
    make_notifier: MakeNotifier, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio's client rewrites its host for TWILIO_REGION/TWILIO_EDGE: tests stay local."""
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    await (await make_notifier()).send(REZAEI, "hello", "reminder")
    assert len(fake_twilio.posts) == 1


# -- through the gateway ----------------------------------------------------------------------


async def _store_url(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'g.sqlite3'}"
        return
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    from tests.contract.stores import drop_postgres_schemas, fresh_postgres_url

    url, schema = await fresh_postgres_url()
    try:
        yield url
    finally:
        await drop_postgres_schemas([schema])


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async for url in _store_url(str(request.param), tmp_path):
        yield url


async def test_a_send_queued_at_shutdown_is_recorded(
    store_url: str, fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender closes before the store: a message still in flight is kept on its file or
    in its schema, not lost with a closed pool."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    settings = gateway_settings(store_url, twilio=twilio_settings(fake_twilio.base_url))
    fake_twilio.delay = 0.3  # still sending when the gateway is told to stop
    gateway = await open_gateway(settings)
    assert gateway.sms_sender is not None and gateway.sms_sender.ready
    started = datetime.now(UTC) - timedelta(seconds=1)
    gateway.sms_sender.send_later(REZAEI, "hello", "check_notice", "ref-1")
    await gateway.close()  # drains the queued send, then closes the store

    store = await open_store(settings)
    try:
        found = await store.sms.latest_outbound(REZAEI, "check_notice", started)
    finally:
        await store.close()
    assert found is not None
    assert (found.message_sid, found.reference) == (fake_twilio.created[0], "ref-1")


async def test_the_gateway_sends_nothing_without_a_token(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    settings = gateway_settings("memory://", twilio=twilio_settings(fake_twilio.base_url))
    gateway = await open_gateway(settings)
    try:
        assert gateway.sms_sender is None
    finally:
        await gateway.close()
