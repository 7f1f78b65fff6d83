"""``[channels.telegram]``: knobs checked at start-up, and those that moved name their place."""

from __future__ import annotations

from typing import Any

import pytest

from eligibility_gw.channels.telegram.settings import TelegramSettings, telegram_settings
from eligibility_gw.settings import SettingsError
from tests.channels.telegram.conftest import MakeTelegram
from tests.gateway import gateway_settings


def with_telegram(**table: Any) -> TelegramSettings:
    """The channel's settings read from a ``[channels.telegram]`` table."""
    return telegram_settings(gateway_settings("memory://", channels={"telegram": table}))


def test_the_per_national_id_limit_moved_to_the_inquiry_policy() -> None:
    with pytest.raises(SettingsError) as refused:
        with_telegram(inquiries_per_national_id=5)
    assert str(refused.value) == (
        "[channels.telegram]: inquiries_per_national_id is now [inquiries] provider_per_national_id"
    )


async def test_an_old_settings_file_stops_the_gateway_at_start_up(
    make_telegram: MakeTelegram,
) -> None:
    with pytest.raises(SettingsError, match=r"\[inquiries\] provider_per_national_id"):
        await make_telegram(telegram={"inquiries_per_national_id": 5})


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"updates_per_sender": 0}, "updates_per_sender: must be positive"),
        ({"page_size": 21}, "page_size: 1 to 20 buttons"),
        ({"webhook_path": "/elsewhere"}, "webhook_path: a fixed path under"),
        ({"api_base_url": "ftp://x"}, "api_base_url: expected an http"),
        ({"per_national_id": 3}, "unknown setting(s) per_national_id"),
    ],
)
def test_bad_knobs_are_refused_with_the_way_out(table: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        with_telegram(**table)
    assert message in str(refused.value)


def test_the_defaults_hold_no_answer_quota() -> None:
    s = with_telegram()
    assert (s.updates_per_sender, s.rate_window_seconds) == (60, 3600)
    assert not hasattr(s, "inquiries_per_national_id")
