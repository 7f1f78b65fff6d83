"""The SQLite store on real files: migrations, WAL, registry upserts and family look-ups."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.adapters.sqlite.migrate import migrate, shipped_migrations
from eligibility_gw.domain.model import CoverPeriod, Document, MaritalStatus, Sex
from eligibility_gw.ports import RegistryRow
from tests.conftest import ir_id

PRINCIPAL = ir_id(1)
SPOUSE = ir_id(2)
SON = ir_id(3)
DAUGHTER = ir_id(4)
OTHER_PRINCIPAL = ir_id(5)


def _query(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Read with a plain sqlite3 connection of its own, as another process would."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql, params).fetchall())
    finally:
        conn.close()


def _principal(national_id: str = PRINCIPAL, **changes: object) -> RegistryRow:
    row = RegistryRow(
        national_id=national_id,
        given_name="Ali",
        family_name="Rezaei",
        birth_date=date(1980, 3, 1),
        sex="M",
        phone="+989121110001",
        relationship="self",
        principal_id=None,
        cover_start=date(2024, 1, 1),
        cover_end=date(2027, 12, 31),
        marital_status="married",
        student_until=None,
        birth_certificate_seen=None,
        disabled=False,
        has_income=False,
        other_insurer=None,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def _dependent(
    national_id: str, relationship: str, principal_id: str = PRINCIPAL, **changes: object
) -> RegistryRow:
    row = _principal(
        national_id,
        given_name="Maryam",
        sex="F",
        phone=None,
        relationship=relationship,
        principal_id=principal_id,
        cover_start=None,
        cover_end=None,
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def _family_rows() -> list[RegistryRow]:
    return [
        _principal(),
        _dependent(SPOUSE, "spouse", birth_date=date(1982, 5, 5), has_income=None),
        _dependent(
            SON,
            "child",
            given_name="Reza",
            sex="M",
            birth_date=date(2006, 1, 1),
            marital_status="single",
            student_until=date(2027, 6, 30),
        ),
        _dependent(
            DAUGHTER,
            "child",
            given_name="Sara",
            birth_date=date(2006, 9, 9),
            marital_status="single",
            birth_certificate_seen=True,
            disabled=None,
        ),
    ]


async def test_migrations_apply_once_and_reopen_cleanly(db_path: Path) -> None:
    store = await open_sqlite_store(db_path)
    await store.close()
    first = _query(db_path, "SELECT version, name, applied_at FROM schema_migration")

    reopened = await open_sqlite_store(db_path)  # must not try to create the tables again
    await reopened.close()
    again = _query(db_path, "SELECT version, name, applied_at FROM schema_migration")

    versions = sorted(int(str(v)) for v, _, _ in again)
    assert 1 in versions
    assert versions == [m.version for m in shipped_migrations()]
    assert again == first  # nothing applied twice, nothing re-recorded
    names = {r[0] for r in _query(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"person", "cover_period", "document", "provider", "answer_log"} <= names

    async with aiosqlite.connect(db_path) as conn:
        assert await migrate(conn) == []


async def test_concurrent_opens_of_a_new_file_migrate_it_once(tmp_path: Path) -> None:
    # Several workers starting at once on a fresh file (serve --workers N).
    path = tmp_path / "fresh.sqlite3"
    stores = await asyncio.gather(*(open_sqlite_store(path) for _ in range(4)))
    for store in stores:
        assert await store.ping()
        await store.close()
    versions = [int(str(r[0])) for r in _query(path, "SELECT version FROM schema_migration")]
    assert sorted(versions) == [m.version for m in shipped_migrations()]


async def test_wal_mode_and_foreign_keys(sqlite_store: SqliteStore, db_path: Path) -> None:
    assert _query(db_path, "PRAGMA journal_mode") == [("wal",)]
    await sqlite_store.registry.upsert_rows(_family_rows())
    # WAL: a second connection reads committed rows while the store's connections are open.
    assert _query(db_path, "SELECT count(*) FROM person") == [(4,)]


async def test_upsert_then_find_family(sqlite_store: SqliteStore) -> None:
    registry = sqlite_store.registry
    await registry.upsert_rows(_family_rows())
    assert await registry.count_people() == 4

    for asked in (PRINCIPAL, SPOUSE, SON, DAUGHTER):
        family = await registry.find_family(asked)
        assert family is not None, asked
        assert family.principal.national_id == PRINCIPAL
        assert [p.national_id for p in family.dependents] == [SPOUSE, SON, DAUGHTER]

    family = await registry.find_family(SON)
    assert family is not None
    principal = family.principal
    assert principal.is_principal
    assert principal.cover_periods == (CoverPeriod(date(2024, 1, 1), date(2027, 12, 31)),)
    assert principal.phone == "+989121110001"
    assert principal.sex is Sex.MALE
    assert principal.marital_status is MaritalStatus.MARRIED
    assert principal.disabled is False
    assert principal.has_income is False

    spouse, son, daughter = family.dependents
    assert spouse.principal_id == PRINCIPAL
    assert spouse.cover_periods == ()  # cover periods belong to the principal only
    assert spouse.has_income is None  # unknown stays unknown
    assert son.documents == (Document("student_certificate", None, date(2027, 6, 30), "registry"),)
    assert daughter.documents == (Document("birth_certificate", None, None, "registry"),)
    assert daughter.disabled is None
    assert daughter.birth_date == date(2006, 9, 9)


async def test_families_do_not_mix(sqlite_store: SqliteStore) -> None:
    other = ir_id(6)
    await sqlite_store.registry.upsert_rows(
        [
            *_family_rows(),
            _principal(OTHER_PRINCIPAL, family_name="Karimi", phone="+989121110002"),
            _dependent(other, "spouse", principal_id=OTHER_PRINCIPAL),
        ]
    )
    family = await sqlite_store.registry.find_family(other)
    assert family is not None
    assert family.principal.national_id == OTHER_PRINCIPAL
    assert [p.national_id for p in family.members] == [OTHER_PRINCIPAL, other]


async def test_reupsert_updates_and_clears_registry_documents(sqlite_store: SqliteStore) -> None:
    registry = sqlite_store.registry
    await registry.upsert_rows(_family_rows())
    await registry.upsert_rows(
        [
            _principal(given_name="Aly", cover_end=date(2028, 6, 30), phone="+989121119999"),
            _dependent(
                SON,
                "child",
                given_name="Reza",
                sex="M",
                birth_date=date(2006, 1, 1),
                marital_status="married",
                student_until=None,
            ),
            _dependent(
                DAUGHTER,
                "child",
                given_name="Sara",
                birth_date=date(2006, 9, 9),
                birth_certificate_seen=False,
            ),
        ]
    )
    assert await registry.count_people() == 4  # updated in place, not duplicated

    family = await registry.find_family(PRINCIPAL)
    assert family is not None
    assert family.principal.given_name == "Aly"
    assert family.principal.phone == "+989121119999"
    # Same start date: the period is updated, not doubled.
    assert family.principal.cover_periods == (CoverPeriod(date(2024, 1, 1), date(2028, 6, 30)),)
    son = family.member(SON)
    daughter = family.member(DAUGHTER)
    assert son is not None and daughter is not None
    assert son.marital_status is MaritalStatus.MARRIED
    assert son.documents == ()  # student_until cleared: the registry certificate is gone
    assert daughter.documents == ()
    # Registry order is kept across updates.
    assert [p.national_id for p in family.dependents] == [SPOUSE, SON, DAUGHTER]


async def test_documents_recorded_at_a_branch_survive_reimport(
    sqlite_store: SqliteStore,
) -> None:
    await sqlite_store.registry.upsert_rows(_family_rows())
    await sqlite_store.execute_raw(
        "INSERT INTO document (person_id, kind, valid_until, source, recorded_by, recorded_at)"
        " VALUES (?, 'student_certificate', '2027-01-31', 'branch', 'clerk-7', '2026-01-01')",
        (DAUGHTER,),
    )
    await sqlite_store.registry.upsert_rows(_family_rows())
    family = await sqlite_store.registry.find_family(DAUGHTER)
    assert family is not None
    daughter = family.member(DAUGHTER)
    assert daughter is not None
    assert sorted((d.kind, d.source) for d in daughter.documents) == [
        ("birth_certificate", "registry"),
        ("student_certificate", "branch"),
    ]


async def test_unknown_id_finds_no_family(sqlite_store: SqliteStore) -> None:
    await sqlite_store.registry.upsert_rows(_family_rows())
    assert await sqlite_store.registry.find_family(ir_id(999)) is None
    assert await sqlite_store.registry.find_family("") is None


async def test_people_by_phone(sqlite_store: SqliteStore) -> None:
    shared = "+989121234567"
    await sqlite_store.registry.upsert_rows(
        [
            *_family_rows(),
            _principal(OTHER_PRINCIPAL, phone=shared),
            _dependent(ir_id(7), "parent", principal_id=OTHER_PRINCIPAL, phone=shared),
        ]
    )
    found = await sqlite_store.registry.people_by_phone(shared)
    assert [p.national_id for p in found] == [OTHER_PRINCIPAL, ir_id(7)]
    own = await sqlite_store.registry.people_by_phone("+989121110001")
    assert [p.national_id for p in own] == [PRINCIPAL]
    assert own[0].cover_periods == ()  # a phone look-up lists people, not their cover
    assert await sqlite_store.registry.people_by_phone("+40721000001") == []


async def test_principals_known(sqlite_store: SqliteStore) -> None:
    await sqlite_store.registry.upsert_rows(_family_rows())
    known = await sqlite_store.registry.principals_known([PRINCIPAL, SPOUSE, ir_id(999)])
    assert known == {PRINCIPAL}  # a dependent is not a principal; an unknown id is nobody


async def test_family_with_several_periods_and_documents_in_order(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    """Periods come in date order for the principal only; each member keeps its documents."""
    await sqlite_store.registry.upsert_rows(_family_rows())
    await sqlite_store.registry.upsert_rows([_principal(cover_start=date(2020, 1, 1))])
    await sqlite_store.execute_raw(
        "INSERT INTO document (person_id, kind, valid_from, valid_until, source, recorded_at)"
        " VALUES (?, 'student_certificate', '2025-09-01', '2026-08-31', 'branch', '2025-09-02')",
        (SON,),
    )
    family = await sqlite_store.registry.find_family(DAUGHTER)
    assert family is not None
    assert [p.start for p in family.principal.cover_periods] == [
        date(2020, 1, 1),
        date(2024, 1, 1),
    ]
    spouse, son, daughter = family.dependents
    assert spouse.documents == ()
    assert son.documents == (
        Document("student_certificate", None, date(2027, 6, 30), "registry"),
        Document("student_certificate", date(2025, 9, 1), date(2026, 8, 31), "branch"),
    )
    assert daughter.cover_periods == ()


class _LockedConnection:
    """A connection that finds the database locked, as during another process's recovery."""

    def __init__(self) -> None:
        self.tries = 0

    def execute(self, _sql: str, _params: object = ()) -> sqlite3.Cursor:
        self.tries += 1
        raise sqlite3.OperationalError("database is locked")


