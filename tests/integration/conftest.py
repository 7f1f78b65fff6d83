"""Isolation of the integration tests from the environment."""

from __future__ import annotations

import pytest

from eligibility_gw.settings import CONFIG_ENV


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands read the shipped example settings unless a test passes ``--config``."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)
