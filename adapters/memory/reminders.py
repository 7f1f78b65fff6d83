"""``ReminderRecords`` in the process's memory; the families a run looks at, from the registry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from eligibility_gw.domain.model import Family
from eligibility_gw.domain.reminders import Horizon
from eligibility_gw.ports.reminders import (
    ReminderClaim,
    ReminderKey,
    ReminderRecord,
    ReminderStatus,
)

if TYPE_CHECKING:
    from eligibility_gw.adapters.memory.store import MemoryRegistry


class MemoryReminderRecords:
    """Reminders in a dict keyed like the SQL tables' primary key."""

    def __init__(self, registry: MemoryRegistry) -> None:
        self._registry = registry
        self._records: dict[ReminderKey, ReminderRecord] = {}

    async def claim(self, claim: ReminderClaim) -> bool:
        """Claim the key: new, or failed before (one event loop: atomic as it stands)."""
        old = self._records.get(claim.key)
        if old is not None and old.status is not ReminderStatus.FAILED:
            return False
        self._records[claim.key] = ReminderRecord(
            key=claim.key,
            reason=claim.reason,
            rule=claim.rule,
            channel=claim.channel,
            language=claim.language,
            run_day=claim.run_day,
            status=ReminderStatus.SENDING,
            claimed_at=old.claimed_at if old else claim.at,
            updated_at=claim.at,
            attempts=old.attempts + 1 if old else 1,
        )
        return True

    async def finish(
        self,
        key: ReminderKey,
        status: ReminderStatus,
        at: datetime,
        reference: str | None = None,
        problem: str | None = None,
    ) -> None:
        """Record what became of a claimed reminder."""
        old = self._records.get(key)
        if old is not None:
            self._records[key] = replace(
                old, status=status, updated_at=at, reference=reference, problem=problem
            )

    async def reminders_about(self, national_id: str, limit: int = 50) -> list[ReminderRecord]:
        """The reminders about one person, newest first."""
        found = [r for r in self._records.values() if r.key.national_id == national_id]
        found.sort(key=lambda r: (-r.claimed_at.timestamp(), r.key.milestone))
        return found[:limit]

    async def sent_per_day(self, first: date, last: date) -> dict[date, int]:
        """Reminders sent per run day from ``first`` to ``last``."""
        return dict(
            Counter(
                r.run_day
                for r in self._records.values()
                if r.status is ReminderStatus.SENT and first <= r.run_day <= last
            )
        )

    async def heads_ending(self, reach: Horizon) -> list[str]:
        """Principals of the families where something may end cover within ``reach``."""
        heads: set[str] = set()
        for nid, entry in self._registry.entries.items():
            head = entry.row.principal_id or nid
            ends = [p.end for p in entry.periods.values()]
            ends += [d.valid_until for d in entry.documents if d.valid_until is not None]
            if any(reach.first <= e <= reach.last for e in ends):
                heads.add(head)
            if any(
                d.kind == kind and d.valid_from is not None and low <= d.valid_from <= high
                for d in entry.documents
                for kind, low, high in reach.issued
            ):
                heads.add(head)
            born = entry.row.birth_date
            if entry.row.principal_id is not None and any(
                low <= born <= high for low, high in reach.births
            ):
                heads.add(head)
        return sorted(heads)

    async def families_of(self, heads: Sequence[str]) -> list[Family]:
        """Whole families of these principals."""
        found: list[Family] = []
        for head in dict.fromkeys(heads):
            entry = self._registry.entries.get(head)
            if entry is None or entry.row.principal_id is not None:
                continue
            family = await self._registry.find_family(head)
            if family is not None:
                found.append(family)
        return found
