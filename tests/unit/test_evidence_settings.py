"""``[evidence.student]`` and ``[evidence.civil]``: absent by default, documented, checked."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from typing import Any

import pytest

from eligibility_gw.settings import (
    EvidenceRegistrySettings,
    SettingsError,
    default_config_text,
    parse_settings,
)


def _documented(name: str) -> dict[str, Any]:
    """The commented ``[evidence.NAME]`` example of the shipped settings, as TOML data."""
    text = default_config_text()
    block = text[text.index(f"# [evidence.{name}]") :].split("\n\n", 1)[0]
    lines = [line[2:] for line in block.splitlines() if re.match(r"^# [a-z_]+ = ", line)]
    return tomllib.loads("\n".join(lines))


def test_no_registry_is_configured_by_default() -> None:
    shipped = parse_settings(tomllib.loads(default_config_text()))
    assert shipped.evidence.student is None
    assert shipped.evidence.civil is None
    assert not shipped.evidence.configured


@pytest.mark.parametrize("name", ["student", "civil"])
def test_every_knob_is_documented(name: str) -> None:
    documented = _documented(name)
    assert set(documented) == {f.name for f in fields(EvidenceRegistrySettings)}
    parsed = parse_settings({"evidence": {name: documented}}).evidence
    registry = getattr(parsed, name)
    assert registry is not None
    assert registry.url == documented["url"]
    assert registry.timeout == EvidenceRegistrySettings().timeout
    assert parsed.configured


def test_a_whole_number_of_seconds_is_accepted() -> None:
    parsed = parse_settings({"evidence": {"civil": {"url": "https://civil.test/", "timeout": 2}}})
    assert parsed.evidence.civil == EvidenceRegistrySettings("https://civil.test/", 2.0)
    assert parsed.evidence.student is None


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        ({"school": {"url": "https://x.test/"}}, "unknown registry"),
        ({"student": {}}, "url"),
        ({"student": {"url": "ftp://x.test/"}}, "url"),
        ({"student": {"url": "https://x.test/", "timeout": 0.0}}, "timeout"),
        ({"student": {"url": "https://x.test/", "timeout": -1}}, "timeout"),
        ({"student": {"url": "https://x.test/", "timeout": "1s"}}, "expected float"),
        ({"student": {"url": "https://x.test/", "retries": 3}}, "unknown setting"),
        ({"student": "https://x.test/"}, "one table per registry"),
    ],
)
def test_bad_settings_are_refused(evidence: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings({"evidence": evidence})
