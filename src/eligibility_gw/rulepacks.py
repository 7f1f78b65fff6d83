"""Find and read rule packs: by name among the shipped ones or a directory, or by path."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from eligibility_gw.domain.errors import RulePackError
from eligibility_gw.domain.rulepack import RulePack, parse_rule_pack
from eligibility_gw.settings import Settings


def shipped_rule_packs() -> list[str]:
    """Names of the rule packs shipped with the gateway."""
    folder = resources.files("eligibility_gw.config").joinpath("rules")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def _read(name_or_path: str, rules_dir: str) -> tuple[str, str]:
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        p = Path(name_or_path)
        try:
            return p.read_text("utf-8"), str(p)
        except OSError as exc:
            raise RulePackError(f"rule pack file {p} cannot be read: {exc}") from exc
    if rules_dir:
        p = Path(rules_dir) / f"{name_or_path}.toml"
        try:
            return p.read_text("utf-8"), str(p)
        except OSError as exc:
            raise RulePackError(f"rule pack {name_or_path!r} not found in {rules_dir}") from exc
    res = resources.files("eligibility_gw.config").joinpath("rules", f"{name_or_path}.toml")
    if not res.is_file():
        raise RulePackError(
            f"unknown rule pack {name_or_path!r}; shipped: {', '.join(shipped_rule_packs())}"
        )
    return res.read_text("utf-8"), f"<shipped {name_or_path}>"


def load_rule_pack(name_or_path: str, rules_dir: str = "") -> RulePack:
    """Read and check one rule pack."""
    text, where = _read(name_or_path, rules_dir)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulePackError(f"{where}: not valid TOML: {exc}") from exc
    try:
        return parse_rule_pack(data)
    except RulePackError as exc:
        raise RulePackError(f"{where}: {exc}") from exc


def rule_pack_for(settings: Settings) -> RulePack:
    """The rule pack the settings choose."""
    return load_rule_pack(settings.gateway.rule_pack, settings.gateway.rules_dir)
