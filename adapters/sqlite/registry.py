"""SQLite ``Registry``: persons, families, cover periods and documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from eligibility_gw.adapters import rows
from eligibility_gw.adapters.errors import problem_of
from eligibility_gw.adapters.sqlite.database import SQLITE_ERRORS, SqliteDatabase, unavailable
from eligibility_gw.domain.model import CoverPeriod, Family, Person
from eligibility_gw.ports import RegistryRow, StoreUnavailable

_PERSON_COLUMNS = rows.select(rows.PERSON_COLUMNS)

_FAMILY_QUERY = f"""
WITH family AS (
    SELECT coalesce(principal_id, national_id) AS head FROM person WHERE national_id = ?1
)
SELECT {rows.select(rows.PERSON_COLUMNS, "p.")},
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
    )
FROM family JOIN person p ON p.national_id = family.head OR p.principal_id = family.head
ORDER BY p.principal_id IS NOT NULL, p.position, p.national_id
"""


def _family_member(r: Sequence[object]) -> Person:
    """A row of ``_FAMILY_QUERY`` as a person with cover periods and documents."""
    text = r[12]
    dates = text.split(" ") if isinstance(text, str) and text else []
    periods = tuple(
        CoverPeriod(date.fromisoformat(dates[i]), date.fromisoformat(dates[i + 1]))
        for i in range(0, len(dates), 2)
    )
    docs = r[13]
    return rows.person(r, periods, rows.documents_json(docs if isinstance(docs, str) else None))


def _yes_no(value: bool | None) -> int | None:
    return None if value is None else int(value)


class SqliteRegistry:
    """Persons, families, cover periods and documents."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def find_family(self, national_id: str) -> Family | None:
        """The family ``national_id`` belongs to, in one query, read on the event loop.

        Each member's row carries the principal's cover periods (``start end`` pairs) and the
        member's documents (a JSON array, NULL when there are none).
        """
        try:
            found = await self._db.quick.fetchall(_FAMILY_QUERY, (national_id,))
        except SQLITE_ERRORS as exc:  # inline, not decorated: this is the answer path
            raise StoreUnavailable(problem_of(exc)) from exc
        if not found or found[0][7] is not None:
            return None
        people = [_family_member(r) for r in found]
        family = Family(people[0], tuple(people[1:]))
        return family if family.member(national_id) else None

    @unavailable
    async def people_by_phone(self, phone: str) -> list[Person]:
        """Everyone whose registered phone is ``phone``."""
        found = await self._db.fetchall(
            f"SELECT {_PERSON_COLUMNS} FROM person WHERE phone = ? ORDER BY position, national_id",
            (phone,),
        )
        return [rows.person(r) for r in found]

    @unavailable
    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of ``national_ids`` are principals already stored."""
        found: set[str] = set()
        ids = list(national_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            result = await self._db.fetchall(
                f"SELECT national_id FROM person WHERE national_id IN ({marks})"
                " AND principal_id IS NULL",
                chunk,
            )
            found.update(r[0] for r in result)
        return found

    @unavailable
    async def upsert_rows(self, rows_in: Sequence[RegistryRow]) -> None:
        """Insert or update rows with their cover period and registry documents."""
        now = datetime.now(UTC).isoformat()
        people = [
            (
                r.national_id,
                r.given_name,
                r.family_name,
                rows.iso(r.birth_date),
                r.sex,
                r.phone,
                r.relationship,
                r.principal_id,
                r.marital_status,
                _yes_no(r.disabled),
                _yes_no(r.has_income),
                r.other_insurer,
                now,
            )
            for r in rows_in
        ]
        periods = [
            (r.national_id, rows.iso(r.cover_start), rows.iso(r.cover_end))
            for r in rows_in
            if r.cover_start is not None and r.cover_end is not None
        ]
        students = [
            (r.national_id, rows.iso(r.student_until), now) for r in rows_in if r.student_until
        ]
        no_students = [(r.national_id,) for r in rows_in if not r.student_until]
        births = [(r.national_id, now) for r in rows_in if r.birth_certificate_seen]
        no_births = [(r.national_id,) for r in rows_in if not r.birth_certificate_seen]
        async with self._db.transaction() as w:
            await w.executemany(
                f"INSERT INTO person ({_PERSON_COLUMNS}, updated_at, position)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, (SELECT coalesce(max(position), 0) + 1"
                " FROM person))"
                " ON CONFLICT (national_id) DO UPDATE SET given_name = excluded.given_name,"
                " family_name = excluded.family_name, birth_date = excluded.birth_date,"
                " sex = excluded.sex, phone = excluded.phone,"
                " relationship = excluded.relationship, principal_id = excluded.principal_id,"
                " marital_status = excluded.marital_status, disabled = excluded.disabled,"
                " has_income = excluded.has_income, other_insurer = excluded.other_insurer,"
                " updated_at = excluded.updated_at",
                people,
            )
            await w.executemany(
                "INSERT INTO cover_period (person_id, start_date, end_date) VALUES (?,?,?)"
                " ON CONFLICT (person_id, start_date)"
                " DO UPDATE SET end_date = excluded.end_date",
                periods,
            )
            await w.executemany(
                "INSERT INTO document (person_id, kind, valid_until, source, recorded_at)"
                " VALUES (?, 'student_certificate', ?, 'registry', ?)"
                " ON CONFLICT (person_id, kind) WHERE source = 'registry'"
                " DO UPDATE SET valid_until = excluded.valid_until",
                students,
            )
            await w.executemany(
                "DELETE FROM document WHERE person_id = ? AND kind = 'student_certificate'"
                " AND source = 'registry'",
                no_students,
            )
            await w.executemany(
                "INSERT INTO document (person_id, kind, source, recorded_at)"
                " VALUES (?, 'birth_certificate', 'registry', ?)"
                " ON CONFLICT (person_id, kind) WHERE source = 'registry' DO NOTHING",
                births,
            )
            await w.executemany(
                "DELETE FROM document WHERE person_id = ? AND kind = 'birth_certificate'"
                " AND source = 'registry'",
                no_births,
            )

    @unavailable
    async def count_people(self) -> int:
        """How many persons are stored."""
        row = await self._db.fetchone("SELECT count(*) FROM person")
        return int(row[0]) if row else 0
