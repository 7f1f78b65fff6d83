"""``[channels.ussd]``: defaults, checks, and the documented example in config/gateway.toml."""

from __future__ import annotations

import re
import tomllib

import pytest

from eligibility_gw.channels import gateway_app
from eligibility_gw.channels.ussd.settings import UssdSettings, ussd_settings
from eligibility_gw.settings import Settings, SettingsError, default_config_text
from tests.channels.ussd.support import only_ussd
from tests.gateway import gateway_settings


def settings_with(*languages: str, **knobs: object) -> Settings:
    """Settings of an in-memory gateway with the USSD knobs as given."""
    return gateway_settings("memory://", languages=languages or ("en",), channels=only_ussd(knobs))


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
    assert ussd_settings(settings_with(**table)) == UssdSettings()
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
def test_bad_knobs_are_refused(knobs: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        ussd_settings(settings_with(**knobs))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("answers_per_hour", r"answers_per_hour is now \[inquiries\] insured_per_hour"),
        (
            "asks_per_national_id_per_hour",
            r"asks_per_national_id_per_hour is now \[inquiries\] provider_per_national_id",
        ),
    ],
)
def test_knobs_that_moved_to_the_core_name_their_new_place(old: str, new: str) -> None:
    """An old settings file fails at start-up with the way out, not as an unknown key."""
    settings = settings_with(**{old: 10})
    with pytest.raises(SettingsError, match=r"\[channels\.ussd\]: " + new):
        ussd_settings(settings)
    with pytest.raises(SettingsError, match=new):
        gateway_app(settings)


def test_the_documented_section_names_where_the_quotas_went() -> None:
    text = default_config_text()
    section = text[text.index("# [channels.ussd]") :].split("\n\n", 1)[0]
    assert "[inquiries] insured_per_hour" in section
    assert "[inquiries] provider_per_national_id" in section
    assert not re.search(r"^# (answers_per_hour|asks_per_national_id_per_hour) =", section, re.M)


def test_a_budget_too_small_for_the_texts_refuses_to_start() -> None:
    settings = settings_with("fa", "en", ucs2_budget=50)
    with pytest.raises(SettingsError, match="does not fit"):
        gateway_app(settings)


def test_the_channel_can_be_switched_off() -> None:
    settings = settings_with(enabled=False)
    app = gateway_app(settings)
    paths = {r.canonical for r in app.router.resources()}
    assert not any(p.startswith("/channels/ussd") for p in paths)
