"""PostgreSQL ``ReminderRecords``: reminders claimed and sent; the families a run looks at (0006).

A claim is one ``INSERT … ON CONFLICT DO UPDATE … WHERE status = 'failed' RETURNING``: of
two processes claiming one key at once, the second waits for the first's row and then finds
it taken.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from eligibility_gw.adapters import followup_rows, rows
from eligibility_gw.adapters.postgres.database import unavailable
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
    {rows.select(rows.PERSON_COLUMNS, "p.")}, heads.head AS head,
    CASE WHEN p.principal_id IS NULL THEN (
        SELECT json_agg(json_build_array(start_date, end_date) ORDER BY start_date)
        FROM cover_period WHERE person_id = p.national_id
    ) END AS periods,
    (
        SELECT json_agg(json_build_array(kind, valid_from, valid_until, source) ORDER BY id)
        FROM document WHERE person_id = p.national_id
    ) AS documents,
    p.principal_id IS NOT NULL AS dependent, p.position AS position
"""
_FAMILIES = f"""
WITH heads AS (SELECT DISTINCT unnest($1::text[]) AS head)
SELECT * FROM (
    SELECT {_MEMBER} FROM heads JOIN person p ON p.national_id = heads.head
    WHERE p.principal_id IS NULL
    UNION ALL
    SELECT {_MEMBER} FROM heads JOIN person p ON p.principal_id = heads.head
) AS m
ORDER BY head, dependent, position, national_id
"""
#: The principals of families where a fact changes from $1 to $2 (cover periods, documents),
#: or with a dependent born in one of the ranges $3[i]..$4[i].
_HEADS = """
SELECT c.person_id AS head FROM cover_period c WHERE c.end_date BETWEEN $1 AND $2
UNION
SELECT coalesce(p.principal_id, p.national_id) FROM document d
JOIN person p ON p.national_id = d.person_id WHERE d.valid_until BETWEEN $1 AND $2
UNION
SELECT p.principal_id FROM person p
JOIN unnest($3::date[], $4::date[]) AS b (low, high) ON p.birth_date BETWEEN b.low AND b.high
WHERE p.principal_id IS NOT NULL
UNION
SELECT coalesce(p.principal_id, p.national_id) FROM document d
JOIN person p ON p.national_id = d.person_id
JOIN unnest($5::text[], $6::date[], $7::date[]) AS i (kind, low, high)
ON d.kind = i.kind AND d.valid_from BETWEEN i.low AND i.high
"""


def _member(r: asyncpg.Record) -> Person:
    periods = tuple(
        CoverPeriod(rows.period_day(start), rows.period_day(end))
        for start, end in json.loads(r["periods"] or "[]")
    )
    return rows.person(r, periods, rows.documents_json(r["documents"]))


class PostgresReminderRecords:
    """The PostgreSQL implementation of ``ports.reminders.ReminderRecords``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def claim(self, claim: ReminderClaim) -> bool:
        """Claim the key: a new row, or a failed one taken again."""
        k = claim.key
        async with self._pool.acquire() as conn:
            claimed = await conn.fetchval(
                f"INSERT INTO reminder ({_COLUMNS}) VALUES"
                " ($1, $2, $3, $4, $5, $6, $7, $8, 'sending', $9, $9, 1, NULL, NULL)"
                " ON CONFLICT (national_id, last_day, milestone) DO UPDATE SET"
                " reason = excluded.reason, rule = excluded.rule, channel = excluded.channel,"
                " language = excluded.language, run_day = excluded.run_day,"
                " status = 'sending', updated_at = excluded.updated_at,"
                " attempts = reminder.attempts + 1, problem = NULL"
                " WHERE reminder.status = 'failed' RETURNING attempts",
                k.national_id,
                k.last_day,
                k.milestone,
                claim.reason,
                claim.rule,
                claim.channel,
                claim.language,
                claim.run_day,
                claim.at,
            )
        return claimed is not None

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
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE reminder SET status = $1, updated_at = $2, reference = $3, problem = $4"
                " WHERE national_id = $5 AND last_day = $6 AND milestone = $7",
                status.value,
                at,
                reference,
                problem,
                key.national_id,
                key.last_day,
                key.milestone,
            )

    @unavailable
    async def reminders_about(self, national_id: str, limit: int = 50) -> list[ReminderRecord]:
        """The reminders about one person, newest first."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_COLUMNS} FROM reminder WHERE national_id = $1"
                " ORDER BY claimed_at DESC, milestone LIMIT $2",
                national_id,
                limit,
            )
        return [followup_rows.reminder(r) for r in found]

    @unavailable
    async def sent_per_day(self, first: date, last: date) -> dict[date, int]:
        """Reminders sent per run day from ``first`` to ``last``."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                "SELECT run_day, count(*) AS n FROM reminder WHERE status = 'sent'"
                " AND run_day BETWEEN $1 AND $2 GROUP BY run_day",
                first,
                last,
            )
        return {r["run_day"]: int(r["n"]) for r in found}

    @unavailable
    async def heads_ending(self, reach: Horizon) -> list[str]:
        """Principals of the families where something may end cover within ``reach``."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                _HEADS,
                reach.first,
                reach.last,
                [low for low, _ in reach.births],
                [high for _, high in reach.births],
                [kind for kind, _, _ in reach.issued],
                [low for _, low, _ in reach.issued],
                [high for _, _, high in reach.issued],
            )
        return sorted(str(r["head"]) for r in found)

    @unavailable
    async def families_of(self, heads: Sequence[str]) -> list[Family]:
        """Whole families of these principals, in one round trip."""
        if not heads:
            return []
        async with self._pool.acquire() as conn:
            found = await conn.fetch(_FAMILIES, list(heads))
        families: dict[str, Family] = {}
        members: list[Person] = []
        head: str | None = None
        for r in found:
            if r["head"] != head:
                if members:
                    families[members[0].national_id] = Family(members[0], tuple(members[1:]))
                head, members = r["head"], []
            members.append(_member(r))
        if members:
            families[members[0].national_id] = Family(members[0], tuple(members[1:]))
        return [families[h] for h in dict.fromkeys(heads) if h in families]
