"""Import a registry CSV: upsert good rows in batches, report bad rows by line and reason."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from tqdm import tqdm

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import (
    BulkLoading,
    CorrectionsOnFile,
    Registry,
    RegistryLoad,
    RegistryRow,
)
from eligibility_gw.registry_csv import (
    HeaderError,
    RowError,
    RowReader,
    column_positions,
    optional_positions,
)

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
    #: Rows imported whose file disagrees with a correction made at a branch or by the
    #: hotline: what was kept, or replaced, and why.
    conflicts: list[ImportProblem] = field(default_factory=list)

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

    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Corrections on file for these persons."""
        return await self._registry.corrections(national_ids)

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


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _by(name: str | None) -> str:
    return f" by {name}" if name else ""


@dataclass(frozen=True, slots=True)
class Corrections:
    """How an import treats corrections made at a branch or by the hotline.

    ``as_of``: when the registry file was made (its modification time unless told): a
    correction made after it is one the registry could not know. ``prefer_registry``: the
    file's phone replaces a correction (documents seen at a branch stay: they are evidence
    of their own, with who recorded them).
    """

    as_of: datetime
    prefer_registry: bool = False

    def resolve(self, row: RegistryRow, found: CorrectionsOnFile) -> tuple[RegistryRow, list[str]]:
        """The row as it is to be written, and what to report about it.

        A phone corrected at the console stands when the file still has the registry's
        number from before the correction (the registry has not changed its mind), or when
        the correction is newer than the file; else the file's number is newer and is taken.
        """
        notes: list[str] = []
        phone = found.phone
        if phone is not None and row.phone != phone.phone:
            when = f"on {_day(phone.corrected_at)}{_by(phone.corrected_by)}"
            if self.prefer_registry:
                notes.append(
                    f"phone: the file's number replaces the one corrected at the console {when}"
                    " (--prefer-registry)"
                )
            elif row.phone == phone.registry_phone or phone.corrected_at > self.as_of:
                row = replace(row, keep_phone=True)
                notes.append(
                    f"phone: the file disagrees with the number corrected at the console {when};"
                    " the correction is kept (--prefer-registry takes the file's)"
                )
            else:
                notes.append(
                    f"phone: the file, made after the correction at the console {when},"
                    " has another number; the file's is taken"
                )
        for doc in found.documents:
            if doc.recorded_at <= self.as_of:
                continue  # the registry could have known it when the file was made
            seen = f"seen at a branch on {_day(doc.recorded_at)}{_by(doc.recorded_by)}"
            if doc.kind == "birth_certificate" and row.birth_certificate_seen is False:
                notes.append(
                    f"birth_certificate_seen is no, but a birth certificate was {seen}"
                    " after the file was made; it stays on file"
                )
            elif doc.kind == "student_certificate" and (
                doc.valid_until is None
                or row.student_until is None
                or row.student_until < doc.valid_until
            ):
                until = doc.valid_until.isoformat() if doc.valid_until else "no end"
                notes.append(
                    f"student_until is {row.student_until or 'empty'}, but a certificate valid"
                    f" until {until} was {seen} after the file was made; it stays on file"
                )
        return row, notes


class _Batches:
    """Rows waiting to be written; dependents wait until their principal is known."""

    def __init__(
        self, registry: RegistryLoad, report: ImportReport, corrections: Corrections
    ) -> None:
        self.registry = registry
        self.report = report
        self.corrections = corrections
        self.rows: list[tuple[int, RegistryRow]] = []
        self.deferred: list[tuple[int, RegistryRow]] = []
        self.principals_in_file: set[str] = set()
        self.principals_in_store: set[str] = set()
        self._writing: asyncio.Task[None] | None = None

    async def _write(self, lines: list[tuple[int, RegistryRow]]) -> None:
        """Start writing rows once the previous batch is written, without waiting for it.

        Batches stay in file order (a principal is written before dependents of later
        batches), while the next batch is read and checked as this one is written: the
        store's work (SQLite's thread, PostgreSQL's server) overlaps the parsing. Each row
        is first compared with the corrections on file for its person.
        """
        found = await self.registry.corrections([r.national_id for _, r in lines])
        rows = []
        for line, given in lines:
            corrected = found.get(given.national_id)
            if corrected is None:
                rows.append(given)
                continue
            written, notes = self.corrections.resolve(given, corrected)
            self.report.conflicts.extend(ImportProblem(line, n) for n in notes)
            rows.append(written)
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
                ready.append((line, row))
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
                await self._write(late)
        if final:
            await self.wait()


def _made_at(path: Path) -> datetime:
    """When the file was last written: when the registry made it, as far as we can tell."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


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
    *,
    as_of: datetime | None = None,
    prefer_registry: bool = False,
    provider_phones: Mapping[str, str] | None = None,
) -> ImportReport:
    """Import ``path``; a missing column stops everything, a bad row only itself.

    A registry that loads in bulk (``ports.BulkLoading``: PostgreSQL) takes the whole file
    in one transaction; any other upserts and commits it batch by batch.

    Corrections made at a branch or by the hotline survive (see ``Corrections``; ``as_of``
    defaults to the file's modification time). ``provider_phones`` (phone to provider id):
    a row giving a person a provider's phone is refused, or that person would be answered
    as the provider.

    The cyclic garbage collector is paused meanwhile: an import allocates millions of
    short-lived, acyclic objects, and the collector's passes over them cost about 15 %.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    if as_of is None:
        as_of = _made_at(path)
    corrections = Corrections(as_of, prefer_registry)
    try:
        return await _import(
            path, registry, pack, today, progress, batch_size, corrections, provider_phones or {}
        )
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
    corrections: Corrections,
    provider_phones: Mapping[str, str],
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
        parse = RowReader(
            column_positions(header),
            pack,
            today,
            width=len(header),
            optional=optional_positions(header),
        ).parse
        async with _loading(registry) as load:
            batches = _Batches(load, report, corrections)
            try:
                await _read_rows(reader, parse, batches, bar, batch_size, provider_phones)
                await batches.flush(final=True)
            except BaseException:
                await batches.abandon()
                raise
    report.problems.sort(key=lambda p: p.line)
    report.conflicts.sort(key=lambda p: p.line)
    return report


async def _read_rows(
    reader: Reader,
    parse: Callable[[list[str]], RegistryRow],
    batches: _Batches,
    bar: tqdm[NoReturn],
    batch_size: int,
    provider_phones: Mapping[str, str],
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
                if row.phone is not None and row.phone in provider_phones:
                    report.problems.append(
                        ImportProblem(
                            line,
                            f"phone is registered to provider {provider_phones[row.phone]}:"
                            " a provider's phone cannot be on file for an insured person",
                        )
                    )
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
