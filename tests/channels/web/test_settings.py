"""``[channels.web]``: every knob documented with its default in config/gateway.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from typing import Any

from eligibility_gw.channels.web.settings import WebSettings, web_settings
from eligibility_gw.settings import default_config_text, parse_settings


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
