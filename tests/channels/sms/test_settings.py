"""``[channels.sms]``: every knob documented in the shipped example, bad values refused."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from eligibility_gw.app import create_app
from eligibility_gw.channels.sms import SMS_NOTIFIER
from eligibility_gw.channels.sms.settings import SmsSettings, sms_settings
from eligibility_gw.settings import SettingsError, default_config_text, parse_settings
from tests.channels.sms.support import gateway_settings


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


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"inquiries_per_sender": 0}, "must be positive"),
        ({"send_attempts": -1}, "must be positive"),
        ({"api_base_url": "ftp://x"}, "api_base_url"),
        ({"reply_timeout_ms": 15_000}, "15 s"),
        ({"hotline": 1420}, "expected str"),
        ({"notify_checked": "yes"}, "expected bool"),
        ({"no_such_knob": 1}, "unknown setting"),
    ],
)
def test_bad_settings_are_refused(table: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        sms_settings(parse_settings({"channels": {"sms": table}}))


def test_bad_settings_stop_the_app_from_being_built(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path / "x.sqlite3", send_attempts=0)
    with pytest.raises(SettingsError):
        create_app(settings)


def test_the_channel_can_be_switched_off(tmp_path: Path) -> None:
    app = create_app(gateway_settings(tmp_path / "x.sqlite3", enabled=False))
    assert "/channels/sms" not in [r.canonical for r in app.router.resources()]
    assert SMS_NOTIFIER not in app


def test_the_channel_is_mounted_with_its_notifier(tmp_path: Path) -> None:
    app = create_app(gateway_settings(tmp_path / "x.sqlite3"))
    assert "/channels/sms" in [r.canonical for r in app.router.resources()]
    assert not app[SMS_NOTIFIER].ready  # created at start-up, not at import or mount