async def test_a_locked_database_is_read_in_the_readers_thread(
    sqlite_store: SqliteStore,
) -> None:
    """Reads on the loop never wait: when the file is locked they are retried off the loop."""
    await sqlite_store.registry.upsert_rows(_family_rows())
    quick_before = await sqlite_store.registry.find_family(SON)
    locked = _LockedConnection()
    quick = sqlite_store.db.quick
    real, quick._conn = quick._conn, locked  # type: ignore[assignment]
    try:
        family = await sqlite_store.registry.find_family(SON)
    finally:
        quick._conn = real
    assert locked.tries == 1
    assert family == quick_before


async def test_reads_on_the_loop_see_the_log_s_commits_without_a_memory_map(
    sqlite_store: SqliteStore,
) -> None:
    """The loop's reader does not map the file: the answer log commits to it all the time,
    and a mapped reader faults its pages in again after every commit (lookups 2-3x slower
    under load). Its own page cache keeps the hot pages; what it reads stays current."""
    quick = sqlite_store.db.quick
    assert quick._conn.execute("PRAGMA mmap_size").fetchone() == (0,)
    assert quick._conn.execute("PRAGMA cache_size").fetchone() == (-65536,)
    await sqlite_store.registry.upsert_rows(_family_rows())
    assert await sqlite_store.registry.find_family(SON) is not None


