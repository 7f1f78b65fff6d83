"""Registry imports into PostgreSQL: a fresh load and a re-import give what batch upserts give.

A fresh load (empty registry) COPYs straight into the tables with their foreign keys
dropped and added back at the end; a re-import stages its rows and writes only what
changed. Both must leave exactly what the SQLite store's batch upserts leave.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from eligibility_gw.adapters.postgres import PostgresStore
from eligibility_gw.adapters.postgres.load import LoadMode
from eligibility_gw.adapters.sqlite import SqliteStore
from eligibility_gw.domain.model import CoverPeriod, Document, Family
from eligibility_gw.importer import ImportReport, import_registry
from eligibility_gw.ports import Registry, RegistryRow
from eligibility_gw.registry_csv import COLUMNS, RowReader, column_positions
from tests.conftest import (
    CsvRow,
    dependent_csv_row,
    ir_id,
    ir_pack,
    principal_csv_row,
    write_registry_csv,
)
from tests.contract.stores import postgres_backend, postgres_reachable

TODAY = date(2026, 11, 23)
PRINCIPAL_REASON = "principal_id is not the national id of an insured principal"


@pytest.fixture
async def pg_store() -> AsyncIterator[PostgresStore]:
    """A PostgreSQL store on a schema of its own, dropped afterwards."""
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    async with postgres_backend() as backend:
        assert isinstance(backend.store, PostgresStore)
        yield backend.store


@pytest.fixture
async def other_pg_store() -> AsyncIterator[PostgresStore]:
    """A second PostgreSQL store, to compare two ways of loading the same rows."""
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    async with postgres_backend() as backend:
        assert isinstance(backend.store, PostgresStore)
        yield backend.store


async def _import(path: Path, registry: Registry, batch_size: int = 20_000) -> ImportReport:
    return await import_registry(
        path, registry, ir_pack(), TODAY, progress=False, batch_size=batch_size
    )


def _families_csv(families: int = 40) -> list[CsvRow]:
    """Families with every kind of cell; every third family lists its dependents first."""
    rows: list[CsvRow] = []
    for f in range(families):
        p = ir_id(1000 + f * 10)
        principal = principal_csv_row(
            p,
            given_name=f"Principal{f}",
            phone=f"+98912{f:07d}" if f % 2 else "",
            cover_start=f"20{20 + f % 5}-01-01",
            cover_end=f"20{27 + f % 5}-06-30",
            has_income="yes" if f % 4 == 0 else "no",
            other_insurer="IHIO" if f % 7 == 0 else "",
        )
        dependents = [
            dependent_csv_row(
                ir_id(1000 + f * 10 + k),
                p,
                given_name=f"Child{f}-{k}",
                birth_date=f"200{k}-0{k}-1{k}",
                student_until="2027-06-30" if k == 1 else "",
                birth_certificate_seen="yes" if k in (1, 2) else ("no" if k == 3 else ""),
                disabled="yes" if (f, k) == (3, 3) else "",
                marital_status="married" if k == 3 else "single",
            )
            for k in range(1, 1 + f % 4)
        ]
        rows += [*dependents, principal] if f % 3 == 0 else [principal, *dependents]
    return rows


def _registry_rows(rows: list[CsvRow]) -> list[RegistryRow]:
    """The rows as the importer checks them (principals first, as the importer writes)."""
    parse = RowReader(column_positions(list(COLUMNS)), ir_pack(), TODAY).parse
    checked = [parse([r.get(c, "") for c in COLUMNS]) for r in rows]
    return sorted(checked, key=lambda r: r.principal_id is not None)


async def _families(registry: Registry, ids: list[str]) -> list[Family | None]:
    return [await registry.find_family(i) for i in ids]


async def _dump(store: PostgresStore) -> dict[str, list[tuple[Any, ...]]]:
    """The registry's contents without surrogate keys and timestamps, in a fixed order."""
    async with store.pool.acquire() as conn:
        people = await conn.fetch(
            "SELECT national_id, given_name, family_name, birth_date, sex, phone, relationship,"
            " principal_id, marital_status, disabled, has_income, other_insurer FROM person"
            " ORDER BY position"
        )
        periods = await conn.fetch(
            "SELECT person_id, start_date, end_date, source FROM cover_period"
            " ORDER BY person_id, start_date"
        )
        documents = await conn.fetch(
            "SELECT person_id, kind, valid_from, valid_until, source, recorded_by, note"
            " FROM document ORDER BY person_id, id"
        )
    return {
        "person": [tuple(r) for r in people],
        "cover_period": [tuple(r) for r in periods],
        "document": [tuple(r) for r in documents],
    }


