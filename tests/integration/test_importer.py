"""Registry CSV imports into a real SQLite store, through the library and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.cli.main import main
from eligibility_gw.domain.model import CoverPeriod, MaritalStatus
from eligibility_gw.importer import ImportProblem, ImportReport, import_registry
from eligibility_gw.registry_csv import COLUMNS, HeaderError
from tests.conftest import (
    dependent_csv_row,
    ir_id,
    ir_pack,
    principal_csv_row,
    with_bad_check_digit,
    write_registry_csv,
)

TODAY = date(2026, 11, 23)
P = ir_id(1)
CHILD = ir_id(2)
CHILD2 = ir_id(3)
STRANGER = ir_id(77)  # valid, but nobody's principal

PRINCIPAL_REASON = "principal_id is not the national id of an insured principal"


async def _import(path: Path, store: SqliteStore, batch_size: int = 20_000) -> ImportReport:
    return await import_registry(
        path, store.registry, ir_pack(), TODAY, progress=False, batch_size=batch_size
    )


def _persian(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


async def test_good_rows_kept_bad_rows_reported(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    bad_check = with_bad_check_digit(ir_id(8))
    path = write_registry_csv(
        tmp_path / "mixed.csv",
        [
            principal_csv_row(P),  # line 2
            dependent_csv_row(CHILD, P),  # line 3
            dependent_csv_row(ir_id(4), P, birth_date="2010-02-30"),  # line 4
            dependent_csv_row(ir_id(5), STRANGER),  # line 5
            principal_csv_row(P, given_name="Again"),  # line 6
            principal_csv_row(bad_check),  # line 7
            dependent_csv_row(ir_id(9), with_bad_check_digit(P)),  # line 8
            # line 9: typed with Persian digits and a dash, as a clerk might
            dependent_csv_row(f"{_persian(CHILD2[:3])}-{_persian(CHILD2[3:])}", P),
        ],
    )
    report = await _import(path, sqlite_store)

    assert (report.rows_read, report.rows_imported, report.rows_refused) == (8, 3, 5)
    assert [p.line for p in report.problems] == [4, 5, 6, 7, 8]
    by_line = {p.line: p.reason for p in report.problems}
    assert by_line[4] == "birth_date '2010-02-30' is not a date YYYY-MM-DD"
    assert by_line[5].startswith(PRINCIPAL_REASON)
    assert by_line[6] == "national_id appears again (first on line 2)"
    assert by_line[7].startswith(f"national_id {bad_check!r}:")
    assert "check digit" in by_line[7]
    assert by_line[8].startswith(f"principal_id {with_bad_check_digit(P)!r}:")
    assert "check digit" in by_line[8]

    assert await sqlite_store.registry.count_people() == 3
    family = await sqlite_store.registry.find_family(CHILD2)
    assert family is not None
    assert [m.national_id for m in family.members] == [P, CHILD, CHILD2]
    assert family.principal.given_name == "Ali"  # the refused duplicate changed nothing
    for refused in (ir_id(4), ir_id(5), ir_id(9)):
        assert await sqlite_store.registry.find_family(refused) is None


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"sex": "X"}, "sex must be M or F, not 'X'"),
        ({"phone": "09121234567"}, "phone '09121234567' is not in E.164 form"),
        ({"relationship": "cousin"}, "relationship 'cousin' is not one of"),
        ({"birth_date": "2999-01-01"}, "birth_date 2999-01-01 is in the future"),
        ({"birth_date": ""}, "birth_date is required"),
        ({"given_name": ""}, "given_name is required"),
        ({"marital_status": "engaged"}, "marital_status must be one of"),
        ({"disabled": "maybe"}, "disabled must be yes, no or empty, not 'maybe'"),
        ({"cover_end": ""}, "cover_start and cover_end are required on a 'self' row"),
        ({"cover_end": "2019-12-31"}, "cover_end is before cover_start"),
        ({"principal_id": ir_id(9)}, "principal_id must be empty on a 'self' row"),
        ({"national_id": "1111111111"}, "national_id '1111111111': "),
        ({"given_name": "Ali\x07"}, "given_name contains control characters"),
    ],
)
async def test_each_kind_of_bad_row_is_reported(
    sqlite_store: SqliteStore, tmp_path: Path, cells: dict[str, str], reason: str
) -> None:
    path = write_registry_csv(
        tmp_path / "one.csv", [principal_csv_row(ir_id(20)), {**principal_csv_row(P), **cells}]
    )
    report = await _import(path, sqlite_store)
    assert report.rows_imported == 1
    assert len(report.problems) == 1
    assert report.problems[0].line == 3
    assert report.problems[0].reason.startswith(reason)


async def test_dependent_rules_on_their_rows(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    path = write_registry_csv(
        tmp_path / "deps.csv",
        [
            principal_csv_row(P),
            dependent_csv_row(CHILD, ""),  # line 3
            dependent_csv_row(CHILD2, CHILD2),  # line 4
            dependent_csv_row(ir_id(4), P, cover_start="2020-01-01"),  # line 5
        ],
    )
    report = await _import(path, sqlite_store)
    assert report.problems == [
        ImportProblem(3, "principal_id is required on a 'child' row"),
        ImportProblem(4, "principal_id is the person's own national id"),
        ImportProblem(5, "cover_start/cover_end belong on the principal's row"),
    ]


@pytest.mark.parametrize("batch_size", [1, 2, 20_000])
async def test_dependents_before_their_principal_are_imported(
    sqlite_store: SqliteStore, tmp_path: Path, batch_size: int
) -> None:
    path = write_registry_csv(
        tmp_path / "order.csv",
        [
            dependent_csv_row(CHILD, P),
            dependent_csv_row(CHILD2, P, relationship="spouse", birth_date="1981-01-01"),
            principal_csv_row(ir_id(30)),
            principal_csv_row(P),
            dependent_csv_row(ir_id(5), STRANGER),  # line 6: never a principal
        ],
    )
    report = await _import(path, sqlite_store, batch_size=batch_size)
    assert report.problems == [ImportProblem(6, report.problems[0].reason)]
    assert report.problems[0].reason.startswith(PRINCIPAL_REASON)
    assert report.rows_imported == 4
    family = await sqlite_store.registry.find_family(CHILD)
    assert family is not None
    assert family.principal.national_id == P
    assert {m.national_id for m in family.dependents} == {CHILD, CHILD2}


async def test_principal_from_an_earlier_import_can_be_referenced(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    first = write_registry_csv(
        tmp_path / "first.csv", [principal_csv_row(P), dependent_csv_row(CHILD, P)]
    )
    assert (await _import(first, sqlite_store)).problems == []
    second = write_registry_csv(
        tmp_path / "second.csv",
        [
            dependent_csv_row(CHILD2, P),  # principal in the store: fine
            dependent_csv_row(ir_id(4), CHILD),  # CHILD is a dependent, not a principal
        ],
    )
    report = await _import(second, sqlite_store)
    assert report.rows_imported == 1
    assert [p.line for p in report.problems] == [3]
    assert report.problems[0].reason.startswith(PRINCIPAL_REASON)
    family = await sqlite_store.registry.find_family(P)
    assert family is not None
    assert [m.national_id for m in family.members] == [P, CHILD, CHILD2]


async def test_reimport_updates_rows(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    first = write_registry_csv(
        tmp_path / "v1.csv",
        [principal_csv_row(P), dependent_csv_row(CHILD, P, student_until="2027-06-30")],
    )
    await _import(first, sqlite_store)
    second = write_registry_csv(
        tmp_path / "v2.csv",
        [
            principal_csv_row(P, given_name="Aly", cover_end="2030-01-31"),
            dependent_csv_row(CHILD, P, marital_status="married"),
        ],
    )
    report = await _import(second, sqlite_store)
    assert (report.rows_imported, report.problems) == (2, [])
    assert await sqlite_store.registry.count_people() == 2
    family = await sqlite_store.registry.find_family(CHILD)
    assert family is not None
    assert family.principal.given_name == "Aly"
    assert family.principal.cover_periods == (CoverPeriod(date(2020, 1, 1), date(2030, 1, 31)),)
    child = family.member(CHILD)
    assert child is not None
    assert child.marital_status is MaritalStatus.MARRIED
    assert child.documents == ()  # the certificate left the registry


async def test_bom_and_other_column_orders_are_accepted(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    columns = [*reversed(COLUMNS), "remarks"]
    path = write_registry_csv(
        tmp_path / "excel.csv",
        [principal_csv_row(P), {**dependent_csv_row(CHILD, P), "remarks": "x"}],
        columns=columns,
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = await _import(path, sqlite_store)
    assert (report.rows_read, report.rows_imported, report.problems) == (2, 2, [])
    family = await sqlite_store.registry.find_family(CHILD)
    assert family is not None
    assert family.principal.national_id == P


async def test_invalid_utf8_is_a_row_error_not_a_crash(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    good = write_registry_csv(
        tmp_path / "good.csv",
        [principal_csv_row(P), principal_csv_row(CHILD, given_name="BROKEN")],
    )
    raw = good.read_bytes().replace(b"BROKEN", b"Al\xff\xfei")
    raw += ",".join(principal_csv_row(CHILD2, family_name="X").values()).encode()
    raw = raw.replace(b",X,", b",Kar\xe9mi,")  # Latin-1, not UTF-8
    path = tmp_path / "latin1.csv"
    path.write_bytes(raw)

    report = await _import(path, sqlite_store)
    assert report.rows_imported == 1
    assert report.problems == [
        ImportProblem(3, "given_name is not valid UTF-8"),
        ImportProblem(4, "family_name is not valid UTF-8"),
    ]
    assert await sqlite_store.registry.count_people() == 1


async def test_blank_and_short_lines(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    path = write_registry_csv(tmp_path / "blank.csv", [principal_csv_row(P)])
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write("\r\n\r\n1000000011,Ali\r\n")
    report = await _import(path, sqlite_store)
    assert report.rows_imported == 1
    assert report.problems == [ImportProblem(5, "2 fields, expected 16")]


async def test_a_line_the_csv_reader_cannot_read_is_refused_alone(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    path = write_registry_csv(tmp_path / "long.csv", [principal_csv_row(P)])
    with path.open("a", encoding="utf-8", newline="") as fh:
        # A field past the csv module's limit (131,072 characters) cannot be read at all.
        fh.write('"' + "x" * 200_000 + '"\r\n')
        fh.write(",".join(principal_csv_row(CHILD).values()) + "\r\n")
    report = await _import(path, sqlite_store, batch_size=1)
    assert report.rows_imported == 2
    assert len(report.problems) == 1
    assert report.problems[0].line == 3
    assert report.problems[0].reason.startswith("malformed CSV: field larger than field limit")


async def test_missing_column_stops_everything(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    columns = [c for c in COLUMNS if c not in ("sex", "cover_end")]
    path = write_registry_csv(tmp_path / "nosex.csv", [principal_csv_row(P)], columns=columns)
    with pytest.raises(HeaderError, match=r"missing column\(s\): sex, cover_end"):
        await _import(path, sqlite_store)
    assert await sqlite_store.registry.count_people() == 0


async def test_empty_and_header_only_files(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(HeaderError, match="empty"):
        await _import(empty, sqlite_store)
    header_only = write_registry_csv(tmp_path / "header.csv", [])
    report = await _import(header_only, sqlite_store)
    assert (report.rows_read, report.rows_imported, report.problems) == (0, 0, [])


async def test_a_few_thousand_rows_in_batches(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    rows = []
    for f in range(600):
        principal = ir_id(10_000 + f * 4)
        deps = [dependent_csv_row(ir_id(10_000 + f * 4 + k), principal) for k in (1, 2, 3)]
        # Every other family lists its dependents first.
        rows += (
            [*deps, principal_csv_row(principal)]
            if f % 2
            else [principal_csv_row(principal), *deps]
        )
    path = write_registry_csv(tmp_path / "big.csv", rows)
    report = await _import(path, sqlite_store, batch_size=500)
    assert (report.rows_read, report.rows_imported, report.problems) == (2400, 2400, [])
    assert await sqlite_store.registry.count_people() == 2400
    family = await sqlite_store.registry.find_family(ir_id(10_000 + 599 * 4 + 3))
    assert family is not None
    assert len(family.dependents) == 3


async def test_progress_bar_only_when_asked_or_on_a_terminal(
    sqlite_store: SqliteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_registry_csv(tmp_path / "p.csv", [principal_csv_row(P)])
    await import_registry(path, sqlite_store.registry, ir_pack(), TODAY)  # stderr: not a TTY
    assert capsys.readouterr().err == ""
    await import_registry(path, sqlite_store.registry, ir_pack(), TODAY, progress=True)
    assert "import" in capsys.readouterr().err


# --- the CLI -----------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_import_all_good_exits_0(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_registry_csv(
        tmp_path / "ok.csv", [principal_csv_row(P), dependent_csv_row(CHILD, P)]
    )
    code, out, err = _cli(capsys, "import-registry", str(path), "--db", str(db_path))
    assert code == 0
    assert out.strip() == "2 rows imported, 0 refused (2 read) under rule pack ir-tamin@2026.1"
    assert err == ""  # no progress bar when stderr is not a terminal

    # A second import is an update: same count, exit 0 again.
    code, out, _ = _cli(capsys, "import-registry", str(path), "--db", str(db_path), "--no-progress")
    assert code == 0
    assert out.startswith("2 rows imported, 0 refused")


def test_cli_import_with_refused_rows_exits_1(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_registry_csv(
        tmp_path / "some.csv",
        [principal_csv_row(P), dependent_csv_row(CHILD, P, birth_date="yesterday")],
    )
    code, out, err = _cli(capsys, "import-registry", str(path), "--db", str(db_path))
    assert code == 1
    assert f"{path}:3: birth_date 'yesterday' is not a date YYYY-MM-DD" in err
    assert out.strip() == "1 rows imported, 1 refused (2 read) under rule pack ir-tamin@2026.1"


def test_cli_import_shows_at_most_50_problems(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [dependent_csv_row(ir_id(100 + i), STRANGER) for i in range(60)]
    path = write_registry_csv(tmp_path / "many.csv", rows)
    code, out, err = _cli(capsys, "import-registry", str(path), "--db", str(db_path))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 51
    assert lines[0].startswith(f"eligibility-gw: {path}:2: {PRINCIPAL_REASON}")
    assert lines[-1] == "eligibility-gw: ... and 10 more refused rows"
    assert "0 rows imported, 60 refused (60 read)" in out


def test_cli_import_missing_column_exits_2(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    columns = [c for c in COLUMNS if c != "relationship"]
    path = write_registry_csv(tmp_path / "bad.csv", [principal_csv_row(P)], columns=columns)
    code, out, err = _cli(capsys, "import-registry", str(path), "--db", str(db_path))
    assert code == 2
    assert out == ""
    assert err.strip() == f"eligibility-gw: {path}: missing column(s): relationship"


def test_cli_import_empty_or_absent_file_exits_2(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = _cli(capsys, "import-registry", str(empty), "--db", str(db_path))
    assert code == 2
    assert "the file is empty: a header row is required" in err
    code, _, err = _cli(capsys, "import-registry", str(tmp_path / "nope.csv"), "--db", str(db_path))
    assert code == 2
    assert "no such file" in err
    assert "Traceback" not in err


async def test_imported_rows_are_seen_by_a_new_store(tmp_path: Path, db_path: Path) -> None:
    path = write_registry_csv(
        tmp_path / "ok.csv", [principal_csv_row(P), dependent_csv_row(CHILD, P)]
    )
    first = await open_sqlite_store(db_path)
    try:
        await _import(path, first)
    finally:
        await first.close()
    again = await open_sqlite_store(db_path)
    try:
        family = await again.registry.find_family(CHILD)
        assert family is not None
        assert family.principal.national_id == P
    finally:
        await again.close()
