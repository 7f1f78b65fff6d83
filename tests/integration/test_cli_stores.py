"""Commands mean what they say: ``--db`` takes a path or a store URL, the demo leaves its
settings for every other command, and a provider's phone is a real mobile of its own."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path

import pytest

from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.cli.main import main
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.settings import CONFIG_ENV, load_settings
from tests.contract.stores import (
    drop_postgres_schemas,
    fresh_postgres_url,
    postgres_reachable,
)

PASSWORD = "a long enough password"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _everything_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- --db -----------------------------------------------------------------------------------


def test_a_postgresql_url_is_a_server_never_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, ``--db postgresql://…`` made a directory ``postgresql:`` holding a new SQLite
    file, and the command went on against that empty file."""
    monkeypatch.chdir(tmp_path)
    url = "postgresql://nobody@127.0.0.1:1/nothing"
    code, out, err = _cli(capsys, "providers", "list", "--db", url)
    assert (code, out) == (1, "")
    assert "cannot connect to PostgreSQL at 127.0.0.1:1/nothing" in err
    assert "nobody" not in err
    assert _everything_under(tmp_path) == set()


def test_the_same_commands_work_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    monkeypatch.chdir(tmp_path)
    url, schema = asyncio.run(fresh_postgres_url())
    try:
        add = ["providers", "add", "--id", "pg-clinic", "--name", "PG", "--kind", "clinic"]
        assert _cli(capsys, *add, "--db", url)[0] == 0
        code, out, _ = _cli(capsys, "providers", "list", "--db", url)
        assert (code, out) == (0, "pg-clinic\tclinic\tactive\t-\tPG\n")
        code, out, _ = _cli(capsys, "audit", "verify", "--db", url)
        assert (code, out) == (0, "answer log verified: 0 rows, chain intact\n")
    finally:
        asyncio.run(drop_postgres_schemas([schema]))
    assert _everything_under(tmp_path) == set()


@pytest.mark.parametrize(
    ("db", "says"),
    [
        ("mysql://root@db/x", "mysql: is not a store address this gateway knows"),
        ("sqlite://gw.sqlite3", "(three slashes: sqlite:///PATH)"),
        ("postgresql:/tmp/x", "postgresql: is not a store address"),
        ("sqlite:///", "no file path after sqlite:///"),
        ("   ", "--db: empty"),
    ],
)
def test_anything_else_is_a_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    db: str,
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(capsys, "providers", "list", "--db", db)
    assert (code, out) == (2, "")
    assert says in err
    assert "Traceback" not in err
    assert _everything_under(tmp_path) == set()


def test_a_path_and_an_sqlite_url_name_the_same_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "gw.sqlite3"
    add = ["providers", "add", "--name", "N", "--kind", "clinic"]
    assert _cli(capsys, *add, "--id", "by-path", "--db", str(db))[0] == 0
    assert _cli(capsys, *add, "--id", "by-url", "--db", f"sqlite:///{db}")[0] == 0
    _, out, _ = _cli(capsys, "providers", "list", "--db", str(db))
    assert [line.split("\t")[0] for line in out.splitlines()] == ["by-path", "by-url"]


def test_a_store_in_memory_is_refused_where_it_would_lose_the_work(
    capsys: pytest.CaptureFixture[str],
) -> None:
    add = ["providers", "add", "--id", "x", "--name", "N", "--kind", "clinic"]
    code, out, err = _cli(capsys, *add, "--db", "memory://")
    assert (code, out) == (2, "")
    assert "the store is memory://: what this command writes would be gone" in err


# --- the demo's settings, for every command -------------------------------------------------


