"""What the benchmarks share: figures, the cached registry CSV and database, local servers."""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import secrets
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import asyncpg

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.logs import configure_logging
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.settings import Settings, load_settings
from eligibility_gw.synthetic import synthetic_rows, write_csv

#: Generated registries and databases live here (gitignored).
DATA_DIR = Path(__file__).resolve().parent / "data"
#: The local servers the PostgreSQL and Redis figures need (skipped when they are missing).
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PG_ADMIN_DSN = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
FULL_ROWS = 1_000_000
QUICK_ROWS = 100_000
DEFAULT_PACK = "ir-tamin"


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure and, when the issue sets one, its target."""

    name: str
    value: float
    unit: str
    target: float | None = None
    #: True when more is better (rates), false when less is better (durations).
    higher_is_better: bool = True
    note: str = ""

    @property
    def verdict(self) -> str:
        """``pass``, ``FAIL``, or ``-`` when there is no target."""
        if self.target is None:
            return "-"
        ok = self.value >= self.target if self.higher_is_better else self.value <= self.target
        return "pass" if ok else "FAIL"

    @property
    def target_text(self) -> str:
        """The target as the summary shows it."""
        if self.target is None:
            return "-"
        sign = ">=" if self.higher_is_better else "<="
        return f"{sign} {fmt(self.target)} {self.unit}"


def fmt(value: float) -> str:
    """A figure with thousands separators and a sensible number of decimals."""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def print_figures(figures: list[Figure]) -> None:
    """The summary table, in Markdown so it can be pasted into RESULTS.md."""
    header = ("figure", "value", "target", "result", "note")
    rows = [(f.name, f"{fmt(f.value)} {f.unit}", f.target_text, f.verdict, f.note) for f in figures]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def machine() -> str:
    """Cores and interpreter, as the figures should be read against."""
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), SQLite {sqlite3.sqlite_version},"
        f" {platform.system()} {platform.machine()}"
    )


def load_text() -> str:
    """The load average: other processes on the machine skew every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def quiet_logs() -> None:
    """Warnings only, as one-shot commands log: every answer logs at info."""
    configure_logging("warning", "json")


def bench_settings(pack_name: str, db_path: Path | str) -> Settings:
    """The shipped example settings, with the bench's rule pack and store.

    ``db_path`` is an SQLite file, or the URL of a PostgreSQL database (``postgresql://``).
    """
    settings = load_settings(None)
    if isinstance(db_path, str) and db_path.startswith("postgresql://"):
        settings = replace(settings, store=replace(settings.store, url=db_path))
    else:
        settings = settings.with_store_path(db_path)
    return replace(settings, gateway=replace(settings.gateway, rule_pack=pack_name))


def today_for(pack_name: str) -> date:
    """Today as the gateway sees it (in its configured time zone)."""
    return bench_settings(pack_name, DATA_DIR / "unused.sqlite3").today()


def pack_for(pack_name: str) -> RulePack:
    """A shipped rule pack by name."""
    return load_rule_pack(pack_name)


def csv_path(pack_name: str, rows: int) -> Path:
    """Where the registry CSV of ``rows`` rows is cached."""
    return DATA_DIR / f"registry-{pack_name}-{rows}.csv"


def db_path(pack_name: str, rows: int) -> Path:
    """Where the database imported from that CSV is kept (for the check benchmark)."""
    return DATA_DIR / f"registry-{pack_name}-{rows}.sqlite3"


def registry_csv(pack_name: str, rows: int) -> Path:
    """The cached registry CSV of exactly ``rows`` synthetic rows, written when missing.

    Rows are streamed from ``synthetic_rows`` straight into the file; row ``n`` (from 1)
    has the national id ``synthetic_id(pack, n)``, which the check benchmark relies on.
    """
    path = csv_path(pack_name, rows)
    if path.is_file():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    pack = pack_for(pack_name)
    started = time.perf_counter()
    # Every family has at least one row, so ``rows`` families always yield enough rows.
    stream = itertools.islice(synthetic_rows(pack, rows, today_for(pack_name)), rows)
    partial = path.with_suffix(".csv.partial")
    written = write_csv(partial, stream)
    partial.replace(path)
    print(f"  generated {path.name}: {written:,} rows in {time.perf_counter() - started:.1f} s")
    return path


def reachable(host: str, port: int) -> bool:
    """Say whether something listens on ``host:port`` (a database server, Redis)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_reachable() -> bool:
    """Say whether the local PostgreSQL server listens."""
    return reachable(PG_HOST, PG_PORT)


def redis_reachable() -> bool:
    """Say whether the local Redis server listens."""
    return reachable(REDIS_HOST, REDIS_PORT)


async def _admin(*statements: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextmanager
def scratch_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database of the benchmark's own; its URL. Dropped afterwards.

    Never the ``test`` database that test runs use: a benchmark must not clobber them.
    """
    if not name.startswith("bench_") or not name.replace("_", "").isalnum():
        raise ValueError(f"not a benchmark database name: {name!r}")
    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    asyncio.run(_admin(drop, f"CREATE DATABASE {name}"))
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        asyncio.run(_admin(drop))


def remove_db(path: Path) -> None:
    """Delete a database file with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def twilio_form(sender: str, body: str, to: str = "+98300001420") -> dict[str, str]:
    """An inbound SMS as Twilio posts it to the webhook, with a fresh ``MessageSid``."""
    sid = "SM" + secrets.token_hex(16)
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
