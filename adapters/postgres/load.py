"""Registry imports into PostgreSQL: one transaction, COPY straight into an empty registry.

A load decides how to write when it first touches the store:

* **fresh** (``person`` is empty): the foreign keys of ``person``, ``cover_period`` and
  ``document`` are dropped, each batch is COPYed (binary) straight into the three tables,
  and at the end the keys are added back from their saved definitions, which checks every
  reference once, in one join, instead of once per row in a trigger (which would be most of
  the server's work). Indexes stay: keeping them up costs the server little while the importer
  reads the next batch. The tables are locked against readers until the load commits:
  nobody can have been answered from an empty registry anyway.
* **staged** (a re-import): batches are COPYed into a temporary table; at the end a few
  set-based statements write the rows that are new or differ from what is stored, and leave
  the others (and their ``updated_at``) alone. Readers see the old registry until the commit.

Either way the result is that of ``upsert_rows`` on every batch in turn, made visible at once.
``upsert_rows`` itself stages its rows and merges them with the same statements.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from datetime import date
from enum import Enum
from operator import attrgetter
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from asyncpg.transaction import Transaction

from eligibility_gw.ports import CorrectionsOnFile, PhoneCorrection, RegistryRow
from eligibility_gw.ports.casework import DocumentOnFile

Connection = asyncpg.Connection | PoolConnectionProxy

PERSON_COLUMNS = (
    "national_id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "relationship",
    "principal_id",
    "marital_status",
    "disabled",
    "has_income",
    "other_insurer",
    "category",
)
_STAGED_COLUMNS = (
    *PERSON_COLUMNS,
    "cover_start",
    "cover_end",
    "student_until",
    "birth_certificate_seen",
    "keep_phone",
    "privileges",
    "documents",
)
_person_values = attrgetter(*PERSON_COLUMNS, "phone")  # the phone twice: the registry's too
_row_values = attrgetter(*_STAGED_COLUMNS[:-2])
_REGISTRY_TABLES = ["person", "cover_period", "document", "privilege"]
#: Documents of kinds without a column of their own: an import replaces a person's.
_OTHER_KINDS = "kind NOT IN ('student_certificate', 'birth_certificate')"


def _privileges_json(row: RegistryRow) -> str | None:
    if not row.privileges:
        return None
    return json.dumps(
        [[p.kind, p.valid_until.isoformat() if p.valid_until else None] for p in row.privileges]
    )


def _documents_json(row: RegistryRow) -> str | None:
    if not row.documents:
        return None
    return json.dumps(
        [
            [
                d.kind,
                d.valid_from.isoformat() if d.valid_from else None,
                d.valid_until.isoformat() if d.valid_until else None,
            ]
            for d in row.documents
        ]
    )


def _staged_values(row: RegistryRow) -> tuple[Any, ...]:
    """A row as staged: its columns, then its privileges and other documents as JSON."""
    return (*_row_values(row), _privileges_json(row), _documents_json(row))


_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS registry_import (seq BIGINT GENERATED ALWAYS AS IDENTITY,"
    " national_id TEXT, given_name TEXT, family_name TEXT, birth_date DATE, sex TEXT,"
    " phone TEXT, relationship TEXT, principal_id TEXT, marital_status TEXT, disabled BOOLEAN,"
    " has_income BOOLEAN, other_insurer TEXT, category TEXT, cover_start DATE, cover_end DATE,"
    " student_until DATE, birth_certificate_seen BOOLEAN, keep_phone BOOLEAN,"
    " privileges TEXT, documents TEXT)"
    " ON COMMIT DELETE ROWS"
)

_P = ", ".join((*PERSON_COLUMNS, "registry_phone"))
#: A staged row's values as written: the file's phone is the registry's number, and the phone
#: on file unless the row keeps a correction made at the console.
_WRITTEN = (
    *(
        "CASE WHEN i.keep_phone THEN p.phone ELSE i.phone END" if c == "phone" else f"i.{c}"
        for c in PERSON_COLUMNS
    ),
    "i.phone",
)
_STORED = ", ".join(f"p.{c}" for c in (*PERSON_COLUMNS[1:], "registry_phone"))
_GIVEN = ", ".join(_WRITTEN[1:])
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*PERSON_COLUMNS[1:], "registry_phone"))

#: Staged rows into the registry, in staging order (new persons' ``position`` follows it).
#: Only rows that are new or differ are written, so an unchanged re-import writes nothing.
_MERGE = (
    # A temporary table has no statistics: without them the joins plan as nested loops.
    "ANALYZE registry_import",
    # The joins of a whole registry hash in memory instead of spilling to disk (this
    # transaction only).
    "SET LOCAL work_mem = '256MB'",
    # Imports merge one at a time; readers go on, other writers wait for the merge.
    "LOCK TABLE person IN SHARE ROW EXCLUSIVE MODE",
    f"INSERT INTO person ({_P}) SELECT {', '.join(_WRITTEN)}"
    " FROM registry_import i LEFT JOIN person p ON p.national_id = i.national_id"
    f" WHERE p.national_id IS NULL OR ({_STORED}) IS DISTINCT FROM ({_GIVEN})"
    f" ORDER BY i.seq ON CONFLICT (national_id) DO UPDATE SET {_SET}, updated_at = now()",
    "INSERT INTO cover_period (person_id, start_date, end_date)"
    " SELECT i.national_id, i.cover_start, i.cover_end FROM registry_import i"
    " LEFT JOIN cover_period c ON c.person_id = i.national_id AND c.start_date = i.cover_start"
    " WHERE i.cover_start IS NOT NULL AND i.cover_end IS NOT NULL"
    " AND c.end_date IS DISTINCT FROM i.cover_end ORDER BY i.seq"
    " ON CONFLICT (person_id, start_date) DO UPDATE SET end_date = EXCLUDED.end_date",
    "INSERT INTO document (person_id, kind, valid_until, source)"
    " SELECT i.national_id, 'student_certificate', i.student_until, 'registry'"
    " FROM registry_import i LEFT JOIN document d ON d.person_id = i.national_id"
    " AND d.kind = 'student_certificate' AND d.source = 'registry'"
    " WHERE i.student_until IS NOT NULL"
    " AND (d.id IS NULL OR d.valid_until IS DISTINCT FROM i.student_until) ORDER BY i.seq"
    " ON CONFLICT (person_id, kind) WHERE source = 'registry'"
    " DO UPDATE SET valid_until = EXCLUDED.valid_until",
    "DELETE FROM document d USING registry_import i WHERE d.person_id = i.national_id"
    " AND d.kind = 'student_certificate' AND d.source = 'registry' AND i.student_until IS NULL",
    "INSERT INTO document (person_id, kind, source)"
    " SELECT i.national_id, 'birth_certificate', 'registry' FROM registry_import i"
    " WHERE i.birth_certificate_seen AND NOT EXISTS (SELECT FROM document d"
    " WHERE d.person_id = i.national_id AND d.kind = 'birth_certificate'"
    " AND d.source = 'registry') ORDER BY i.seq"
    " ON CONFLICT (person_id, kind) WHERE source = 'registry' DO NOTHING",
    "DELETE FROM document d USING registry_import i WHERE d.person_id = i.national_id"
    " AND d.kind = 'birth_certificate' AND d.source = 'registry'"
    " AND NOT coalesce(i.birth_certificate_seen, FALSE)",
    # Privileges and the other registry documents: the file's replace those on file.
    "DELETE FROM privilege p USING registry_import i WHERE p.person_id = i.national_id",
    "INSERT INTO privilege (person_id, kind, valid_until)"
    " SELECT i.national_id, e ->> 0, (e ->> 1)::date FROM registry_import i"
    " CROSS JOIN LATERAL json_array_elements(i.privileges::json) AS e"
    " WHERE i.privileges IS NOT NULL ORDER BY i.seq",
    "DELETE FROM document d USING registry_import i WHERE d.person_id = i.national_id"
    f" AND d.source = 'registry' AND d.{_OTHER_KINDS}",
    "INSERT INTO document (person_id, kind, valid_from, valid_until, source)"
    " SELECT i.national_id, e ->> 0, (e ->> 1)::date, (e ->> 2)::date, 'registry'"
    " FROM registry_import i CROSS JOIN LATERAL json_array_elements(i.documents::json) AS e"
    " WHERE i.documents IS NOT NULL ORDER BY i.seq",
)

#: What a fresh load drops and adds back: every foreign key of the registry tables.
_FOREIGN_KEYS = """
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
              pg_get_constraintdef(oid))
FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[])
ORDER BY conrelid, conname
"""


async def stage(conn: Connection, rows: Sequence[RegistryRow], create: bool = True) -> None:
    """COPY rows into the connection's staging table (in a transaction: it empties on commit)."""
    if create:
        await conn.execute(_STAGING)
    await conn.copy_records_to_table(
        "registry_import", records=map(_staged_values, rows), columns=_STAGED_COLUMNS
    )


async def merge_staged(conn: Connection) -> None:
    """Write the staged rows into the registry (in the transaction that staged them)."""
    for statement in _MERGE:
        await conn.execute(statement)


class LoadMode(Enum):
    """How a load writes, decided when it first touches the store."""

    FRESH = "fresh"
    STAGED = "staged"


class PostgresRegistryLoad:
    """One import on one connection and in one transaction (``ports.RegistryLoad``)."""

    def __init__(self, conn: Connection, allow_fresh: bool = True) -> None:
        self._conn = conn
        self._allow_fresh = allow_fresh
        # The importer may ask about principals while a batch is being written.
        self._lock = asyncio.Lock()
        self._transaction: Transaction | None = None
        self._keys_to_add: list[str] = []
        self.mode: LoadMode | None = None

    async def _begin(self) -> None:
        if self.mode is not None:
            return
        conn = self._conn
        empty = self._allow_fresh and not await conn.fetchval("SELECT EXISTS (SELECT FROM person)")
        self._transaction = conn.transaction()
        await self._transaction.start()
        if empty:
            await conn.execute(
                "LOCK TABLE person, cover_period, document, privilege IN ACCESS EXCLUSIVE MODE"
            )
            # Another import may have committed rows before the lock was granted.
            if not await conn.fetchval("SELECT EXISTS (SELECT FROM person)"):
                self._keys_to_add = await _drop_foreign_keys(conn)
                self.mode = LoadMode.FRESH
                return
            await self._transaction.rollback()
            self._transaction = conn.transaction()
            await self._transaction.start()
        await conn.execute(_STAGING)
        self.mode = LoadMode.STAGED

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of ``national_ids`` are principals in the store, as this load sees it."""
        async with self._lock:
            await self._begin()
            rows = await self._conn.fetch(
                "SELECT national_id FROM person WHERE national_id = ANY($1::text[])"
                " AND principal_id IS NULL",
                list(national_ids),
            )
        return {r["national_id"] for r in rows}

    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Corrections on file for these persons (none while loading an empty registry)."""
        async with self._lock:
            await self._begin()
            if self.mode is LoadMode.FRESH:
                return {}
            return await corrections_on_file(self._conn, national_ids)

    async def write(self, rows: Sequence[RegistryRow]) -> None:
        """COPY a batch: into the registry's tables when fresh, else into the staging table."""
        async with self._lock:
            await self._begin()
            if self.mode is LoadMode.STAGED:
                await stage(self._conn, rows, create=False)
            else:
                await _copy_fresh(self._conn, rows)

    async def commit(self) -> None:
        """Finish the load (merge, or add the keys back) and commit it."""
        async with self._lock:
            if self._transaction is None:
                return
            conn = self._conn
            if self.mode is LoadMode.STAGED:
                await merge_staged(conn)
            else:
                for statement in self._keys_to_add:
                    await conn.execute(statement)
                # The planner must not find a million rows it has never seen.
                await conn.execute("ANALYZE person, cover_period, document, privilege")
            await self._transaction.commit()
            self._transaction = None

    async def rollback(self) -> None:
        """Undo everything the load did (the dropped keys come back with it)."""
        if self._transaction is None:
            return
        transaction, self._transaction = self._transaction, None
        # On a broken connection there is nothing to undo: the pool will discard it.
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            await transaction.rollback()


