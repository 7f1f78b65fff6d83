"""SQLite ``ReminderRecords``: reminders claimed and sent; the families a run looks at (0009).

A claim is one ``INSERT … ON CONFLICT DO UPDATE … WHERE status = 'failed'`` under the file's
write gate: SQLite serialises writers of every process, so of two runs claiming one key
only one changes a row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from eligibility_gw.adapters import followup_rows, rows
from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.domain.model import CoverPeriod, Family, Person
from eligibility_gw.domain.reminders import Horizon
from eligibility_gw.ports.reminders import (
    ReminderClaim,
    ReminderKey,
    ReminderRecord,
    ReminderStatus,
)

_COLUMNS = rows.select(followup_rows.REMINDER_COLUMNS)
_MEMBER = f"""
    {rows.select(rows.PERSON_COLUMNS, "p.")}, heads.head,
    CASE WHEN p.principal_id IS NULL THEN (
        SELECT group_concat(start_date || ' ' || end_date, ' ') FROM (
            SELECT start_date, end_date FROM cover_period WHERE person_id = p.national_id
            ORDER BY start_date
        )
    ) END,
    (
        SELECT json_group_array(json_array(kind, valid_from, valid_until, source)) FROM (
            SELECT kind, valid_from, valid_until, source FROM document
            WHERE person_id = p.national_id ORDER BY id
        ) HAVING count(*) > 0
    ),
    p.principal_id IS NOT NULL AS dependent, p.position
"""
#: Whole families of the principals in ?1 (a JSON array): principals, then their dependents
#: (each half through its own index), in registry order.
_FAMILIES = f"""
WITH heads AS (SELECT DISTINCT value AS head FROM json_each(?1))
SELECT * FROM (
    SELECT {_MEMBER} FROM heads JOIN person p ON p.national_id = heads.head
    WHERE p.principal_id IS NULL
    UNION ALL
    SELECT {_MEMBER} FROM heads JOIN person p ON p.principal_id = heads.head
)
ORDER BY 14, 17, 18, 1
"""
#: The principals of families where a fact changes from ?1 to ?2: a cover period or a
#: document ends; dependents' birth ranges are added below.
_HEADS = """
SELECT c.person_id FROM cover_period c WHERE c.end_date BETWEEN ?1 AND ?2
UNION
SELECT coalesce(p.principal_id, p.national_id) FROM document d
JOIN person p ON p.national_id = d.person_id WHERE d.valid_until BETWEEN ?1 AND ?2
"""


def _member(r: Sequence[Any]) -> Person:
    text = r[14]
    dates = text.split(" ") if isinstance(text, str) and text else []
    periods = tuple(
        CoverPeriod(date.fromisoformat(dates[i]), date.fromisoformat(dates[i + 1]))
        for i in range(0, len(dates), 2)
    )
    docs = r[15]
    return rows.person(r, periods, rows.documents_json(docs if isinstance(docs, str) else None))


def _grouped(found: Sequence[Sequence[Any]], head_at: int = 13) -> list[Family]:
    """Rows of members, grouped by family head (principal first), as families."""
    families: list[Family] = []
    members: list[Person] = []
    head: str | None = None
    for r in found:
        if r[head_at] != head:
            if members:
                families.append(Family(members[0], tuple(members[1:])))
            head, members = r[head_at], []
        members.append(_member(r))
    if members:
        families.append(Family(members[0], tuple(members[1:])))
    return families


class SqliteReminderRecords:
    """The SQLite implementation of ``ports.reminders.ReminderRecords``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @unavailable
    async def claim(self, claim: ReminderClaim) -> bool:
        """Claim the key: a new row, or a failed one taken again."""
        k = claim.key
        at = rows.stamp(claim.at)
        changed = await self._db.execute(
            f"INSERT INTO reminder ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,'sending',?,?,1,NULL,NULL)"
            " ON CONFLICT (national_id, last_day, milestone) DO UPDATE SET"
            " reason = excluded.reason, rule = excluded.rule, channel = excluded.channel,"
            " language = excluded.language, run_day = excluded.run_day, status = 'sending',"
            " updated_at = excluded.updated_at, attempts = reminder.attempts + 1,"
            " problem = NULL WHERE reminder.status = 'failed'",
            (
                k.national_id,
                k.last_day.isoformat(),
                k.milestone,
                claim.reason,
                claim.rule,
                claim.channel,
                claim.language,
                claim.run_day.isoformat(),
                at,
                at,
            ),
        )
        return changed > 0

    @unavailable
    async def finish(
        self,
        key: ReminderKey,
        status: ReminderStatus,
        at: datetime,
        reference: str | None = None,
        problem: str | None = None,
    ) -> None:
        """Record what became of a claimed reminder."""
        await self._db.execute(
            "UPDATE reminder SET status = ?, updated_at = ?, reference = ?, problem = ?"
            " WHERE national_id = ? AND last_day = ? AND milestone = ?",
            (
                status.value,
                rows.stamp(at),
                reference,
                problem,
                key.national_id,
                key.last_day.isoformat(),
                key.milestone,
            ),
        )

    @unavailable
    async def reminders_about(self, national_id: str, limit: int = 50) -> list[ReminderRecord]:
        """The reminders about one person, newest first."""
        found = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM reminder WHERE national_id = ?"
            " ORDER BY claimed_at DESC, milestone LIMIT ?",
            (national_id, limit),
        )
        return [followup_rows.reminder(r) for r in found]

    @unavailable
    async def sent_per_day(self, first: date, last: date) -> dict[date, int]:
        """Reminders sent per run day from ``first`` to ``last``."""
        found = await self._db.fetchall(
            "SELECT run_day, count(*) FROM reminder WHERE status = 'sent'"
            " AND run_day BETWEEN ? AND ? GROUP BY run_day",
            (first.isoformat(), last.isoformat()),
        )
        return {date.fromisoformat(r[0]): int(r[1]) for r in found}

    @unavailable
    async def heads_ending(self, reach: Horizon) -> list[str]:
        """Principals of the families where something may end cover within ``reach``."""
        sql = _HEADS
        params: list[str] = [reach.first.isoformat(), reach.last.isoformat()]
        for low, high in reach.births:
            n = len(params)
            sql += (
                "UNION SELECT p.principal_id FROM person p WHERE p.principal_id IS NOT NULL"
                f" AND p.birth_date BETWEEN ?{n + 1} AND ?{n + 2}\n"
            )
            params += [low.isoformat(), high.isoformat()]
        for kind, low, high in reach.issued:  # documents valid for months from their issue
            n = len(params)
            sql += (
                "UNION SELECT coalesce(p.principal_id, p.national_id) FROM document d"
                " JOIN person p ON p.national_id = d.person_id"
                f" WHERE d.kind = ?{n + 1} AND d.valid_from BETWEEN ?{n + 2} AND ?{n + 3}\n"
            )
            params += [kind, low.isoformat(), high.isoformat()]
        found = await self._db.fetchall(sql, params)
        return sorted(str(r[0]) for r in found)

    @unavailable
    async def families_of(self, heads: Sequence[str]) -> list[Family]:
        """Whole families of these principals, read in the reader's thread."""
        if not heads:
            return []
        found = await self._db.fetchall(_FAMILIES, (json.dumps(list(heads)),))
        by_head = {f.principal.national_id: f for f in _grouped(found)}
        return [by_head[h] for h in dict.fromkeys(heads) if h in by_head]
