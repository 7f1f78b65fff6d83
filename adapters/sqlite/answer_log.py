"""SQLite ``AnswerLog``: the hash-chained log of every answer, written by group commit.

Answers are written by group commit, each batch in one transaction of the log's own
connection (``LogWriter``), under the file's write gate: callers wait until the batch holding
their answer is committed, so no answer is returned unlogged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import structlog

from eligibility_gw.adapters import rows
from eligibility_gw.adapters.chain import ChainWalk
from eligibility_gw.adapters.codes import fresh_codes_now
from eligibility_gw.adapters.errors import problem_of
from eligibility_gw.adapters.groupcommit import GroupCommitter
from eligibility_gw.adapters.sqlite.database import SQLITE_ERRORS, SqliteDatabase, unavailable
from eligibility_gw.domain.answer import (
    GENESIS_HASH,
    AnswerDraft,
    AnswerRecord,
    link,
)
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import ChainHead, ChainReport, StoreUnavailable

_LOG_COLUMNS = rows.select(rows.LOG_COLUMNS)
_LOG_MARKS = ",".join("?" * len(rows.LOG_COLUMNS))

log = structlog.get_logger(__name__)

#: WAL frames a background checkpoint may leave before the writer holds the gate to start
#: the WAL over (128 MiB at SQLite's 4 KiB pages: about every 4 s at full load, each time
#: answers wait about 10 ms; a bound of 32 MiB made them wait four times as often).
WAL_RESTART_FRAMES = 32768
#: The WAL file is cut back to this size when it starts over.
WAL_SIZE_LIMIT = 128 * 1024 * 1024


def _lowest_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux: niceness is per thread)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


class LogWriter:
    """The answer log's own connection, which writes each batch in one transaction.

    A batch is written on the event loop when the database's write lock is free at once:
    appending a few rows to the WAL takes less than handing them to a thread would. When
    another writer (an import, another process) holds the lock, the batch waits for it in
    the writer's thread instead, never on the loop. The connection does not checkpoint on
    commit (that would fsync on the loop); a reader connection checkpoints the WAL passively
    every ``checkpoint_rows`` rows, in a thread of its own at the lowest CPU priority: copying
    pages back into the database is background work, done with the CPU the event loop leaves
    idle, never by taking the loop's share (it took tens of milliseconds every two seconds
    under load, and each time the answers queued behind it).

    Under a steady stream of commits a background checkpoint never reaches the WAL's end
    (commits arrive while it copies), so SQLite never starts the WAL over and the file grows
    without bound (about 30 MiB a second at 2,800 answers/s: each row changes a random page
    of two indexes). When a background checkpoint finds more than ``restart_frames`` frames
    in the WAL, the writer holds the file's write gate (answers queue in the group commit
    meanwhile) while a second checkpoint copies the few frames committed since: the WAL is then
    wholly in the database, the next commit starts it from its beginning, and the file is cut
    back to ``WAL_SIZE_LIMIT``.

    With ``fsync`` every batch is written in the thread with ``synchronous=FULL``: its
    answers go out only once the WAL is on disk, so they survive a power cut as well as a
    killed process (without it, the OS holds the committed write: a killed process loses
    nothing, a machine losing power may lose the last moments).
    """

    def __init__(
        self,
        path: str,
        checkpoint_rows: int = 2000,
        fsync: bool = False,
        gate: asyncio.Lock | None = None,
        restart_frames: int = WAL_RESTART_FRAMES,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-log")
        self._background = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="answer-log-checkpoint", initializer=_lowest_priority
        )
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL syncs the WAL at every commit: never on the loop, always in the thread.
        self._conn.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._fsync = fsync
        self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._conn.execute("PRAGMA busy_timeout=0")
        self._conn.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        self._checkpointer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._checkpointer.execute("PRAGMA busy_timeout=10000")
        self._checkpoint_rows = checkpoint_rows
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Future[int] | None = None
        #: The file's write gate, held while the last frames are copied before a restart.
        self._gate = gate if gate is not None else asyncio.Lock()
        self._restart_frames = restart_frames
        self._restarting: asyncio.Task[None] | None = None
        #: Times the WAL was made to start over so far.
        self.restarts = 0
        self._closed = False

    async def write(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        """Append ``drafts`` in one transaction; on the loop unless the lock is taken."""
        loop = asyncio.get_running_loop()
        if self._fsync:
            records = await loop.run_in_executor(self._pool, self._write_waiting, drafts)
        else:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # busy: another writer holds the lock
                records = await loop.run_in_executor(self._pool, self._write_waiting, drafts)
            else:
                records = self._append(drafts)
        self._since_checkpoint += len(records)
        if (
            self._since_checkpoint >= self._checkpoint_rows
            and (self._checkpointing is None or self._checkpointing.done())
            and (self._restarting is None or self._restarting.done())
        ):
            self._since_checkpoint = 0
            self._checkpointing = loop.run_in_executor(self._background, self._checkpoint)
            self._checkpointing.add_done_callback(self._after_checkpoint)
        return records

    def _checkpoint(self) -> int:
        """A passive checkpoint; the frames the WAL holds."""
        row = self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[1]) if row else 0

    def _after_checkpoint(self, done: asyncio.Future[int]) -> None:
        if done.cancelled() or done.exception() is not None or self._closed:
            return
        if done.result() > self._restart_frames and (
            self._restarting is None or self._restarting.done()
        ):
            # A context of its own: not the request's whose batch happened to trigger it.
            loop = asyncio.get_running_loop()
            restart = self._restart(done.result())
            self._restarting = loop.create_task(restart, context=contextvars.Context())

    async def _restart(self, frames: int) -> None:
        """Hold the write gate while a checkpoint copies the WAL's last frames, so that the
        next commit starts the WAL over."""
        loop = asyncio.get_running_loop()
        # First without the gate, in the background thread: what the last background
        # checkpoint left is copied while answers are still written (at the lowest priority:
        # at normal priority this copy took the event loop's CPU for 10-16 ms each time);
        # then the few frames committed meanwhile, with the gate held.
        await loop.run_in_executor(self._background, self._checkpoint)
        started = time.perf_counter()
        async with self._gate:
            if self._closed:
                return
            caught_up = await loop.run_in_executor(self._pool, self._restart_now)
        if caught_up:
            self.restarts += 1
        log.info(
            "answer_log_wal_restart" if caught_up else "answer_log_wal_restart_deferred",
            frames=frames,
            gate_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    def _restart_now(self) -> bool:
        """Copy what the background checkpoint left (the few batches committed while it ran)
        with no commit in between; True when the WAL is then wholly in the database, and the
        next commit starts it from its beginning.

        A passive checkpoint never waits for readers: point reads hold the WAL for
        microseconds; a long reader (``audit verify``, an export, a backup) keeps the WAL
        from starting over whatever is done, and the next background checkpoint tries again.
        """
        row = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return bool(row) and row[0] == 0 and row[1] >= 0 and row[1] == row[2]

    def _write_waiting(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        self._conn.execute("PRAGMA busy_timeout=10000")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")
        return self._append(drafts)

    def _taken(self, candidates: list[str]) -> set[str]:
        marks = ",".join("?" * len(candidates))
        rows = self._conn.execute(
            f"SELECT tracking_code FROM answer_log WHERE tracking_code IN ({marks})", candidates
        )
        return {r[0] for r in rows}

    def _append(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        """Write the rows in the transaction just begun, and commit it."""
        conn = self._conn
        try:
            last = conn.execute(
                "SELECT seq, row_hash FROM answer_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)
            codes = fresh_codes_now(len(drafts), self._taken)
            linked = link(drafts, codes, seq, prev, lambda: datetime.now(UTC))
            written = [rows.log_row(r, payload, dates_as_text=True) for r, payload in linked]
            records = [r for r, _ in linked]
            conn.executemany(
                f"INSERT INTO answer_log ({_LOG_COLUMNS}) VALUES ({_LOG_MARKS})",
                written,
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return records

    async def close(self) -> None:
        """Checkpoint what is left, close both connections and stop the thread (once)."""
        if self._closed:
            return
        self._closed = True
        if self._checkpointing is not None:
            await self._checkpointing
        if self._restarting is not None:
            await self._restarting
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._checkpoint)
        self._checkpointer.close()
        self._conn.close()
        self._pool.shutdown(wait=True)
        self._background.shutdown(wait=True)


class SqliteAnswerLog:
    """The hash-chained answer log, written by group commit."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self.writer = LogWriter(db.path, fsync=db.fsync, gate=db.gate)
        self._committer: GroupCommitter[AnswerDraft, AnswerRecord] = GroupCommitter(self._write)

    async def append(self, draft: AnswerDraft) -> AnswerRecord:
        """Queue the answer and wait until the batch holding it is committed."""
        return await self._committer.submit(draft)

    async def drain(self) -> None:
        """Wait until every queued answer is committed."""
        await self._committer.drain()

    def queued(self) -> int:
        """Answers waiting to be written."""
        return self._committer.queued

    async def _write(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        try:
            async with self._db.gate:
                return await self.writer.write(drafts)
        except SQLITE_ERRORS as exc:  # every waiter of the batch learns the log failed
            raise StoreUnavailable(problem_of(exc)) from exc

    async def find(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer recorded under ``code`` (read on the event loop)."""
        try:
            found = await self._db.quick.fetchall(
                f"SELECT {_LOG_COLUMNS} FROM answer_log WHERE tracking_code = ?", (code.digits,)
            )
        except SQLITE_ERRORS as exc:  # inline, not decorated: this is the answer path
            raise StoreUnavailable(problem_of(exc)) from exc
        return rows.record(found[0]) if found else None

    @unavailable
    async def history(self, national_id: str, limit: int = 50) -> list[AnswerRecord]:
        """The latest answers about one person, newest first."""
        found = await self._db.fetchall(
            f"SELECT {_LOG_COLUMNS} FROM answer_log WHERE national_id = ?"
            " ORDER BY seq DESC LIMIT ?",
            (national_id, limit),
        )
        return [rows.record(r) for r in found]

    @unavailable
    async def by_asker(
        self,
        asker_kind: str,
        asker_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AnswerRecord]:
        """One asker's answers, newest first, created in ``[since, until)``."""
        sql = f"SELECT {_LOG_COLUMNS} FROM answer_log WHERE asker_kind = ? AND asker_id = ?"
        params: list[Any] = [asker_kind, asker_id]
        if since is not None:
            sql += " AND created_at >= ?"
            params.append(since.astimezone(UTC).isoformat())
        if until is not None:
            sql += " AND created_at < ?"
            params.append(until.astimezone(UTC).isoformat())
        sql += " ORDER BY seq DESC LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [rows.record(r) for r in await self._db.fetchall(sql, params)]

    @unavailable
    async def verify(self, at: Sequence[int] = ()) -> ChainReport:
        """Recompute every row's hash and link, in order; stop at the first bad row.

        The hashes at the sizes in ``at`` are kept as the walk passes them (for checkpoints).
        SQLite keeps no chain head apart from the rows: a log cut at its end reads as a
        shorter, intact one, which only a checkpoint taken before the cut shows.
        """
        walk = ChainWalk(at)
        sql = f"SELECT {_LOG_COLUMNS} FROM answer_log ORDER BY seq"
        async with self._db.reader.execute(sql) as cur:
            async for row in cur:
                if (bad := walk.row(row)) is not None:
                    return bad
        return walk.report()

    @unavailable
    async def head(self) -> ChainHead:
        """The newest committed row's number and hash (answers queued are not in it yet)."""
        row = await self._db.fetchone(
            "SELECT seq, row_hash FROM answer_log ORDER BY seq DESC LIMIT 1"
        )
        return ChainHead(int(row[0]), str(row[1])) if row else ChainHead(0, GENESIS_HASH)

    async def close(self) -> None:
        """Write what is queued, checkpoint, and stop the writer's threads."""
        await self.drain()
        await self.writer.close()
