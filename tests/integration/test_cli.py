"""The ``eligibility-gw`` command line, run in-process against real SQLite files."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from eligibility_gw.cli.main import main
from eligibility_gw.demo import DEMO_PROVIDER_ID, DEMO_PROVIDER_KEY, Persona, personas
from eligibility_gw.domain.dates import add_months, end_of_month
from eligibility_gw.domain.tracking import TrackingCode, verhoeff_is_valid
from eligibility_gw.providers import hash_api_key
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.settings import CONFIG_ENV, load_settings
from tests.conftest import (
    dependent_csv_row,
    ir_id,
    principal_csv_row,
    with_bad_check_digit,
    write_registry_csv,
)

# Keys, ids and documented answers do not depend on the day the demo is built.
IR_PERSONAS = personas(load_rule_pack("ir-tamin"), date(2026, 1, 1))
RO_PERSONAS = {p.key: p for p in personas(load_rule_pack("ro-cnas"), date(2026, 1, 1))}
GROUPED_CODE = re.compile(r"\b(\d{4})-(\d{4})-(\d{4})\b")


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run one command; its exit code, stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _quiet(*argv: str) -> int:
    """Run one command outside a test's capture (module fixtures)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))


def _query(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql, params).fetchall())
    finally:
        conn.close()


def _tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def _today_in_tehran() -> date:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CONFIG_ENV, raising=False)
        return load_settings(None).today()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One demo registry (ir-tamin personas and 50 synthetic families) for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(CONFIG_ENV, raising=False)
        assert _quiet("demo", "--no-serve", "--families", "50", "--db", str(path)) == 0
        yield path


@pytest.fixture
def registry_db(tmp_path: Path, db_path: Path) -> Path:
    """A small imported registry: one principal and a son of 20 without a certificate."""
    son_birth = date.today() - timedelta(days=365 * 20 + 30)
    csv_path = write_registry_csv(
        tmp_path / "family.csv",
        [
            principal_csv_row(ir_id(1)),
            dependent_csv_row(
                ir_id(2), ir_id(1), sex="M", given_name="Hamid", birth_date=son_birth.isoformat()
            ),
        ],
    )
    assert _quiet("import-registry", str(csv_path), "--db", str(db_path)) == 0
    return db_path


# --- demo ----------------------------------------------------------------------------------


def test_demo_builds_the_database_and_prints_personas_and_key(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "demo", "--no-serve", "--families", "50", "--db", str(db_path))
    assert code == 0
    ready = re.search(r"demo registry ready: (\d+) persons under ir-tamin@2026\.1", out)
    assert ready is not None
    people = int(ready.group(1))
    assert people > len(IR_PERSONAS) + 50  # personas, 50 principals and their dependents
    assert _query(db_path, "SELECT count(*) FROM person") == [(people,)]
    assert f"demo provider {DEMO_PROVIDER_ID}: API key {DEMO_PROVIDER_KEY}" in out
    for persona in IR_PERSONAS:
        assert re.search(rf"^  {persona.row.national_id}  {re.escape(persona.key)} ", out, re.M)
    assert _query(
        db_path, "SELECT key_hash, active FROM provider WHERE provider_id = ?", (DEMO_PROVIDER_ID,)
    ) == [(hash_api_key(DEMO_PROVIDER_KEY), 1)]

    # Built again: the same people (upserted), still one demo provider.
    code, out, _ = _cli(capsys, "demo", "--no-serve", "--families", "50", "--db", str(db_path))
    assert code == 0
    assert f"demo registry ready: {people} persons" in out
    assert _query(db_path, "SELECT count(*) FROM provider") == [(1,)]


