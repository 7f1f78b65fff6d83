"""``eligibility-gw staff``: accounts made on the command line, passwords never as arguments."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path

import pytest

from eligibility_gw.channels.console.passwords import password_matches
from eligibility_gw.cli.main import main
from eligibility_gw.ports.casework import Role, StaffAccount
from eligibility_gw.settings import CONFIG_ENV

PASSWORD = "a long staff password"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite file; no settings file or password in the environment."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    monkeypatch.delenv("ELIGIBILITY_GW_STAFF_PASSWORD", raising=False)
    return tmp_path / "gateway.sqlite3"


def _cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _account(db: Path, username: str) -> StaffAccount | None:
    from eligibility_gw.adapters.sqlite import open_sqlite_store

    async def read() -> StaffAccount | None:
        store = await open_sqlite_store(db)  # migrates a fresh file
        try:
            return await store.casework.get_staff(username)
        finally:
            await store.close()

    return asyncio.run(read())


def test_add_with_the_password_on_stdin(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _cli(
        capsys,
        monkeypatch,
        "staff",
        "add",
        "Amina",
        "--role",
        "agent",
        "--password-stdin",
        "--db",
        str(db),
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    assert out.strip() == "staff account amina added (agent)"
    account = _account(db, "amina")
    assert account is not None
    assert account.role is Role.AGENT and account.active
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert password_matches(account.password_hash, PASSWORD)
    raw = sqlite3.connect(db).execute("SELECT password_hash FROM console_staff").fetchall()
    assert PASSWORD not in repr(raw)


def test_add_with_the_password_in_the_environment(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELIGIBILITY_GW_STAFF_PASSWORD", PASSWORD)
    code, _, err = _cli(
        capsys, monkeypatch, "staff", "add", "sara", "--role", "supervisor", "--db", str(db)
    )
    assert code == 0, err
    account = _account(db, "sara")
    assert account is not None and account.is_supervisor


def test_the_password_is_prompted_twice_without_echo(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([PASSWORD, PASSWORD])
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    stdin = io.StringIO("")
    stdin.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", stdin)
    code = main(["staff", "add", "omid", "--role", "agent", "--db", str(db)])
    assert code == 0, capsys.readouterr().err
    assert prompts == ["Password: ", "Password again: "]


def test_the_password_is_never_an_argument(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for extra in (["--password", PASSWORD], [PASSWORD]):
        with pytest.raises(SystemExit) as exited:
            _cli(capsys, monkeypatch, "staff", "add", "ali", "--role", "agent", *extra)
        assert exited.value.code == 2
    assert _account(db, "ali") is None


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        (["add", "ali", "--role", "agent", "--password-stdin"], "short\n", "at least 12"),
        (["add", "ali", "--role", "agent"], "", "no terminal to ask for the password"),
        (["add", "A li", "--role", "agent", "--password-stdin"], PASSWORD, "user name"),
        (["add", "x", "--role", "agent", "--password-stdin"], PASSWORD, "user name"),
        (["disable", "nobody"], "", "no staff account 'nobody'"),
        (["password", "nobody", "--password-stdin"], PASSWORD, "no staff account 'nobody'"),
    ],
)
def test_refusals_in_words(
    db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    stdin: str,
    says: str,
) -> None:
    code, _, err = _cli(capsys, monkeypatch, "staff", *argv, "--db", str(db), stdin=stdin)
    assert code != 0
    assert says in err
    assert PASSWORD not in err


def test_a_role_must_be_given_and_known(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for extra in ([], ["--role", "admin"]):
        with pytest.raises(SystemExit):
            _cli(capsys, monkeypatch, "staff", "add", "ali", "--db", str(db), *extra)


def test_list_disable_enable_and_a_new_password(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return _cli(capsys, monkeypatch, "staff", *argv, "--db", str(db), stdin=stdin)

    assert run("list")[1].strip() == "no staff accounts"
    assert run("add", "amina", "--role", "agent", "--password-stdin", stdin=PASSWORD)[0] == 0
    code, _, err = run("add", "amina", "--role", "agent", "--password-stdin", stdin=PASSWORD)
    assert code == 2 and "exists already" in err
    assert run("add", "sara", "--role", "supervisor", "--password-stdin", stdin=PASSWORD)[0] == 0
    code, out, _ = run("list")
    lines = [line.split("\t")[:3] for line in out.strip().splitlines()]
    assert lines == [["amina", "agent", "active"], ["sara", "supervisor", "active"]]
    assert run("disable", "amina")[1].strip() == "staff account amina disabled"
    assert "DISABLED" in run("list")[1]
    assert run("enable", "amina")[1].strip() == "staff account amina enabled"
    code, out, _ = run("password", "amina", "--password-stdin", stdin="another long password")
    assert code == 0 and "password changed" in out
    account = _account(db, "amina")
    assert account is not None
    assert password_matches(account.password_hash, "another long password")
    assert not password_matches(account.password_hash, PASSWORD)


def test_an_in_memory_store_is_refused_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "memory.toml"
    config.write_text('[store]\nurl = "memory://"\n', "utf-8")
    code, _, err = _cli(
        capsys,
        monkeypatch,
        "staff",
        "add",
        "amina",
        "--role",
        "agent",
        "--password-stdin",
        "--config",
        str(config),
        stdin=PASSWORD,
    )
    assert code == 2
    assert "memory://" in err and "SQLite file or PostgreSQL" in err