async def _schema(store: PostgresStore) -> list[tuple[str, str]]:
    """Every index and constraint of the registry tables, by name and definition."""
    async with store.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename IN ('person', 'cover_period', 'document')"
            " UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid IN ('person'::regclass, 'cover_period'::regclass,"
            " 'document'::regclass) ORDER BY 1, 2"
        )
    return [(r[0], r[1]) for r in rows]


async def _positions(store: PostgresStore) -> dict[str, int]:
    async with store.pool.acquire() as conn:
        rows = await conn.fetch("SELECT national_id, position FROM person")
    return {r["national_id"]: r["position"] for r in rows}


async def _updated_at(store: PostgresStore) -> dict[str, Any]:
    async with store.pool.acquire() as conn:
        rows = await conn.fetch("SELECT national_id, updated_at FROM person")
    return {r["national_id"]: r["updated_at"] for r in rows}


async def _load(
    store: PostgresStore, batches: list[list[RegistryRow]], then: Exception | None = None
) -> None:
    """Write ``batches`` in one load; raise ``then`` before the load ends, if given."""
    async with store.registry.load() as load:
        for batch in batches:
            await load.write(batch)
        if then is not None:
            raise then


# --- the two ways of loading -------------------------------------------------------------


async def test_fresh_and_staged_loads_leave_the_same_registry(
    pg_store: PostgresStore, other_pg_store: PostgresStore
) -> None:
    rows = _registry_rows(_families_csv())
    batches = [rows[i : i + 17] for i in range(0, len(rows), 17)]
    async with pg_store.registry.load() as fresh:
        for batch in batches:
            await fresh.write(batch)
    assert fresh.mode is LoadMode.FRESH
    async with other_pg_store.registry.load(allow_fresh=False) as staged:
        for batch in batches:
            await staged.write(batch)
    assert staged.mode is LoadMode.STAGED

    contents = await _dump(pg_store)
    assert contents == await _dump(other_pg_store)
    assert len(contents["person"]) == len(rows)
    # Written in the order given: principals first, each family's members in file order.
    assert [p[0] for p in contents["person"]] == [r.national_id for r in rows]
    students = [d for d in contents["document"] if d[1] == "student_certificate"]
    assert students and all(d[3] == date(2027, 6, 30) for d in students)


async def test_a_fresh_load_adds_its_keys_back(pg_store: PostgresStore) -> None:
    before = await _schema(pg_store)
    assert any("FOREIGN KEY" in d for _, d in before)
    assert any(n == "document_registry" for n, _ in before)
    async with pg_store.registry.load() as load:
        await load.write(_registry_rows(_families_csv(5)))
    assert load.mode is LoadMode.FRESH
    assert await _schema(pg_store) == before
    async with pg_store.pool.acquire() as conn:
        # The keys are enforced again, and checked at once for what was loaded.
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                "INSERT INTO document (person_id, kind, source) VALUES ('nobody', 'x', 'branch')"
            )
        assert not await conn.fetchval(
            "SELECT EXISTS (SELECT FROM pg_constraint WHERE NOT convalidated AND conrelid IN"
            " ('person'::regclass, 'cover_period'::regclass, 'document'::regclass))"
        )


async def test_a_failed_fresh_load_leaves_nothing_behind(pg_store: PostgresStore) -> None:
    before = await _schema(pg_store)
    good = _registry_rows(_families_csv(3))
    assert good[-1].principal_id is not None
    orphan = replace(good[-1], national_id=ir_id(9999), principal_id=ir_id(8888))
    # A dependent whose principal nobody wrote: found when the keys are added back.
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await _load(pg_store, [good, [orphan]])
    assert await pg_store.registry.count_people() == 0
    assert await _schema(pg_store) == before

    with pytest.raises(RuntimeError, match="stop"):
        await _load(pg_store, [good], then=RuntimeError("stop"))
    assert await pg_store.registry.count_people() == 0
    assert await _schema(pg_store) == before


