"""``[channels.web]``: every knob documented with its default in config/gateway.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from typing import Any

import pytest

from eligibility_gw.channels.web.settings import MOVED, WebSettings, web_settings
from eligibility_gw.policy.quotas import QuotaSettings
from eligibility_gw.settings import SettingsError, default_config_text, parse_settings


def _documented() -> dict[str, Any]:
    """The commented ``[channels.web]`` example of the shipped settings, as TOML data."""
    text = default_config_text()
    block = text[text.index("# [channels.web]") :].split("\n\n", 1)[0]
    lines = [line[2:] for line in block.splitlines() if re.match(r"^# [a-z_]+ = ", line)]
    return tomllib.loads("\n".join(lines))


def test_every_knob_is_documented_with_its_default() -> None:
    documented = _documented()
    assert set(documented) == {f.name for f in fields(WebSettings)}
    assert web_settings(parse_settings({"channels": {"web": documented}})) == WebSettings()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("requests_per_minute", "[inquiries] provider_per_minute"),
        ("inquiries_per_national_id", "[inquiries] provider_per_national_id"),
        ("inquiries_per_national_id", "national_id_ceiling"),
        ("national_id_window_seconds", "[inquiries] national_id_window_seconds"),
    ],
)
def test_a_moved_knob_is_refused_naming_its_new_place(old: str, new: str) -> None:
    settings = parse_settings({"channels": {"web": {old: 10, "batches_per_hour": 5}}})
    with pytest.raises(SettingsError, match=re.escape(new)) as refused:
        web_settings(settings)
    assert str(refused.value).startswith(f"[channels.web]: {old} is now ")


def test_the_moved_knobs_are_documented_where_they_went() -> None:
    text = default_config_text()
    block = text[text.index("# [channels.web]") :].split("\n\n", 1)[0]
    known = {f.name for f in fields(QuotaSettings)}
    for old, new in MOVED.items():
        assert old in block  # named, so that an old file is recognised
        assert f"# {old} = " not in block  # and no longer offered as a knob
        named = re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", new)
        assert named and set(named) <= known, new  # the new place is a real [inquiries] key
