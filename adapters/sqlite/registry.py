"""SQLite ``Registry``: persons, families, cover periods and documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import aiosqlite

from eligibility_gw.adapters import rows
from eligibility_gw.adapters.errors import problem_of
from eligibility_gw.adapters.sqlite.database import SQLITE_ERRORS, SqliteDatabase, unavailable
from eligibility_gw.domain.model import CoverPeriod, Family, Person
from eligibility_gw.domain.names import name_key
from eligibility_gw.ports import (
    CorrectionsOnFile,
    PhoneCorrection,
    RegistryRow,
    StoreUnavailable,
)
from eligibility_gw.ports.casework import DocumentOnFile

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
    ),
    (
        SELECT json_group_array(json_array(kind, valid_until)) FROM privilege
        WHERE person_id = p.national_id HAVING count(*) > 0
    )
FROM family JOIN person p ON p.national_id = family.head OR p.principal_id = family.head
ORDER BY p.principal_id IS NOT NULL, p.position, p.national_id
"""


def _family_member(r: Sequence[object]) -> Person:
    """A row of ``_FAMILY_QUERY`` as a person with cover periods, documents and privileges."""
    text = r[13]
    dates = text.split(" ") if isinstance(text, str) and text else []
    periods = tuple(
        CoverPeriod(date.fromisoformat(dates[i]), date.fromisoformat(dates[i + 1]))
        for i in range(0, len(dates), 2)
    )
    docs, held = r[14], r[15]
    return rows.person(
        r,
        periods,
        rows.documents_json(docs if isinstance(docs, str) else None),
        rows.privileges_json(held if isinstance(held, str) else None),
    )


#: Insert or update a person; ``{phone}`` is the phone kept on file when the person exists
#: (``excluded.phone``: the file's; ``person.phone``: a correction that stands).
_UPSERT_PERSON = (
    f"INSERT INTO person ({_PERSON_COLUMNS}, updated_at, registry_phone, position)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, (SELECT coalesce(max(position), 0) + 1"
    " FROM person))"
    " ON CONFLICT (national_id) DO UPDATE SET given_name = excluded.given_name,"
    " family_name = excluded.family_name, birth_date = excluded.birth_date,"
    " sex = excluded.sex, phone = {phone}, registry_phone = excluded.registry_phone,"
    " relationship = excluded.relationship, principal_id = excluded.principal_id,"
    " marital_status = excluded.marital_status, disabled = excluded.disabled,"
    " has_income = excluded.has_income, other_insurer = excluded.other_insurer,"
    " category = excluded.category, updated_at = excluded.updated_at"
)
#: Documents of kinds without a column of their own: an import replaces a person's.
_OTHER_KINDS = "kind NOT IN ('student_certificate', 'birth_certificate')"
#: Phone corrections still on file: the latest change's number is the phone on file, and the
#: registry's number differs from it.
_PHONE_CORRECTIONS = (
    "SELECT p.national_id, p.phone, p.registry_phone, c.changed_by, c.changed_at"
    " FROM console_phone_change c JOIN person p ON p.national_id = c.national_id"
    " WHERE c.national_id IN ({marks}) AND c.id = (SELECT max(id) FROM console_phone_change"
    " WHERE national_id = c.national_id) AND p.phone = c.new_phone"
    " AND p.registry_phone IS NOT p.phone"
)
_BRANCH_DOCUMENTS = (
    "SELECT person_id, kind, valid_from, valid_until, source, recorded_by, recorded_at, note"
    " FROM document WHERE source = 'branch' AND person_id IN ({marks}) ORDER BY id"
)
#: Everyone with a phone changed at the console or a document recorded at a branch.
#: Phone changes recorded after the given row id, and the newest row id (the row with a NULL
#: person), read in one snapshot: changes are never deleted, so a new one always comes after.
_CHANGES_SINCE = (
    "SELECT id, national_id FROM console_phone_change WHERE id > ?1"
    " UNION ALL SELECT max(id), NULL FROM console_phone_change"
)
#: Branch documents after the given row id. Never deleted either, so every new one comes after
#: the newest of them; read from their own (partial) index: the registry's own documents,
#: deleted and written by every import, are never scanned.
_BRANCH_SINCE = (
    "SELECT id, person_id FROM document INDEXED BY document_branch"
    " WHERE source = 'branch' AND id > ?1"
)
_CHUNK = 500


async def _exists(conn: aiosqlite.Connection, sql: str) -> bool:
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


def _yes_no(value: bool | None) -> int | None:
    return None if value is None else int(value)