async def test_readers_see_a_reimport_only_when_it_commits(pg_store: PostgresStore) -> None:
    rows = _registry_rows(_families_csv(3))
    await pg_store.registry.upsert_rows(rows)
    principal = next(r for r in rows if r.principal_id is None)
    async with pg_store.registry.load() as load:
        await load.write([replace(principal, given_name="Renamed")])
        assert load.mode is LoadMode.STAGED
        family = await asyncio.wait_for(pg_store.registry.find_family(principal.national_id), 5)
        assert family is not None and family.principal.given_name == principal.given_name
    family = await pg_store.registry.find_family(principal.national_id)
    assert family is not None and family.principal.given_name == "Renamed"


# --- through the importer ----------------------------------------------------------------


async def test_import_gives_what_sqlite_gives(
    pg_store: PostgresStore, sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    csv_rows = _families_csv()
    path = write_registry_csv(tmp_path / "families.csv", csv_rows)
    principals = [r["national_id"] for r in csv_rows if not r["principal_id"]]
    for store in (sqlite_store, pg_store):
        report = await _import(path, store.registry, batch_size=7)
        assert (report.rows_imported, report.problems) == (len(csv_rows), [])
    assert await _families(pg_store.registry, principals) == await _families(
        sqlite_store.registry, principals
    )


async def test_reimport_writes_what_changed_and_only_that(
    pg_store: PostgresStore, sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    p, child, spouse = ir_id(1), ir_id(2), ir_id(3)
    first = [
        principal_csv_row(p, cover_end="2027-12-31"),
        dependent_csv_row(child, p, student_until="2027-06-30", birth_certificate_seen="yes"),
        *(principal_csv_row(ir_id(100 + k), given_name=f"Same{k}") for k in range(20)),
    ]
    second = [
        principal_csv_row(p, cover_end="2030-01-31"),  # a cover period's end moved
        dependent_csv_row(child, p, marital_status="married"),  # both certificates gone
        dependent_csv_row(spouse, p, relationship="spouse", birth_date="1982-01-01"),  # new
        *(principal_csv_row(ir_id(100 + k), given_name=f"Same{k}") for k in range(20)),
        principal_csv_row(ir_id(119), given_name="Changed"),  # refused: appears again
    ]
    v1 = write_registry_csv(tmp_path / "v1.csv", first)
    v2 = write_registry_csv(tmp_path / "v2.csv", second)
    for store in (sqlite_store, pg_store):
        await _import(v1, store.registry)
    stamped = await _updated_at(pg_store)
    positions_before = await _positions(pg_store)
    for store in (sqlite_store, pg_store):
        report = await _import(v2, store.registry)
        assert report.rows_imported == len(second) - 1
        assert [pr.line for pr in report.problems] == [len(second) + 1]

    family = await pg_store.registry.find_family(child)
    assert family is not None
    assert family == await sqlite_store.registry.find_family(child)
    assert family.principal.cover_periods == (CoverPeriod(date(2020, 1, 1), date(2030, 1, 31)),)
    assert [m.national_id for m in family.members] == [p, child, spouse]
    member = family.member(child)
    assert member is not None and member.documents == ()

    # Only persons whose own row changed get a new updated_at; a new person is appended.
    after = await _updated_at(pg_store)
    changed = {k for k in stamped if after[k] != stamped[k]}
    assert changed == {child}
    positions = await _positions(pg_store)
    assert {k: positions[k] for k in positions_before} == positions_before
    assert positions[spouse] > max(positions_before.values())

    # A third import with a certificate back: it is recorded again, nothing else moves.
    third = [dependent_csv_row(child, p, marital_status="married", birth_certificate_seen="yes")]
    await _import(write_registry_csv(tmp_path / "v3.csv", third), pg_store.registry)
    member = (await pg_store.registry.find_family(child) or family).member(child)
    assert member is not None
    assert member.documents == (Document("birth_certificate", None, None, "registry"),)
    assert (await _updated_at(pg_store))[p] == after[p]


#: One change per principal: (column, value before, value after, is it the person's row).
_CHANGES = [
    ("given_name", "Ali", "Aly", True),
    ("family_name", "Rezaei", "Rezai", True),
    ("birth_date", "1980-03-01", "1980-03-02", True),
    ("sex", "M", "F", True),
    ("phone", "", "+989121234567", True),
    ("phone", "+989121234567", "", True),
    ("marital_status", "married", "", True),
    ("disabled", "no", "yes", True),
    ("disabled", "no", "", True),
    ("has_income", "", "no", True),
    ("other_insurer", "", "IHIO", True),
    ("cover_end", "2099-12-31", "2098-12-31", False),
    ("cover_start", "2020-01-01", "2021-01-01", False),
    ("birth_certificate_seen", "", "yes", False),
    ("student_until", "2030-01-01", "", False),
    ("given_name", "Ali", "Ali", False),
]


async def test_a_change_in_any_column_is_written(
    pg_store: PostgresStore, sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    ids = [ir_id(200 + k) for k in range(len(_CHANGES))]
    before = [
        principal_csv_row(i, **{column: old})
        for i, (column, old, _, _) in zip(ids, _CHANGES, strict=True)
    ]
    after = [
        principal_csv_row(i, **{column: new})
        for i, (column, _, new, _) in zip(ids, _CHANGES, strict=True)
    ]
    for store in (sqlite_store, pg_store):
        await _import(write_registry_csv(tmp_path / "before.csv", before), store.registry)
    stamped = await _updated_at(pg_store)
    for store in (sqlite_store, pg_store):
        await _import(write_registry_csv(tmp_path / "after.csv", after), store.registry)
    assert await _families(pg_store.registry, ids) == await _families(sqlite_store.registry, ids)
    now = await _updated_at(pg_store)
    assert [now[i] != stamped[i] for i in ids] == [own for *_, own in _CHANGES]


@pytest.mark.parametrize("batch_size", [1, 2, 20_000])
async def test_dependents_before_their_principal_in_a_fresh_load(
    pg_store: PostgresStore, tmp_path: Path, batch_size: int
) -> None:
    p, child, child2, stranger = ir_id(1), ir_id(2), ir_id(3), ir_id(77)
    path = write_registry_csv(
        tmp_path / "order.csv",
        [
            dependent_csv_row(child, p),
            dependent_csv_row(child2, p, relationship="spouse", birth_date="1981-01-01"),
            principal_csv_row(ir_id(30)),
            principal_csv_row(p),
            dependent_csv_row(ir_id(5), stranger),  # line 6: never a principal
        ],
    )
    report = await _import(path, pg_store.registry, batch_size=batch_size)
    assert [pr.line for pr in report.problems] == [6]
    assert report.problems[0].reason.startswith(PRINCIPAL_REASON)
    assert report.rows_imported == 4
    family = await pg_store.registry.find_family(child)
    assert family is not None
    assert family.principal.national_id == p
    assert {m.national_id for m in family.dependents} == {child, child2}


async def test_a_principal_already_stored_can_be_referenced(
    pg_store: PostgresStore, tmp_path: Path
) -> None:
    p, child, child2 = ir_id(1), ir_id(2), ir_id(3)
    first = write_registry_csv(
        tmp_path / "first.csv", [principal_csv_row(p), dependent_csv_row(child, p)]
    )
    assert (await _import(first, pg_store.registry)).problems == []
    second = write_registry_csv(
        tmp_path / "second.csv",
        [dependent_csv_row(child2, p), dependent_csv_row(ir_id(4), child)],
    )
    report = await _import(second, pg_store.registry, batch_size=1)
    assert report.rows_imported == 1
    assert [pr.line for pr in report.problems] == [3]
    family = await pg_store.registry.find_family(p)
    assert family is not None
    assert [m.national_id for m in family.members] == [p, child, child2]
