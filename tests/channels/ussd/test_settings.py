"""``[channels.ussd]``: defaults, checks, and the documented example in config/gateway.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from eligibility_gw.app import create_app
from eligibility_gw.channels.ussd.settings import UssdSettings, ussd_settings
from eligibility_gw.settings import SettingsError, default_config_text
from tests.channels.ussd.support import gateway_settings


def test_defaults_follow_the_operators_limits() -> None:
    knobs = UssdSettings()
    assert (knobs.ucs2_budget, knobs.gsm7_budget) == (80, 182)
    assert knobs.session_ttl == 180
    assert knobs.max_invalid == 3
    assert knobs.hop_timeout < 15


def test_the_documented_section_lists_every_knob_with_its_default() -> None:
    text = default_config_text()
    section = text[text.index("# [channels.ussd]") :].split("\n\n", 1)[0]
    uncommented = "\n".join(
        line.removeprefix("# ") for line in section.splitlines() if re.match(r"# (\[|\w+ = )", line)
    )
    table = tomllib.loads(uncommented)["channels"]["ussd"]
    assert ussd_settings(gateway_settings(Path("x.sqlite3"), ("en",), **table)) == UssdSettings()
    assert set(table) == set(UssdSettings.__dataclass_fields__)


@pytest.mark.parametrize(
    ("knobs", "message"),
    [
        ({"ucs2_budget": 20}, "ucs2_budget"),
        ({"gsm7_budget": 400}, "gsm7_budget"),
        ({"hop_timeout": 15}, "hop_timeout"),
        ({"max_invalid": 0}, "max_invalid"),
        ({"page_size": 0}, "page_size"),
        ({"hotline": ""}, "hotline"),
        ({"hotline": "call us"}, "hotline"),
        ({"language_memory_days": -1}, "language_memory_days"),
        ({"session_ttl": "180"}, "session_ttl"),
        ({"colour": "blue"}, "unknown setting"),
    ],
)
def test_bad_knobs_are_refused(tmp_path: Path, knobs: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        ussd_settings(gateway_settings(tmp_path / "db.sqlite3", ("en",), **knobs))


def test_a_budget_too_small_for_the_texts_refuses_to_start(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path / "db.sqlite3", ("fa", "en"), ucs2_budget=50)
    with pytest.raises(SettingsError, match="does not fit"):
        create_app(settings)


def test_the_channel_can_be_switched_off(tmp_path: Path) -> None:
    settings = gateway_settings(tmp_path / "db.sqlite3", ("en",), enabled=False)
    app = create_app(settings)
    paths = {r.canonical for r in app.router.resources()}
    assert not any(p.startswith("/channels/ussd") for p in paths)
