"""Each dependency's health as last seen: a gauge, and one warning line when it changes.

A dependency that fails under load fails for every request at once; the log gets one line
when it goes (``dependency_unavailable``) and one when it is back (``dependency_restored``),
not one per request. ``eligibility_dependency_up{dependency}`` says the same to Prometheus.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from eligibility_gw.metrics import DEPENDENCY_UP

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HealthReport:
    """What readiness says of one dependency."""

    up: bool
    #: When the dependency last changed state (UTC, ISO 8601), None when it never did.
    since: str | None

    def document(self) -> dict[str, str]:
        """The report as the readiness document shows it."""
        doc = {"status": "ok" if self.up else "unavailable"}
        if self.since is not None:
            doc["since"] = self.since
        return doc


class Dependency:
    """One dependency (``store``, ``state``): up or down, and since when.

    ``without`` says in a few words what the gateway does while it is down (logged with the
    transition, so that the one warning line tells the operator what it costs).
    """

    def __init__(self, name: str, without: str) -> None:
        self.name = name
        self.without = without
        self._up = True
        self._since: str | None = None
        self._down_at = 0.0
        DEPENDENCY_UP.labels(name).set(1)

    @property
    def up(self) -> bool:
        """Say whether the dependency answered when last used."""
        return self._up

    def report(self) -> HealthReport:
        """The dependency's state for the readiness document."""
        return HealthReport(self._up, self._since)

    def down(self, problem: str) -> bool:
        """Mark it down; True (and one warning line) when it was up."""
        if not self._up:
            return False
        self._up = False
        self._down_at = time.monotonic()
        self._since = datetime.now(UTC).isoformat(timespec="seconds")
        DEPENDENCY_UP.labels(self.name).set(0)
        log.warning(
            "dependency_unavailable", dependency=self.name, problem=problem, meanwhile=self.without
        )
        return True

    def restored(self) -> bool:
        """Mark it up; True (and one warning line) when it was down."""
        if self._up:
            return False
        self._up = True
        self._since = datetime.now(UTC).isoformat(timespec="seconds")
        DEPENDENCY_UP.labels(self.name).set(1)
        log.warning(
            "dependency_restored",
            dependency=self.name,
            down_s=round(time.monotonic() - self._down_at, 1),
        )
        return True
