"""``[channels.sms]``: every knob documented in the shipped example, bad values refused, and
the keys that moved to the core's sections refused with their new place."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from typing import Any

import pytest

from eligibility_gw.app import create_app
from eligibility_gw.channels.sms import PREFIX, mount
from eligibility_gw.channels.sms.settings import MOVED, SmsSettings, sms_settings
from eligibility_gw.settings import SettingsError, default_config_text, parse_settings
from tests.gateway import gateway_settings


def _documented() -> dict[str, Any]:
    """The commented ``[channels.sms]`` example of the shipped settings, as TOML data."""
    text = default_config_text()
    block = text[text.index("# [channels.sms]") :]
    block = block.split("\n\n", 1)[0]
    lines = [line[2:] for line in block.splitlines() if re.match(r"^# [a-z_]+ = ", line)]
    return tomllib.loads("\n".join(lines))


def test_every_knob_is_documented_with_its_default() -> None:
    documented = _documented()
    assert set(documented) == {f.name for f in fields(SmsSettings)}
    assert sms_settings(parse_settings({"channels": {"sms": documented}})) == SmsSettings()


def test_no_moved_knob_is_documented_here() -> None:
    assert not set(_documented()) & set(MOVED)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"inquiries_per_sender": 0}, "must be positive"),
        ({"rate_window_seconds": -1}, "must be positive"),
        ({"reply_timeout_ms": 15_000}, "15 s"),
        ({"hotline": 1420}, "expected str"),
        ({"enabled": "yes"}, "expected bool"),
        ({"no_such_knob": 1}, "unknown setting"),
    ],
)
def test_bad_settings_are_refused(table: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        sms_settings(parse_settings({"channels": {"sms": table}}))


MOVED_CASES = [
    ("account_sid", "AC" + "1" * 32, "[twilio] account_sid"),
    ("auth_token_env", "TWILIO_AUTH_TOKEN", "[twilio] auth_token_env"),
    ("from_number", "+98300001420", "[twilio] from_number"),
    ("messaging_service_sid", "MG" + "2" * 32, "[twilio] messaging_service_sid"),
    ("api_base_url", "https://api.twilio.com", "[twilio] api_base_url"),
    ("send_timeout_ms", 10_000, "[twilio] send_timeout_ms"),
    ("send_attempts", 3, "[twilio] send_attempts"),
    ("retry_backoff_ms", 500, "[twilio] retry_backoff_ms"),
    ("inquiries_per_national_id", 5, "[inquiries] provider_per_national_id"),
    ("notify_checked", True, "[notices] check_notices"),
    ("notice_reply_days", 30, "[notices] reply_days"),
]


@pytest.mark.parametrize(("key", "value", "where"), MOVED_CASES, ids=[c[0] for c in MOVED_CASES])
def test_moved_settings_say_where_they_live_now(key: str, value: object, where: str) -> None:
    """An old settings file stops the gateway at start-up with the way out."""
    settings = gateway_settings("memory://", channels={"sms": {"hotline": "1420", key: value}})
    with pytest.raises(SettingsError) as refused:
        create_app(settings, mounts=[mount])
    assert str(refused.value) == f"[channels.sms]: {key} is now {where}"


def test_every_moved_key_is_refused() -> None:
    assert {c[0] for c in MOVED_CASES} == set(MOVED)


def test_several_moved_keys_are_named_at_once() -> None:
    table = {"notify_checked": True, "account_sid": "AC1", "inquiries_per_national_id": 5}
    with pytest.raises(SettingsError) as refused:
        sms_settings(parse_settings({"channels": {"sms": table}}))
    assert str(refused.value) == (
        "[channels.sms]: account_sid is now [twilio] account_sid; "
        "inquiries_per_national_id is now [inquiries] provider_per_national_id; "
        "notify_checked is now [notices] check_notices"
    )


def test_the_channel_can_be_switched_off() -> None:
    from eligibility_gw.channels import gateway_app

    app = gateway_app(gateway_settings("memory://", channels={"sms": {"enabled": False}}))
    assert PREFIX not in [r.canonical for r in app.router.resources()]


def test_the_channel_mounts_without_outbound_sms() -> None:
    """Inbound SMS needs no sender: the channel sends nothing itself."""
    app = create_app(gateway_settings("memory://"), mounts=[mount])
    assert PREFIX in [r.canonical for r in app.router.resources()]