async def corrections_on_file(
    conn: Connection, national_ids: Sequence[str]
) -> dict[str, CorrectionsOnFile]:
    """Phone corrections still on file (the latest change's number is the phone on file and
    differs from the registry's) and documents seen at a branch, by national id."""
    ids = list(national_ids)
    phones = {
        r["national_id"]: PhoneCorrection(
            r["phone"], r["registry_phone"], r["changed_by"], r["changed_at"]
        )
        for r in await conn.fetch(
            "SELECT DISTINCT ON (c.national_id) p.national_id, p.phone, p.registry_phone,"
            " c.changed_by, c.changed_at, c.new_phone"
            " FROM console_phone_change c JOIN person p ON p.national_id = c.national_id"
            " WHERE c.national_id = ANY($1::text[]) ORDER BY c.national_id, c.id DESC",
            ids,
        )
        if r["phone"] == r["new_phone"] and r["registry_phone"] != r["phone"]
    }
    documents: dict[str, list[DocumentOnFile]] = {}
    for r in await conn.fetch(
        "SELECT person_id, kind, valid_from, valid_until, source, recorded_by, recorded_at, note"
        " FROM document WHERE source = 'branch' AND person_id = ANY($1::text[]) ORDER BY id",
        ids,
    ):
        documents.setdefault(r["person_id"], []).append(
            DocumentOnFile(
                r["kind"],
                r["valid_from"],
                r["valid_until"],
                r["source"],
                r["recorded_by"],
                r["recorded_at"],
                r["note"],
            )
        )
    return {
        n: CorrectionsOnFile(n, phones.get(n), tuple(documents.get(n, ())))
        for n in sorted(phones.keys() | documents.keys())
    }


