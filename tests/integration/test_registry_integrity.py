"""Nothing wrong gets into the registry, and corrections made at the console stay in it.

Imports through the library on each store (SQLite, PostgreSQL, memory) and through the
command line: a row longer than its header is refused like a short one, ``other_insurer``
takes only the rule pack's codes, a provider's phone is never put on an insured person,
and a phone corrected at the console survives re-imports of a file that has not caught up
(the disagreement reported by line; ``--prefer-registry`` takes the file's).
"""

from __future__ import annotations

import asyncio
import csv
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.cli.main import main
from eligibility_gw.domain.model import ServiceSetting, Status
from eligibility_gw.importer import ImportProblem, ImportReport, import_registry
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports.casework import DocumentDraft
from eligibility_gw.registry_csv import COLUMNS
from tests.conftest import (
    MakeGateway,
    dependent_csv_row,
    ir_id,
    principal_csv_row,
    write_registry_csv,
)
from tests.contract.stores import postgres_reachable
from tests.gateway import TestGateway

P = ir_id(101)
DAUGHTER = ir_id(102)
OTHER = ir_id(103)
PHONE_A = "+989121230001"
PHONE_B = "+989121230002"
PHONE_C = "+989121230003"
PHONE_D = "+989121230004"
STORES = ["sqlite", "memory", "postgresql"]


def _store(kind: str) -> str:
    if kind == "postgresql" and not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    return kind


def _family_csv(path: Path, phone: str, made_ago: timedelta | None = None, **daughter: str) -> Path:
    """The principal ``P`` (phone ``phone``) and his daughter of 25 (line 3)."""
    write_registry_csv(
        path,
        [
            principal_csv_row(P, phone=phone),
            dependent_csv_row(
                DAUGHTER, P, birth_date="2001-02-03", marital_status="single", **daughter
            ),
        ],
    )
    if made_ago is not None:  # the registry made the file then
        stamp = time.time() - made_ago.total_seconds()
        os.utime(path, (stamp, stamp))
    return path


async def _import(
    gw: TestGateway, path: Path, *, prefer_registry: bool = False, **options: object
) -> ImportReport:
    return await import_registry(
        path,
        gw.store.registry,
        gw.gateway.pack,
        gw.settings.today(),
        progress=False,
        prefer_registry=prefer_registry,
        **options,  # type: ignore[arg-type]
    )


async def _phone_of(gw: TestGateway, national_id: str) -> str | None:
    family = await gw.store.registry.find_family(national_id)
    assert family is not None
    person = family.member(national_id)
    assert person is not None
    return person.phone


# --- what the file may hold -----------------------------------------------------------------


async def test_a_row_longer_than_its_header_is_refused_like_a_short_one(
    make_gateway: MakeGateway, tmp_path: Path
) -> None:
    """One stray comma after ``disabled`` shifted ``no`` into ``other_insurer``: before, the
    row was imported and inpatient answers claimed an overlap with insurer "no"."""
    gw = await make_gateway(seed_demo=False)
    path = tmp_path / "stray.csv"
    shifted = principal_csv_row(OTHER, disabled="no", has_income="no")
    cells = [shifted[c] for c in COLUMNS]
    at = COLUMNS.index("disabled") + 1
    cells.insert(at, "")  # disabled=no, has_income="", other_insurer="no", one field too many
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerow([principal_csv_row(P)[c] for c in COLUMNS])
        writer.writerow(cells)
        writer.writerow([principal_csv_row(ir_id(104), other_insurer="no")[c] for c in COLUMNS])
        writer.writerow([principal_csv_row(ir_id(105), other_insurer="ihio")[c] for c in COLUMNS])
    report = await _import(gw, path)
    assert report.problems == [
        ImportProblem(3, "17 fields, expected 16"),
        ImportProblem(4, "other_insurer 'no' is not one of IHIO, AFMSIO, IKRF (or empty)"),
    ]
    assert report.rows_imported == 2
    assert await gw.store.registry.find_family(OTHER) is None
    family = await gw.store.registry.find_family(ir_id(105))
    assert family is not None and family.principal.other_insurer == "IHIO"
    shown = await gw.inquiries.ask(
        Asker.for_operator(), OTHER, setting=ServiceSetting.INPATIENT.value
    )
    assert shown.status is Status.NOT_ELIGIBLE  # not on file: nobody's overlap with "no"


async def test_a_providers_phone_is_never_put_on_an_insured_person(
    make_gateway: MakeGateway, tmp_path: Path
) -> None:
    gw = await make_gateway(seed_demo=False)
    path = _family_csv(tmp_path / "family.csv", PHONE_A)
    report = await _import(gw, path, provider_phones={PHONE_A: "karimi-clinic"})
    assert report.problems == [
        ImportProblem(
            2,
            "phone is registered to provider karimi-clinic: a provider's phone cannot be on"
            " file for an insured person",
        ),
        ImportProblem(
            3,
            "principal_id is not the national id of an insured principal (no 'self' row in"
            " this file or the registry)",
        ),
    ]
    assert await gw.store.registry.people_by_phone(PHONE_A) == []


# --- corrections survive re-imports ---------------------------------------------------------


