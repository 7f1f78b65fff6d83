"""Import a registry CSV: upsert good rows in batches, report bad rows by line and reason."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from tqdm import tqdm

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import BulkLoading, Registry, RegistryLoad, RegistryRow
from eligibility_gw.registry_csv import HeaderError, RowError, RowReader, column_positions

if TYPE_CHECKING:
    from _csv import Reader

BATCH_SIZE = 20_000
#: Rows read between chances for the batch being written to move on (see ``_read_rows``).
YIELD_EVERY = 256


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


class _BatchUpserts:
    """A registry without bulk loads: each batch is upserted, and committed, on its own."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of these ids are principals in the store."""
        return await self._registry.principals_known(national_ids)

    async def write(self, rows: Sequence[RegistryRow]) -> None:
        """Upsert one batch."""
        await self._registry.upsert_rows(rows)


@contextlib.asynccontextmanager
async def _loading(registry: Registry) -> AsyncIterator[RegistryLoad]:
    """The registry's own bulk load when it has one, else batch upserts."""
    if isinstance(registry, BulkLoading):
        async with registry.load() as load:
            yield load
    else:
        yield _BatchUpserts(registry)


class _Batches:
    """Rows waiting to be written; dependents wait until their principal is known."""

    def __init__(self, registry: RegistryLoad, report: ImportReport) -> None:
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
        self._writing = asyncio.create_task(self.registry.write(rows))
        self.report.rows_imported += len(rows)

    @property
    def writing(self) -> bool:
        """Say whether a batch is being written now."""
        return self._writing is not None and not self._writing.done()

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

    A registry that loads in bulk (``ports.BulkLoading``: PostgreSQL) takes the whole file
    in one transaction; any other upserts and commits it batch by batch.

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
    fh: TextIO
    with bar, path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise HeaderError("the file is empty: a header row is required") from None
        except csv.Error as exc:
            raise HeaderError(f"the header row cannot be read: {exc}") from None
        parse = RowReader(column_positions(header), pack, today).parse
        async with _loading(registry) as load:
            batches = _Batches(load, report)
            try:
                await _read_rows(reader, parse, batches, bar, batch_size)
                await batches.flush(final=True)
            except BaseException:
                await batches.abandon()
                raise
    report.problems.sort(key=lambda p: p.line)
    return report


async def _read_rows(
    reader: Reader,
    parse: Callable[[list[str]], RegistryRow],
    batches: _Batches,
    bar: tqdm[NoReturn],
    batch_size: int,
) -> None:
    """Check each row and queue the good ones; a malformed line is refused, not fatal.

    Checking rows is plain computation that never gives the event loop a turn, so every
    ``YIELD_EVERY`` rows it yields while a batch is being written: the writer then sends
    its next piece (PostgreSQL's COPY data, SQLite's next statement) and the store works
    on it while the reader goes on.
    """
    report = batches.report
    first_line: dict[str, int] = {}
    principals_in_file = batches.principals_in_file
    queued = batches.rows
    countdown = YIELD_EVERY
    while True:
        try:
            for fields in reader:
                line = reader.line_num
                bar.update(1)
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                report.rows_read += 1
                countdown -= 1
                if not countdown:
                    countdown = YIELD_EVERY
                    if batches.writing:
                        await asyncio.sleep(0)
                try:
                    row = parse(fields)
                except RowError as exc:
                    report.problems.append(ImportProblem(line, str(exc)))
                    continue
                seen = first_line.get(row.national_id)
                if seen is not None:
                    report.problems.append(
                        ImportProblem(line, f"national_id appears again (first on line {seen})")
                    )
                    continue
                first_line[row.national_id] = line
                if row.principal_id is None:
                    principals_in_file.add(row.national_id)
                queued.append((line, row))
                if len(queued) >= batch_size:
                    await batches.flush()
                    queued = batches.rows
        except csv.Error as exc:
            report.problems.append(ImportProblem(reader.line_num, f"malformed CSV: {exc}"))
            continue
        return
