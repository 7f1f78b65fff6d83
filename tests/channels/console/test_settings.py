"""``[channels.console]``: defaults, checks, and the documented example in config/gateway.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from typing import Any

import pytest

from eligibility_gw.channels.console.settings import ConsoleSettings, console_settings
from eligibility_gw.settings import SettingsError, default_config_text, parse_settings


def _documented() -> dict[str, Any]:
    """The commented ``[channels.console]`` example of the shipped settings, as TOML data."""
    text = default_config_text()
    block = text[text.index("# [channels.console]") :].split("\n\n", 1)[0]
    lines = [line[2:] for line in block.splitlines() if re.match(r"^# [a-z_]+ = ", line)]
    return tomllib.loads("\n".join(lines))


def test_every_knob_is_documented_with_its_default() -> None:
    documented = _documented()
    assert set(documented) == {f.name for f in fields(ConsoleSettings)}
    parsed = console_settings(parse_settings({"channels": {"console": documented}}))
    assert parsed == ConsoleSettings()


def test_defaults_follow_the_issue() -> None:
    s = ConsoleSettings()
    assert s.service_level_hours == 48
    assert s.cookie_secure is True
    assert s.signin_failures < s.signin_failures_per_address


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"service_level_hours": 0}, "must be positive"),
        ({"session_minutes": -5}, "must be positive"),
        ({"dashboard_days": 400}, "at most 366"),
        ({"cookie_secure": "yes"}, "expected bool"),
        ({"service_level_hours": "48"}, "expected int"),
        ({"no_such_knob": 1}, "unknown setting"),
        ({"hotline": ""}, "hotline"),
        ({"hotline": "1" * 21}, "hotline"),
    ],
)
def test_bad_knobs_are_refused_in_words(table: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        console_settings(parse_settings({"channels": {"console": table}}))


def test_a_disabled_console_is_not_mounted() -> None:
    from eligibility_gw.channels import gateway_app

    app = gateway_app(parse_settings({"channels": {"console": {"enabled": False}}}))
    paths = {r.canonical for r in app.router.resources()}
    assert "/console" not in paths
    on = gateway_app(parse_settings({}))
    assert "/console" in {r.canonical for r in on.router.resources()}