@pytest.mark.parametrize("store", STORES)
async def test_a_phone_corrected_at_the_console_survives_reimports(
    make_gateway: MakeGateway, tmp_path: Path, store: str
) -> None:
    gw = await make_gateway(store=_store(store), seed_demo=False)
    old_file = _family_csv(tmp_path / "old.csv", PHONE_A, made_ago=timedelta(days=2))
    assert (await _import(gw, old_file)).problems == []
    casework = gw.store.casework
    await casework.correct_phone(P, PHONE_B, "sara", datetime.now(UTC), "new number, by phone")

    # The same file again: before, the correction was silently undone.
    report = await _import(gw, old_file)
    assert report.problems == []
    ((line, note),) = [(c.line, c.reason) for c in report.conflicts]
    assert line == 2
    assert note.startswith("phone: the file disagrees with the number corrected at the console")
    assert "by sara; the correction is kept (--prefer-registry takes the file's)" in note
    assert await _phone_of(gw, P) == PHONE_B
    assert [p.national_id for p in await gw.store.registry.people_by_phone(PHONE_B)] == [P]
    assert await gw.store.registry.people_by_phone(PHONE_A) == []

    # A file made after the correction, with the registry's number unchanged: still kept.
    fresh = _family_csv(tmp_path / "fresh.csv", PHONE_A)
    report = await _import(gw, fresh)
    assert [c.line for c in report.conflicts] == [2]
    assert await _phone_of(gw, P) == PHONE_B

    # The registry changed the number itself, in a file made after the correction: taken.
    changed = _family_csv(tmp_path / "changed.csv", PHONE_C)
    report = await _import(gw, changed)
    assert [c.reason for c in report.conflicts] == [
        report.conflicts[0].reason  # one line, saying the file's number is taken
    ]
    assert report.conflicts[0].reason.endswith("has another number; the file's is taken")
    assert await _phone_of(gw, P) == PHONE_C

    # A correction newer than a file that has yet another number: the correction stands...
    await casework.correct_phone(P, PHONE_D, "reza", datetime.now(UTC), "called back")
    older = _family_csv(tmp_path / "older.csv", PHONE_A, made_ago=timedelta(hours=1))
    report = await _import(gw, older)
    assert [c.line for c in report.conflicts] == [2]
    assert await _phone_of(gw, P) == PHONE_D
    # ... unless the operator chooses the file.
    report = await _import(gw, older, prefer_registry=True)
    assert report.conflicts[0].reason.endswith(
        "replaces the one corrected at the console on"
        f" {datetime.now(UTC).date().isoformat()} by reza (--prefer-registry)"
    )
    assert await _phone_of(gw, P) == PHONE_A
    # Nothing left to disagree about.
    assert (await _import(gw, older)).conflicts == []


@pytest.mark.parametrize("store", STORES)
async def test_a_document_seen_at_a_branch_stays_and_the_disagreement_is_reported(
    make_gateway: MakeGateway, tmp_path: Path, store: str
) -> None:
    gw = await make_gateway(store=_store(store), seed_demo=False)
    path = _family_csv(
        tmp_path / "family.csv",
        PHONE_A,
        made_ago=timedelta(days=1),
        birth_certificate_seen="no",
        has_income="no",
    )
    await _import(gw, path)
    before = await gw.inquiries.ask(Asker.for_operator(), DAUGHTER)
    assert before.status is Status.NOT_ELIGIBLE
    await gw.store.casework.record_document(
        DocumentDraft(DAUGHTER, "birth_certificate", None, None, "sara", datetime.now(UTC), "")
    )
    report = await _import(gw, path)
    ((line, note),) = [(c.line, c.reason) for c in report.conflicts]
    assert line == 3
    assert note.startswith("birth_certificate_seen is no, but a birth certificate was seen at")
    assert note.endswith("after the file was made; it stays on file")
    after = await gw.inquiries.ask(Asker.for_operator(), DAUGHTER)
    assert after.status is Status.ELIGIBLE
    # A file made after the branch saw it: the registry could have known; nothing to report.
    later = _family_csv(tmp_path / "later.csv", PHONE_A, birth_certificate_seen="no")
    assert (await _import(gw, later)).conflicts == []


# --- through the command line ---------------------------------------------------------------


async def _correct_at_the_console(db: Path, phone: str) -> None:
    store = await open_sqlite_store(db)
    try:
        await store.casework.correct_phone(P, phone, "sara", datetime.now(UTC), "moved")
    finally:
        await store.close()


def test_import_registry_prints_kept_corrections_and_takes_the_file_when_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "gw.sqlite3"
    path = _family_csv(tmp_path / "family.csv", PHONE_A, made_ago=timedelta(days=3))
    assert main(["import-registry", str(path), "--db", str(db), "--no-progress"]) == 0
    capsys.readouterr()
    asyncio.run(_correct_at_the_console(db, PHONE_B))
    assert main(["import-registry", str(path), "--db", str(db), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert f"{path}:2: phone: the file disagrees with the number corrected" in err
    assert "1 disagreement(s) with corrections made at the console" in out
    code = main(
        ["import-registry", str(path), "--db", str(db), "--no-progress", "--prefer-registry"]
    )
    assert code == 0
    assert "(--prefer-registry)" in capsys.readouterr().err
    code = main(["import-registry", str(path), "--db", str(db), "--as-of", "yesterday-ish"])
    assert code == 2
    assert "--as-of 'yesterday-ish': expected a date" in capsys.readouterr().err