async def test_a_provider_found_by_key_is_kept_briefly(
    sqlite_store: SqliteStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changes through the store count at once; another process's within the keeping time."""
    from eligibility_gw.adapters.sqlite import providers as sqlite_module
    from eligibility_gw.domain.provider import ProviderKind

    now = [1000.0]
    monkeypatch.setattr(sqlite_module, "clock", lambda: now[0])
    providers = sqlite_store.providers
    assert await providers.by_key_hash("k" * 64) is None
    await providers.add("ph-1", "Pharmacy", ProviderKind.PHARMACY, None, "k" * 64)
    found = await providers.by_key_hash("k" * 64)  # unknown keys were not kept
    assert found is not None and found.active

    await providers.set_active("ph-1", False)  # through this store: at once
    found = await providers.by_key_hash("k" * 64)
    assert found is not None and not found.active

    other = sqlite3.connect(db_path, isolation_level=None)  # another process reactivates
    other.execute("UPDATE provider SET active = 1 WHERE provider_id = 'ph-1'")
    other.close()
    found = await providers.by_key_hash("k" * 64)
    assert found is not None and not found.active  # still the kept answer
    now[0] += sqlite_module.KEY_CACHE_SECONDS + 0.01
    found = await providers.by_key_hash("k" * 64)
    assert found is not None and found.active