@pytest.mark.parametrize("persona", IR_PERSONAS, ids=[p.key for p in IR_PERSONAS])
def test_demo_personas_answer_as_documented(
    demo_db: Path, persona: Persona, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, "check", persona.row.national_id, "--json", "--db", str(demo_db))
    assert (code, err) == (0, "")
    assert out.count("\n") == 1  # one JSON object on one line
    data = json.loads(out)
    assert data["status"] == persona.expected_status
    codes = [r["code"] for r in data["reasons"]]
    if persona.expected_reason is not None:
        assert persona.expected_reason in codes
    if persona.expected_status == "eligible":
        assert date.fromisoformat(data["cover_end"]) >= _today_in_tehran()
    else:
        assert data["cover_end"] is None
        assert codes  # a refusal always says why
    assert data["rule_pack"] == "ir-tamin@2026.1"
    grouped = GROUPED_CODE.fullmatch(data["tracking_code"])
    assert grouped is not None
    digits = "".join(grouped.groups())
    assert verhoeff_is_valid(digits)
    assert _query(
        demo_db, "SELECT status, national_id FROM answer_log WHERE tracking_code = ?", (digits,)
    ) == [(persona.expected_status, persona.row.national_id)]


def test_son_turning_19_is_covered_until_today(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    son = next(p for p in IR_PERSONAS if p.key == "rezaei-son-18")
    code, out, _ = _cli(capsys, "check", son.row.national_id, "--json", "--db", str(demo_db))
    assert code == 0
    assert json.loads(out)["cover_end"] == _today_in_tehran().isoformat()


def test_inpatient_check_of_a_member_insured_elsewhere(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mother = next(p for p in IR_PERSONAS if p.key == "karimi-mother")
    code, out, _ = _cli(
        capsys,
        "check",
        mother.row.national_id,
        "--setting",
        "inpatient",
        "--json",
        "--db",
        str(demo_db),
    )
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "undetermined"
    assert [r["code"] for r in data["reasons"]] == ["OVERLAP_WITH_OTHER_INSURER"]


# --- check ---------------------------------------------------------------------------------


def test_check_json_shape(registry_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "check", ir_id(2), "--json", "--db", str(registry_db))
    assert code == 0
    data = json.loads(out)
    assert {"status", "reasons", "cover_end", "tracking_code", "rule_pack"} <= set(data)
    assert data["status"] == "not_eligible"
    assert data["cover_end"] is None
    assert [r["code"] for r in data["reasons"]] == ["STUDENT_CERTIFICATE_REQUIRED"]
    assert data["reasons"][0]["resolve_with"] == "student_certificate"
    assert data["reasons"][0]["message"]  # worded, in the default language
    assert data["member"] == {"name": "Hamid Rezaei", "relationship": "child"}

    code, out, _ = _cli(capsys, "check", ir_id(1), "--json", "--db", str(registry_db))
    data = json.loads(out)
    assert (code, data["status"], data["reasons"], data["cover_end"]) == (
        0,
        "eligible",
        [],
        "2099-12-31",
    )


def test_check_of_an_unknown_person(registry_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "check", ir_id(999), "--json", "--db", str(registry_db))
    assert code == 0
    data = json.loads(out)
    assert (data["status"], [r["code"] for r in data["reasons"]]) == ("not_eligible", ["NOT_FOUND"])
    assert data["cover_end"] is None
    assert data["member"] is None
    assert _query(registry_db, "SELECT count(*) FROM answer_log") == [(1,)]


def test_check_text_carries_the_logged_tracking_code(
    registry_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "check", ir_id(2), "--db", str(registry_db))
    assert code == 0
    found = GROUPED_CODE.search(out)
    assert found is not None
    digits = "".join(found.groups())
    assert TrackingCode.parse(found.group(0)).digits == digits
    assert _query(
        registry_db, "SELECT status FROM answer_log WHERE tracking_code = ?", (digits,)
    ) == [("not_eligible",)]
    assert "STUDENT_CERTIFICATE_REQUIRED" in out
    assert "Tracking code" not in out  # the default language is Persian


def test_check_in_english(registry_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "check", ir_id(2), "--lang", "en", "--db", str(registry_db))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Not eligible"
    assert "  Member: Hamid Rezaei (child)" in lines
    assert any(line.startswith("  Why: [STUDENT_CERTIFICATE_REQUIRED] ") for line in lines), out
    tracking = [line for line in lines if line.startswith("  Tracking code: ")]
    assert len(tracking) == 1
    assert GROUPED_CODE.fullmatch(tracking[0].removeprefix("  Tracking code: "))
    assert "  Rule pack: ir-tamin@2026.1" in lines


def test_check_on_a_chosen_date(registry_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = (_today_in_tehran() - timedelta(days=40)).isoformat()
    code, out, _ = _cli(
        capsys, "check", ir_id(1), "--date", day, "--json", "--db", str(registry_db)
    )
    assert code == 0
    assert json.loads(out)["service_date"] == day


@pytest.mark.parametrize(
    ("day", "window"),
    [("2001-01-01", True), ("2999-01-01", True), ("not-a-date", False)],
)
def test_check_refuses_a_bad_date(
    registry_db: Path, capsys: pytest.CaptureFixture[str], day: str, window: bool
) -> None:
    argv = ["check", ir_id(1), "--date", day, "--lang", "en", "--db", str(registry_db)]
    code, out, err = _cli(capsys, *argv)
    assert (code, out) == (2, "")
    today = _today_in_tehran()
    expected = (
        f"Dates from {add_months(today, -12)} to {end_of_month(today)} can be checked."
        if window
        else "The date cannot be read; write it as YYYY-MM-DD."
    )
    assert err.strip() == f"eligibility-gw: {expected}"
    assert _query(registry_db, "SELECT count(*) FROM answer_log") == [(0,)]


def test_check_refuses_a_typo_before_lookup(
    registry_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(
        capsys, "check", with_bad_check_digit(ir_id(1)), "--lang", "en", "--db", str(registry_db)
    )
    assert code == 2
    assert out == ""
    assert err.strip() == (
        "eligibility-gw: This national id fails its check digit:"
        " please check it for a typing error."
    )
    assert _query(registry_db, "SELECT count(*) FROM answer_log") == [(0,)]


# --- settings ------------------------------------------------------------------------------


def test_config_choosing_ro_cnas_answers_for_a_cnp(
    tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "ro.toml"
    config.write_text(
        '[gateway]\nrule_pack = "ro-cnas"\ntime_zone = "Europe/Bucharest"\nlanguages = ["en"]\n',
        encoding="utf-8",
    )
    common = ["--config", str(config), "--db", str(db_path)]
    code, out, _ = _cli(capsys, "demo", "--no-serve", "--families", "5", *common)
    assert code == 0
    assert "under ro-cnas@2026.1" in out
    insured = RO_PERSONAS["popescu"].row.national_id
    assert len(insured) == 13
    assert insured in out

    code, out, _ = _cli(capsys, "check", insured, "--json", *common)
    data = json.loads(out)
    assert (code, data["status"], data["rule_pack"]) == (0, "eligible", "ro-cnas@2026.1")

    too_old = RO_PERSONAS["popescu-27"].row.national_id
    code, out, _ = _cli(capsys, "check", too_old, "--json", *common)
    data = json.loads(out)
    assert (data["status"], [r["code"] for r in data["reasons"]]) == (
        "not_eligible",
        ["AGE_LIMIT_REACHED", "CATEGORY_AGE_LIMIT"],  # and still listed as a student (07)
    )
    assert data["category"] == {
        "code": "07",
        "name": "pupil, student or apprentice 18 to 26 without work income",
    }

    # Text in the configured (only) language, English.
    code, out, _ = _cli(capsys, "check", insured, *common)
    assert out.splitlines()[0] == "Eligible"

    # An Iranian national code is not a CNP.
    code, out, err = _cli(capsys, "check", ir_id(1), *common)
    assert code == 2
    assert "13" in err


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[gateway]\nrule_pack = "nope"\n',
            "unknown rule pack 'nope'; shipped: br-sus, ir-tamin, pl-nfz, ro-cnas, ru-oms",
        ),
        ('[gateway]\nrule_pak = "ir-tamin"\n', "[gateway]: unknown setting(s) rule_pak"),
        ("[gateway\n", "is not valid TOML"),
        ('[gateway]\ntime_zone = "Mars/Olympus"\n', "[gateway] time_zone: unknown zone"),
        ("[gateway]\nlanguages = []\n", "[gateway] languages: at least one language"),
        ('[server]\nport = "80"\n', "[server] port: expected int"),
        ("[gatewy]\n", "unknown section(s) gatewy"),
        (
            '[gateway]\nrule_pack = "ir-tamin"\nrules_dir = "/nonexistent/rules"\n',
            "rule pack 'ir-tamin' not found in /nonexistent/rules",
        ),
        ('[store]\nurl = "mysql://db/x"\n', "[store] url: unsupported store"),
    ],
)
def test_bad_settings_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    config = _write(tmp_path / "bad.toml", toml)
    argv = ["check", ir_id(1), "--config", str(config)]
    if "[store]" not in toml:
        argv += ["--db", str(tmp_path / "unused.sqlite3")]
    code, out, err = _cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.startswith("eligibility-gw: ")
    assert "Traceback" not in err
    assert not (tmp_path / "unused.sqlite3").exists()


def test_missing_settings_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.toml"
    code, _, err = _cli(capsys, "providers", "list", "--config", str(missing))
    assert code == 2
    assert err.strip() == f"eligibility-gw: settings file not found: {missing}"


def test_settings_file_from_the_environment(
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(
        CONFIG_ENV, str(_write(tmp_path / "env.toml", '[gateway]\nrule_pack = "x"\n'))
    )
    code, _, err = _cli(capsys, "providers", "list", "--db", str(db_path))
    assert code == 2
    assert "unknown rule pack 'x'" in err


# --- providers -----------------------------------------------------------------------------


def _db_bytes(db_path: Path) -> bytes:
    """Every byte SQLite keeps for the database: the file, its WAL and shared memory."""
    return b"".join(
        p.read_bytes() for p in sorted(db_path.parent.glob(db_path.name + "*")) if p.is_file()
    )


def test_provider_key_is_printed_once_and_stored_as_a_hash(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(
        capsys,
        "providers",
        "add",
        "--id",
        "pharm-1",
        "--name",
        "Pharmacy One",
        "--kind",
        "pharmacy",
        "--phone",
        "+989121234567",
        "--db",
        str(db_path),
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "provider pharm-1 registered; its API key (shown only now, keep it safe):"
    key = lines[1]
    assert re.fullmatch(r"egw_[A-Za-z0-9_-]{43}", key)
    assert len(lines) == 2

    stored = _db_bytes(db_path)
    assert key.encode() not in stored
    assert key[4:].encode() not in stored  # not even without its prefix
    assert hash_api_key(key).encode() in stored
    assert _query(db_path, "SELECT key_hash, phone, kind, active FROM provider") == [
        (hash_api_key(key), "+989121234567", "pharmacy", 1)
    ]

    # The key is not shown again anywhere.
    code, out, _ = _cli(capsys, "providers", "list", "--db", str(db_path))
    assert code == 0
    assert key not in out


def test_provider_lifecycle(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(db_path)]
    code, out, _ = _cli(capsys, "providers", "list", *db)
    assert (code, out) == (0, "no providers registered\n")

    add = ["providers", "add", "--kind", "clinic", *db]
    assert (
        _cli(capsys, *add, "--id", "clinic.7", "--name", "Clinic", "--phone", "0912 765 4321")[0]
        == 0
    )
    assert _cli(capsys, *add, "--id", "a-first", "--name", "First")[0] == 0

    code, out, _ = _cli(capsys, "providers", "list", *db)
    assert out.splitlines() == [
        "a-first\tclinic\tactive\t-\tFirst",
        "clinic.7\tclinic\tactive\t+989127654321\tClinic",  # normalised to E.164
    ]

    code, out, _ = _cli(capsys, "providers", "deactivate", "clinic.7", *db)
    assert (code, out) == (0, "provider clinic.7 deactivated\n")
    _, out, _ = _cli(capsys, "providers", "list", *db)
    assert "clinic.7\tclinic\tDEACTIVATED\t" in out
    assert "a-first\tclinic\tactive\t" in out
    assert _query(db_path, "SELECT active FROM provider WHERE provider_id = 'clinic.7'") == [(0,)]

    code, out, _ = _cli(capsys, "providers", "activate", "clinic.7", *db)
    assert (code, out) == (0, "provider clinic.7 activated\n")
    _, out, _ = _cli(capsys, "providers", "list", *db)
    assert "clinic.7\tclinic\tactive\t" in out
    changed = _query(
        db_path, "SELECT status_changed_at FROM provider WHERE provider_id = 'clinic.7'"
    )
    assert changed[0][0] is not None


def test_duplicate_provider_id_exits_2_and_keeps_the_first_key(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add = ["providers", "add", "--id", "dup", "--kind", "hospital", "--db", str(db_path)]
    code, out, _ = _cli(capsys, *add, "--name", "First")
    assert code == 0
    first_key = out.splitlines()[1]
    code, out, err = _cli(capsys, *add, "--name", "Second")
    assert code == 2
    assert out == ""  # no key printed for a refused provider
    assert err.strip() == "eligibility-gw: provider 'dup' exists already"
    assert _query(db_path, "SELECT name, key_hash FROM provider") == [
        ("First", hash_api_key(first_key))
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--id", "bad id!", "--name", "N", "--kind", "pharmacy"], "provider id:"),
        (["--id", "ok", "--name", "N", "--kind", "pharmacy", "--phone", "12"], "--phone:"),
    ],
)
def test_bad_provider_input_exits_2(
    db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _cli(capsys, "providers", "add", *argv, "--db", str(db_path))
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


def test_unknown_provider_cannot_be_deactivated(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, "providers", "deactivate", "ghost", "--db", str(db_path))
    assert (code, out) == (1, "")
    assert err.strip() == "eligibility-gw: no provider 'ghost'"


# --- audit ---------------------------------------------------------------------------------


def test_audit_verify_intact_then_tampered(
    registry_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(registry_db)]
    code, out, _ = _cli(capsys, "audit", "verify", *db)
    assert (code, out) == (0, "answer log verified: 0 rows, chain intact\n")
    for nid in (ir_id(1), ir_id(2), ir_id(1)):
        assert _cli(capsys, "check", nid, "--json", *db)[0] == 0
    code, out, _ = _cli(capsys, "audit", "verify", *db)
    assert (code, out) == (0, "answer log verified: 3 rows, chain intact\n")

    _tamper(
        registry_db,
        "DROP TRIGGER answer_log_no_update",
        "UPDATE answer_log SET status = 'eligible', reasons = '[]' WHERE seq = 2",
    )
    code, out, err = _cli(capsys, "audit", "verify", *db)
    assert (code, out) == (1, "")
    assert err.strip() == (
        "eligibility-gw: answer log BROKEN at row 2: row content does not match its hash"
    )


def test_audit_verify_names_a_row_edited_to_nonsense(
    registry_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(registry_db)]
    for _ in range(3):
        assert _cli(capsys, "check", ir_id(1), "--json", *db)[0] == 0
    _tamper(
        registry_db,
        "DROP TRIGGER answer_log_no_update",
        "UPDATE answer_log SET status = 'approved' WHERE seq = 1",
    )
    code, _, err = _cli(capsys, "audit", "verify", *db)
    assert code == 1
    assert "answer log BROKEN at row 1" in err
    assert "Traceback" not in err


def test_audit_verify_finds_a_deleted_row(
    registry_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(registry_db)]
    for _ in range(4):
        assert _cli(capsys, "check", ir_id(2), "--json", *db)[0] == 0
    _tamper(
        registry_db, "DROP TRIGGER answer_log_no_delete", "DELETE FROM answer_log WHERE seq = 2"
    )
    code, _, err = _cli(capsys, "audit", "verify", *db)
    assert code == 1
    assert err.strip() == "eligibility-gw: answer log BROKEN at row 2: row 2 is missing"
