"""Import a registry CSV: upsert good rows in batches, report bad rows by line and reason."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import Registry, RegistryRow
from eligibility_gw.registry_csv import HeaderError, RowError, column_positions, parse_row

BATCH_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """A refused row: where, and why."""

    line: int
    reason: str


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    rows_read: int = 0
    rows_imported: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def rows_refused(self) -> int:
        """Rows skipped for a problem."""
        return len(self.problems)


class _Batches:
    """Rows waiting to be written; dependents wait until their principal is known."""

    def __init__(self, registry: Registry, report: ImportReport) -> None:
        self.registry = registry
        self.report = report
        self.rows: list[tuple[int, RegistryRow]] = []
        self.deferred: list[tuple[int, RegistryRow]] = []
        self.principals_in_file: set[str] = set()
        self.principals_in_store: set[str] = set()
        self._writing: asyncio.Task[None] | None = None

    async def _write(self, rows: list[RegistryRow]) -> None:
        """Start writing ``rows`` once the previous batch is written, without waiting for it.

        Batches stay in file order (a principal is written before dependents of later
        batches), while the next batch is read and checked as this one is written: the
        store's work (SQLite's thread, PostgreSQL's server) overlaps the parsing.
        """
        await self.wait()
        self._writing = asyncio.create_task(self.registry.upsert_rows(rows))
        self.report.rows_imported += len(rows)

    async def wait(self) -> None:
        """Wait for the batch being written (its failure surfaces here)."""
        if self._writing is not None:
            task, self._writing = self._writing, None
            await task

    async def abandon(self) -> None:
        """After a failure: let the batch being written finish, keeping the first error."""
        with contextlib.suppress(Exception):
            await self.wait()

    async def flush(self, final: bool = False) -> None:
        ready, waiting = [], []
        unknown = {
            r.principal_id
            for _, r in self.rows
            if r.principal_id is not None
            and r.principal_id not in self.principals_in_file
            and r.principal_id not in self.principals_in_store
        }
        if unknown:
            self.principals_in_store |= await self.registry.principals_known(sorted(unknown))
        for line, row in self.rows:
            if (
                row.principal_id is None
                or row.principal_id in self.principals_in_file
                or row.principal_id in self.principals_in_store
            ):
                ready.append(row)
            else:
                waiting.append((line, row))
        if ready:
            await self._write(ready)
        self.rows = []
        self.deferred.extend(waiting)
        if final and self.deferred:
            late = [(ln, r) for ln, r in self.deferred if r.principal_id in self.principals_in_file]
            for ln, r in self.deferred:
                if r.principal_id not in self.principals_in_file:
                    self.report.problems.append(
                        ImportProblem(
                            ln,
                            "principal_id is not the national id of an insured "
                            "principal (no 'self' row in this file or the registry)",
                        )
                    )
            self.deferred = []
            if late:
                await self._write([r for _, r in late])
        if final:
            await self.wait()


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1


async def import_registry(
    path: Path,
    registry: Registry,
    pack: RulePack,
    today: date,
    progress: bool | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import ``path``; a missing column stops everything, a bad row only itself.

    The cyclic garbage collector is paused meanwhile: an import allocates millions of
    short-lived, acyclic objects, and the collector's passes over them cost about 15 %.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return await _import(path, registry, pack, today, progress, batch_size)
    finally:
        if was_enabled:
            gc.enable()


async def _import(
    path: Path,
    registry: Registry,
    pack: RulePack,
    today: date,
    progress: bool | None,
    batch_size: int,
) -> ImportReport:
    report = ImportReport()
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(
        total=_count_lines(path),
        unit="rows",
        disable=not show,
        file=sys.stderr,
        desc="import",
        unit_scale=True,
    )
    batches = _Batches(registry, report)
    first_line: dict[str, int] = {}

    def refuse(line: int, reason: str) -> None:
        report.problems.append(ImportProblem(line, reason))

    fh: TextIO
    with bar, path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise HeaderError("the file is empty: a header row is required") from None
        except csv.Error as exc:
            raise HeaderError(f"the header row cannot be read: {exc}") from None
        positions = column_positions(header)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                refuse(reader.line_num, f"malformed CSV: {exc}")
                continue
            line = reader.line_num
            bar.update(1)
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            report.rows_read += 1
            try:
                row = parse_row(fields, positions, pack, today)
            except RowError as exc:
                refuse(line, str(exc))
                continue
            seen = first_line.get(row.national_id)
            if seen is not None:
                refuse(line, f"national_id appears again (first on line {seen})")
                continue
            first_line[row.national_id] = line
            if row.principal_id is None:
                batches.principals_in_file.add(row.national_id)
            batches.rows.append((line, row))
            if len(batches.rows) >= batch_size:
                try:
                    await batches.flush()
                except BaseException:
                    await batches.abandon()
                    raise
        await batches.flush(final=True)
    report.problems.sort(key=lambda p: p.line)
    return report