def test_make_run_leaves_settings_every_command_follows(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What ``make run`` runs, then the README's commands as written: before, ``staff add``
    created the account in ./eligibility-gw.sqlite3, which the demo never served."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    argv = ["demo", "--no-serve", "--families", "3", "--write-settings", "var/demo.toml"]
    code, out, _ = _cli(capsys, *argv)
    assert code == 0
    settings_file = tmp_path / "var" / "demo.toml"
    assert f"export {CONFIG_ENV}={settings_file}" in out
    demo_db = tmp_path / "var" / "demo.sqlite3"
    assert load_settings(settings_file).store.url == f"sqlite:///{demo_db}"

    monkeypatch.setenv(CONFIG_ENV, str(settings_file))
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, err = _cli(
        capsys, "staff", "add", "sara", "--role", "supervisor", "--password-stdin"
    )
    assert (code, err) == (0, "")
    conn = sqlite3.connect(demo_db)
    try:
        assert conn.execute("SELECT username, role FROM console_staff").fetchall() == [
            ("sara", "supervisor")
        ]
    finally:
        conn.close()
    assert not (tmp_path / "eligibility-gw.sqlite3").exists()
    code, out, _ = _cli(capsys, "check", "1000000052", "--lang", "en")
    assert code == 0 and "STUDENT_CERTIFICATE_REQUIRED" in out
    # From another directory too: the settings name the database by its absolute path.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _cli(capsys, "staff", "list")[1].startswith("sara\tsupervisor\tactive")
    assert _everything_under(elsewhere) == set()


def test_the_demo_settings_keep_a_chosen_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(
        '[gateway]\nrule_pack = "ro-cnas"\ntime_zone = "Europe/Bucharest"\n\n'
        '[store]  # where\nurl = "sqlite:///elsewhere.sqlite3"\nfsync = true\n',
        "utf-8",
    )
    db = tmp_path / "ro.sqlite3"
    out_file = tmp_path / "ro.toml"
    argv = ["demo", "--no-serve", "--families", "2", "--config", str(config), "--db", str(db)]
    assert _cli(capsys, *argv, "--write-settings", str(out_file))[0] == 0
    written = load_settings(out_file)
    assert written.store.url == f"sqlite:///{db}"
    assert written.store.fsync is True
    assert written.gateway.rule_pack == "ro-cnas"


# --- providers' phones ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "says"),
    [
        ("12345", "+9812345 is not a valid phone number"),
        ("+40712345678", "is a number of RO, not of IR (the rule pack's)"),
        ("021 8888 8888", "+982188888888 is not a mobile number"),
        ("not a phone", "is not a phone number"),
    ],
)
def test_a_providers_phone_is_a_mobile_of_the_packs_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], phone: str, says: str
) -> None:
    db = tmp_path / "gw.sqlite3"
    add = ["providers", "add", "--id", "c", "--name", "C", "--kind", "clinic", "--db", str(db)]
    code, out, err = _cli(capsys, *add, "--phone", phone)
    assert (code, out) == (2, "")
    assert says in err
    assert _cli(capsys, "providers", "list", "--db", str(db))[1] == "no providers registered\n"


def test_a_phone_held_by_a_provider_or_an_insured_person_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "demo.sqlite3"
    assert _cli(capsys, "demo", "--no-serve", "--families", "2", "--db", str(db))[0] == 0
    add = ["providers", "add", "--name", "C", "--kind", "clinic", "--db", str(db)]
    # The demo pharmacy's phone, written as a local number.
    code, out, err = _cli(capsys, *add, "--id", "twin", "--phone", "09350000001")
    assert (code, out) == (2, "")
    assert "+989350000001 is registered to provider demo-pharmacy already" in err
    # Ali Rezaei's phone: refused without naming him.
    code, out, err = _cli(capsys, *add, "--id", "ali", "--phone", "+989121110001")
    assert (code, out) == (2, "")
    assert "is on file for an insured person" in err
    assert "Rezaei" not in err and "1000000011" not in err
    assert _cli(capsys, *add, "--id", "fine", "--phone", "+989121119876")[0] == 0


def test_providers_sharing_a_phone_from_before_are_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "gw.sqlite3"

    async def two_on_one_phone() -> None:
        store = await open_sqlite_store(db)
        try:
            for pid in ("first", "second"):
                kind = ProviderKind.CLINIC
                await store.providers.add(pid, pid, kind, "+989121234567", pid * 8)
        finally:
            await store.close()

    asyncio.run(two_on_one_phone())
    _, out, _ = _cli(capsys, "providers", "list", "--db", str(db))
    assert out.count("+989121234567 (SHARED: give each provider its own)") == 2