class SqliteRegistry:
    """Persons, families, cover periods and documents."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        #: Everyone ever corrected (a phone changed, a document seen at a branch), and the
        #: row ids up to which the two tables were read: each import batch reads only what
        #: was added since, and looks up only the few of its persons found here.
        self._corrected: set[str] = set()
        self._read_up_to = (0, 0)

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
        """Insert or update rows with their cover period and registry documents.

        The file's phone is kept as the registry's number (``registry_phone``); it is the
        phone on file too, unless the row keeps a correction made at the console.
        """
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
                r.category,
                now,
                r.phone,
            )
            for r in rows_in
        ]
        kept = [p for p, r in zip(people, rows_in, strict=True) if r.keep_phone]
        replaced = (
            people
            if not kept
            else [p for p, r in zip(people, rows_in, strict=True) if not r.keep_phone]
        )
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
        held = [
            (r.national_id, p.kind, rows.iso(p.valid_until)) for r in rows_in for p in r.privileges
        ]
        others = [
            (r.national_id, d.kind, rows.iso(d.valid_from), rows.iso(d.valid_until), now)
            for r in rows_in
            for d in r.documents
        ]
        async with self._db.transaction() as w:
            await w.executemany(_UPSERT_PERSON.format(phone="excluded.phone"), replaced)
            if kept:
                await w.executemany(_UPSERT_PERSON.format(phone="person.phone"), kept)
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
            await self._replace_extras(w, rows_in, held, others)

    async def _replace_extras(
        self,
        w: aiosqlite.Connection,
        rows_in: Sequence[RegistryRow],
        held: list[tuple[str, str, str | None]],
        others: list[tuple[str, str, str | None, str | None, str]],
    ) -> None:
        """Replace the persons' privileges and other registry documents with the file's.

        Most registries have neither: when the store holds none and the batch brings none,
        nothing is deleted row by row.
        """
        ids = [(r.national_id,) for r in rows_in]
        if held or await _exists(w, "SELECT EXISTS (SELECT 1 FROM privilege)"):
            await w.executemany("DELETE FROM privilege WHERE person_id = ?", ids)
            await w.executemany(
                "INSERT INTO privilege (person_id, kind, valid_until) VALUES (?,?,?)", held
            )
        if others or await _exists(
            w,
            "SELECT EXISTS (SELECT 1 FROM document INDEXED BY document_registry_other"
            f" WHERE source = 'registry' AND {_OTHER_KINDS})",
        ):
            await w.executemany(
                "DELETE FROM document WHERE person_id = ? AND source = 'registry'"
                f" AND {_OTHER_KINDS}",
                ids,
            )
            await w.executemany(
                "INSERT INTO document (person_id, kind, valid_from, valid_until, source,"
                " recorded_at) VALUES (?,?,?,?,'registry',?)",
                others,
            )

    @unavailable
    async def count_people(self) -> int:
        """How many persons are stored."""
        row = await self._db.fetchone("SELECT count(*) FROM person")
        return int(row[0]) if row else 0

    @unavailable
    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Phone corrections still on file and documents seen at a branch, by national id."""
        phones: dict[str, PhoneCorrection] = {}
        documents: dict[str, list[DocumentOnFile]] = {}
        corrected = await self._corrected_ids()
        ids = [n for n in national_ids if n in corrected]
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for r in await self._db.fetchall(_PHONE_CORRECTIONS.format(marks=marks), chunk):
                phones[r[0]] = PhoneCorrection(r[1], r[2], r[3], datetime.fromisoformat(r[4]))
            for r in await self._db.fetchall(_BRANCH_DOCUMENTS.format(marks=marks), chunk):
                recorded = datetime.fromisoformat(r[6])
                documents.setdefault(r[0], []).append(
                    DocumentOnFile(r[1], rows.day(r[2]), rows.day(r[3]), r[4], r[5], recorded, r[7])
                )
        return {
            n: CorrectionsOnFile(n, phones.get(n), tuple(documents.get(n, ())))
            for n in sorted(phones.keys() | documents.keys())
        }

    async def _corrected_ids(self) -> set[str]:
        """Everyone with a phone changed at the console or a document seen at a branch."""
        marks = []
        for sql, mark in zip((_CHANGES_SINCE, _BRANCH_SINCE), self._read_up_to, strict=True):
            newest = mark
            for row_id, national_id in await self._db.fetchall(sql, (mark,)):
                newest = max(newest, int(row_id or 0))
                if national_id is not None:
                    self._corrected.add(national_id)
            marks.append(newest)
        self._read_up_to = (marks[0], marks[1])
        return self._corrected

    @unavailable
    async def people_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[Person]:
        """Persons born on ``birth_date`` whose family name reads as ``family_name``."""
        key = name_key(family_name)
        if not key:
            return []
        found = await self._db.fetchall(
            f"SELECT {_PERSON_COLUMNS} FROM person WHERE birth_date = ?"
            " ORDER BY position, national_id",
            (birth_date.isoformat(),),
        )
        return [rows.person(r) for r in found if name_key(r[2]) == key][:limit]
