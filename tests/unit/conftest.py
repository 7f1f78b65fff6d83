"""Fixtures of the core's unit tests: the shipped rule packs, loaded once."""

from __future__ import annotations

import pytest

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.rulepacks import load_rule_pack


@pytest.fixture(scope="session")
def ir_pack() -> RulePack:
    """The Iranian Social Security Organization pack."""
    return load_rule_pack("ir-tamin")


@pytest.fixture(scope="session")
def ro_pack() -> RulePack:
    """The Romanian CNAS pack."""
    return load_rule_pack("ro-cnas")


@pytest.fixture(scope="session", params=["ir-tamin", "ro-cnas"])
def any_pack(request: pytest.FixtureRequest) -> RulePack:
    """Each shipped pack in turn."""
    return load_rule_pack(str(request.param))
