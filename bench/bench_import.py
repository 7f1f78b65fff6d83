"""Registry import: rows per second of a synthetic registry CSV into SQLite and PostgreSQL.

The CSV (``synthetic_rows`` + ``write_csv``) is cached in ``bench/data/`` by pack and row
count. The first import goes into a new database file; a second import of the same file
into that database measures the upsert path. The clock covers what ``eligibility-gw
import-registry`` does: open the store, ``import_registry``, close (WAL checkpoint).

When a PostgreSQL server listens on 127.0.0.1:5432 the same two imports go into a database
of their own, ``bench_import``, created empty for the run and dropped after it (never the
``test`` database of the test suite). The first is a fresh load (COPY straight into the
tables, indexes and keys built at the end), the second a re-import (staged, then merged).

    python -m bench.bench_import [--rows 1000000] [--pack ir-tamin] [--no-reimport]
        [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._common import (
    DEFAULT_PACK,
    FULL_ROWS,
    Figure,
    bench_settings,
    db_path,
    load_text,
    machine,
    postgres_reachable,
    print_figures,
    quiet_logs,
    registry_csv,
    remove_db,
    scratch_database,
)
from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.importer import import_registry

TARGET_ROWS_PER_SECOND = 20_000.0
TARGET_POSTGRES_ROWS_PER_SECOND = 50_000.0
POSTGRES_DATABASE = "bench_import"
#: "Well under a minute" for a registry of a million rows.
TARGET_FULL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ImportTiming:
    """One import run."""

    rows: int
    refused: int
    open_s: float
    import_s: float
    close_s: float
    #: CPU seconds of the process (both threads): near the wall time when nothing competes.
    cpu_s: float

    @property
    def total_s(self) -> float:
        """Open, import and close."""
        return self.open_s + self.import_s + self.close_s

    @property
    def rate(self) -> float:
        """Rows per second, end to end."""
        return self.rows / self.total_s

    def show(self, label: str) -> None:
        """One line per run."""
        print(
            f"  {label}: {self.rows:,} rows ({self.refused} refused) in {self.total_s:.1f} s"
            f" = {self.rate:,.0f} rows/s  [open {self.open_s:.2f} s, import"
            f" {self.import_s:.1f} s, close {self.close_s:.2f} s; cpu {self.cpu_s:.1f} s]"
        )


async def import_once(pack_name: str, csv: Path, db: Path | str) -> ImportTiming:
    """Import ``csv`` into ``db`` (a file, or a PostgreSQL URL) as the CLI does, timed."""
    settings = bench_settings(pack_name, db)
    cpu = time.process_time()
    t0 = time.perf_counter()
    core = await open_gateway(settings)
    t1 = time.perf_counter()
    try:
        report = await import_registry(
            csv, core.store.registry, core.pack, settings.today(), progress=False
        )
        t2 = time.perf_counter()
    finally:
        await core.close()
    t3 = time.perf_counter()
    return ImportTiming(
        report.rows_imported,
        report.rows_refused,
        t1 - t0,
        t2 - t1,
        t3 - t2,
        time.process_time() - cpu,
    )


async def build_db(pack_name: str, rows: int) -> ImportTiming:
    """A fresh database imported from the cached CSV of ``rows`` rows."""
    csv = registry_csv(pack_name, rows)
    db = db_path(pack_name, rows)
    remove_db(db)
    return await import_once(pack_name, csv, db)


def run(
    rows: int = FULL_ROWS,
    pack_name: str = DEFAULT_PACK,
    reimport: bool = True,
    postgres: bool = True,
) -> list[Figure]:
    """Import figures: fresh import rate and time, and the re-import (upsert) rate."""
    quiet_logs()
    print(f"bench_import: {rows:,} rows, pack {pack_name}; {load_text()}")
    registry_csv(pack_name, rows)
    first = asyncio.run(build_db(pack_name, rows))
    first.show("fresh import")
    db = db_path(pack_name, rows)
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    print(f"    database {db.name}: {size / 1e6:,.0f} MB")
    figures = [
        Figure(
            f"import {rows:,} rows (fresh)",
            first.rate,
            "rows/s",
            TARGET_ROWS_PER_SECOND,
            note=f"open + import + close; process cpu {first.cpu_s:.1f} s",
        ),
        Figure(
            f"import {rows:,} rows (fresh), wall time",
            first.total_s,
            "s",
            TARGET_FULL_SECONDS if rows >= FULL_ROWS else None,
            higher_is_better=False,
        ),
    ]
    if reimport:
        again = asyncio.run(import_once(pack_name, registry_csv(pack_name, rows), db))
        again.show("re-import (upsert)")
        figures.append(
            Figure(
                f"re-import {rows:,} rows (upsert)",
                again.rate,
                "rows/s",
                note=f"no target set; process cpu {again.cpu_s:.1f} s",
            )
        )
    if postgres:
        figures += run_postgres(rows, pack_name, reimport)
    return figures


def run_postgres(rows: int, pack_name: str, reimport: bool = True) -> list[Figure]:
    """The same imports into an empty PostgreSQL database, then again into the full one."""
    if not postgres_reachable():
        print("bench_import: PostgreSQL figures skipped, no server on 127.0.0.1:5432")
        return []
    csv = registry_csv(pack_name, rows)
    print(f"bench_import: PostgreSQL, database {POSTGRES_DATABASE}; {load_text()}")
    runs: list[tuple[str, ImportTiming]] = []
    with scratch_database(POSTGRES_DATABASE) as url:
        runs.append(("fresh", asyncio.run(import_once(pack_name, csv, url))))
        runs[-1][1].show("PostgreSQL fresh import")
        if reimport:
            print(f"    {load_text()}")
            runs.append(("re-import", asyncio.run(import_once(pack_name, csv, url))))
            runs[-1][1].show("PostgreSQL re-import (nothing changed)")
    return [
        Figure(
            f"import {rows:,} rows into PostgreSQL ({kind})",
            timing.rate,
            "rows/s",
            TARGET_POSTGRES_ROWS_PER_SECOND,
            note=f"open + import + close; client cpu {timing.cpu_s:.1f} s (the server's apart)",
        )
        for kind, timing in runs
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_import", description=__doc__)
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    parser.add_argument("--no-reimport", action="store_true", help="skip the upsert run")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    print(machine())
    figures = run(args.rows, args.pack, not args.no_reimport, not args.no_postgres)
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
