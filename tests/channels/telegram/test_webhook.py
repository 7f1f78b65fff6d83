"""The webhook route: the secret, redelivered updates, malformed bodies, the channel switched
off, the Bot API unreachable at start-up, and failures answered in words."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from eligibility_gw.channels.telegram import bot
from eligibility_gw.channels.telegram.webhook import SECRET_HEADER
from eligibility_gw.settings import SettingsError
from eligibility_gw.wording import Wording
from tests.channels.telegram.conftest import MakeTelegram, MakeUser
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.helpers import logged_answers
from tests.channels.telegram.support import (
    ALI_PHONE,
    SECRET,
    SECRET_ENV,
    TOKEN_ENV,
    WEBHOOK,
    TelegramGateway,
    only_text,
)


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong-secret", SECRET + "x", SECRET[:-1], SECRET.upper()],
    ids=["missing", "empty", "wrong", "longer", "shorter", "other-case"],
)
async def test_a_wrong_secret_is_refused_with_403_and_nothing_is_sent(
    make_user: MakeUser, fake_api: FakeBotApi, secret: str | None
) -> None:
    user = make_user("en")
    mark = len(fake_api.calls)
    status = await user.post(user.message(text="/start"), secret=secret)
    assert status == 403
    assert fake_api.since(mark) == []


async def test_without_a_configured_secret_every_update_is_refused(
    make_telegram: MakeTelegram, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    tg = await make_telegram()
    user = tg.user()
    for secret in (None, "", SECRET):
        assert await user.post(user.message(text="/start"), secret=secret) == 403
    assert fake_api.sent() == []


async def test_a_malformed_secret_in_the_environment_stops_start_up(
    make_telegram: MakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "has spaces and ünïcode")
    with pytest.raises(SettingsError, match=SECRET_ENV):
        await make_telegram()


async def test_a_redelivered_update_is_answered_once(
    make_user: MakeUser, gateway: TelegramGateway, fake_api: FakeBotApi
) -> None:
    user = make_user("en")
    await user.share_contact(ALI_PHONE)
    update = user.message(
        text="/cover", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
    )
    assert await user.post(update) == 200
    assert len(user.last) == 1
    for _ in range(3):
        assert await user.post(update) == 200
        assert user.last == []
    assert await logged_answers(gateway) == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"message": {}}', "application/json"),
        (b'{"update_id": "7"}', "application/json"),
        (b'{"update_id": true}', "application/json"),
    ],
)
async def test_a_malformed_update_is_a_400(
    gateway: TelegramGateway, fake_api: FakeBotApi, body: bytes, content_type: str
) -> None:
    mark = len(fake_api.calls)
    response = await gateway.client.post(
        WEBHOOK, data=body, headers={SECRET_HEADER: SECRET, "Content-Type": content_type}
    )
    assert response.status == 400
    assert fake_api.since(mark) == []


async def test_an_update_of_no_interest_is_acknowledged_silently(
    gateway: TelegramGateway, fake_api: FakeBotApi
) -> None:
    mark = len(fake_api.calls)
    response = await gateway.client.post(
        WEBHOOK, json={"update_id": 99_999}, headers={SECRET_HEADER: SECRET}
    )
    assert response.status == 200
    assert fake_api.since(mark) == []


async def test_without_a_token_the_channel_is_off_and_says_so(
    make_telegram: MakeTelegram, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    with capture_logs() as logs:
        tg = await make_telegram()
    off = [e for e in logs if e["event"] == "telegram_channel_off"]
    assert off == [
        {"event": "telegram_channel_off", "log_level": "info", "reason": f"${TOKEN_ENV} is not set"}
    ]
    response = await tg.client.post(WEBHOOK, json={"update_id": 1}, headers={SECRET_HEADER: SECRET})
    assert response.status == 404
    assert fake_api.calls == []  # not even getMe


async def test_the_gateway_starts_while_the_bot_api_is_down_and_recovers(
    make_telegram: MakeTelegram, fake_api: FakeBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot, "RETRY_START_SECONDS", 0.0)
    fake_api.failing.add("getMe")
    with capture_logs() as logs:
        tg = await make_telegram()
    assert {"event": "telegram_unreachable", "error": "NetworkError", "log_level": "error"} in logs
    response = await tg.client.get("/healthz")
    assert response.status == 200
    user = tg.user()
    assert await user.post(user.message(text="hi")) == 503  # Telegram delivers it again later
    fake_api.failing.clear()
    assert await user.post(user.message(text="hi")) == 200
    assert only_text(user.last) == Wording("en").t("telegram.need_phone")


async def test_a_failure_is_answered_in_words(
    make_user: MakeUser, gateway: TelegramGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user("fa")
    await user.share_contact(ALI_PHONE)

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(gateway.test.gateway.service, "decide_for", broken)
    w = Wording("fa")
    with capture_logs() as logs:
        calls = await user.command("cover")
    assert only_text(calls) == w.t("telegram.error", hotline=w.digits("1420"))
    [failed] = [e for e in logs if e["event"] == "telegram_failed"]
    assert failed["error"] == "RuntimeError"
    # A tapped button is answered too, so its spinner stops.
    family = await user.command("family")
    calls = await user.tap(family[0].inline()[0][0][1])
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendMessage"]
    assert calls[1].text == w.t("telegram.error", hotline=w.digits("1420"))


async def test_when_telegram_refuses_a_message_the_webhook_still_answers(
    make_user: MakeUser, fake_api: FakeBotApi
) -> None:
    user = make_user("en")
    fake_api.failing.add("sendMessage")
    with capture_logs() as logs:
        assert await user.post(user.message(text="hello")) == 200
    events = [e["event"] for e in logs]
    assert "telegram_failed" in events
    assert "telegram_error_not_sent" in events