async def _drop_foreign_keys(conn: Connection) -> list[str]:
    """Drop the registry's foreign keys; return the statements that add them back.

    A role that does not own the tables keeps them: the load is then slower, not wrong.
    """
    found = await conn.fetch(_FOREIGN_KEYS, _REGISTRY_TABLES)
    try:
        async with conn.transaction():
            for drop, _ in found:
                await conn.execute(drop)
    except asyncpg.InsufficientPrivilegeError:
        return []
    return [add for _, add in found]


async def _copy_fresh(conn: Connection, rows: Sequence[RegistryRow]) -> None:
    periods = [
        (r.national_id, r.cover_start, r.cover_end)
        for r in rows
        if r.cover_start is not None and r.cover_end is not None
    ]
    documents: list[tuple[str, str, date | None, date | None, str]] = []
    held: list[tuple[str, str, date | None]] = []
    for r in rows:
        if r.student_until is not None:
            documents.append(
                (r.national_id, "student_certificate", None, r.student_until, "registry")
            )
        if r.birth_certificate_seen:
            documents.append((r.national_id, "birth_certificate", None, None, "registry"))
        documents.extend(
            (r.national_id, d.kind, d.valid_from, d.valid_until, "registry") for d in r.documents
        )
        held.extend((r.national_id, p.kind, p.valid_until) for p in r.privileges)
    await conn.copy_records_to_table(
        "person", records=map(_person_values, rows), columns=(*PERSON_COLUMNS, "registry_phone")
    )
    if periods:
        await conn.copy_records_to_table(
            "cover_period", records=periods, columns=("person_id", "start_date", "end_date")
        )
    if documents:
        await conn.copy_records_to_table(
            "document",
            records=documents,
            columns=("person_id", "kind", "valid_from", "valid_until", "source"),
        )
    if held:
        await conn.copy_records_to_table(
            "privilege", records=held, columns=("person_id", "kind", "valid_until")
        )
