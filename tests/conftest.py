"""Fixtures shared by the test suites: a real SQLite store, settings on a temporary file,
and registry CSV files written from rows."""

from __future__ import annotations

import csv
import functools
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from pathlib import Path
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from eligibility_gw import demo
from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.demo import Persona
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.gateway import Gateway
from eligibility_gw.ports import Store
from eligibility_gw.registry_csv import COLUMNS
from eligibility_gw.rulepacks import load_rule_pack, rule_pack_for
from eligibility_gw.settings import CONFIG_ENV, Settings, load_settings
from tests.gateway import Client, TestGateway, gateway_settings, seed, store_url

#: The privacy scan of every log line of the session; pytester runs pytest in tests.
pytest_plugins = ["tests.privacy_scan", "pytester"]


async def seed_demo(store: Store, config: Path, api_key: str) -> list[Persona]:
    """Fill ``store`` with the demo personas of ``config``'s rule pack and the demo pharmacy
    holding ``api_key``; the personas. ``store`` is closed afterwards."""
    settings = load_settings(config)
    try:
        people = await demo.seed_demo(store, rule_pack_for(settings), settings.today(), api_key)
    finally:
        await store.close()
    return people


#: A registry row as written to a CSV file: column name to cell text.
CsvRow = Mapping[str, str]


@pytest.fixture(autouse=True)
def _structlog_as_before() -> Iterator[None]:
    """Put structlog back to the session's set-up after every test.

    CLI commands configure structlog to print to the ``sys.stderr`` of their moment: pytest's
    capture of that one test. Later tests that log must not write to that closed stream.
    """
    yield
    # Imported here: pytest imports the plugin module first, to rewrite its asserts.
    from tests.privacy_scan import restore_structlog

    restore_structlog()


@functools.cache
def ir_pack() -> RulePack:
    """The shipped ir-tamin rule pack, read once."""
    return load_rule_pack("ir-tamin")


def ir_id(n: int) -> str:
    """The ``n``-th test national code: valid under ir-tamin, far from the demo's ids."""
    return ir_pack().national_id.complete(f"5{n:08d}")


def with_bad_check_digit(national_id: str) -> str:
    """``national_id`` with its last digit changed: a typo its check digit catches."""
    return national_id[:-1] + str((int(national_id[-1]) + 1) % 10)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's SQLite file lives (not created until something opens it)."""
    return tmp_path / "gateway.sqlite3"


@pytest.fixture
async def sqlite_store(db_path: Path) -> AsyncIterator[SqliteStore]:
    """A real SQLite store, migrated, in a temporary directory; closed after the test."""
    store = await open_sqlite_store(db_path)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def settings(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The shipped example settings (ir-tamin, Asia/Tehran, fa then en) on ``db_path``."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    return load_settings(None).with_store_path(db_path)


def principal_csv_row(national_id: str, **cells: str) -> dict[str, str]:
    """A valid ``self`` row with its cover period; ``cells`` override any column."""
    row = {
        "national_id": national_id,
        "given_name": "Ali",
        "family_name": "Rezaei",
        "birth_date": "1980-03-01",
        "sex": "M",
        "phone": "",
        "relationship": "self",
        "principal_id": "",
        "cover_start": "2020-01-01",
        "cover_end": "2099-12-31",
        "marital_status": "married",
        "student_until": "",
        "birth_certificate_seen": "",
        "disabled": "no",
        "has_income": "no",
        "other_insurer": "",
    }
    row.update(cells)
    return row


def dependent_csv_row(
    national_id: str, principal_id: str, relationship: str = "child", **cells: str
) -> dict[str, str]:
    """A valid dependent row (no cover period of its own); ``cells`` override any column."""
    row = principal_csv_row(
        national_id,
        given_name="Sara",
        birth_date="2015-06-15",
        sex="F",
        relationship=relationship,
        principal_id=principal_id,
        cover_start="",
        cover_end="",
        marital_status="single",
    )
    row.update(cells)
    return row


def write_registry_csv(
    path: Path,
    rows: Iterable[CsvRow],
    columns: Sequence[str] = COLUMNS,
    encoding: str = "utf-8",
) -> Path:
    """Write ``rows`` under a header of ``columns`` (missing cells are empty); return ``path``.

    ``encoding="utf-8-sig"`` writes a byte order mark first, as spreadsheet programs do.
    """
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


#: ``make_gateway(store="sqlite"|"memory"|"postgresql", seed_demo=True, client_args=None,
#: **gateway_settings options)``: a seeded gateway, its app and a client.
MakeGateway = Callable[..., Awaitable[TestGateway]]


@pytest.fixture
async def make_gateway(tmp_path: Path, aiohttp_client: AiohttpClient) -> AsyncIterator[MakeGateway]:
    """Start gateways as a test asks for them (the suite's one gateway factory)."""
    opened: list[tuple[Gateway, Client]] = []
    schemas: list[str] = []

    async def make(
        *,
        store: str = "sqlite",
        seed_demo: bool = True,
        client_args: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> TestGateway:
        from eligibility_gw.channels import gateway_app  # channels only where a test needs them

        folder = tmp_path / f"gateway-{len(opened)}"
        folder.mkdir()
        pg = None
        if store == "postgresql":
            from tests.contract.stores import fresh_postgres_url

            pg, schema = await fresh_postgres_url()
            schemas.append(schema)
        settings = gateway_settings(store_url(store, folder, pg), **options)
        gateway = await open_gateway(settings)
        try:
            people = await seed(gateway) if seed_demo else {}
            extra: dict[str, Any] = dict(client_args or {})
            client: Client = await aiohttp_client(gateway_app(settings, gateway), **extra)
        except BaseException:
            await gateway.close()
            raise
        opened.append((gateway, client))
        return TestGateway(settings, gateway, client, people)

    try:
        yield make
    finally:
        for gateway, client in reversed(opened):
            await client.close()
            await gateway.close()
        if schemas:
            from tests.contract.stores import drop_postgres_schemas

            await drop_postgres_schemas(schemas)
