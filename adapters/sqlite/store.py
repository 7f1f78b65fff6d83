"""SQLite store: registry, providers and the hash-chained answer log.

One connection writes (serialised by a lock, ``BEGIN IMMEDIATE`` across processes), one
reads in aiosqlite's thread; WAL lets them work side by side. The point reads of the answer
path (a family by national id, a provider by key, an answer by code) run on the event loop
itself through a third, read-only connection: an indexed read of a cached page costs a few
microseconds, far less than the two thread switches of a trip to a worker thread. Should
that connection ever find the database locked it does not wait; the read is retried in the
reader's thread, under the caller's deadline.

Answers are written by group commit, each batch in one trip to a writer thread of its own:
callers wait until the batch holding their answer is committed, so no answer is returned
unlogged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

from eligibility_gw.adapters.codes import fresh_codes_now
from eligibility_gw.adapters.groupcommit import GroupCommitter
from eligibility_gw.adapters.sqlite.gate import write_gate
from eligibility_gw.adapters.sqlite.migrate import migrate
from eligibility_gw.domain.answer import (
    GENESIS_HASH,
    AnswerDraft,
    AnswerRecord,
    chain_hash,
    chain_payload,
    link,
    reasons_from_json,
)
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    Document,
    Family,
    MaritalStatus,
    Person,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import ChainReport, RegistryRow, StoredBatch

_PERSON_COLUMNS = (
    "national_id, given_name, family_name, birth_date, sex, phone, relationship, principal_id,"
    " marital_status, disabled, has_income, other_insurer"
)


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _b(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _yes_no(value: bool | None) -> int | None:
    return None if value is None else int(value)


async def _switch_to_wal(conn: aiosqlite.Connection, attempts: int = 60) -> None:
    """Put the file in WAL mode (a no-op once it is).

    Switching a new file takes its exclusive lock; when another connection opening it at the
    same moment (serve --workers N) holds a shared one, SQLite answers "locked" at once
    instead of waiting (waiting could deadlock), so the switch is tried again a little later.
    """
    for attempt in range(attempts):
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.2, 0.01 * (attempt + 1)))


async def _connect(path: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute("PRAGMA busy_timeout=10000")
        await _switch_to_wal(conn)
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        await conn.close()  # else its thread keeps the process alive
        raise
    return conn


class InlineReader:
    """Point reads on the event loop, over a read-only connection that never waits."""

    def __init__(self, path: str, fallback: aiosqlite.Connection) -> None:
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=64
        )
        self._conn.execute("PRAGMA query_only=ON")
        self._conn.execute("PRAGMA busy_timeout=0")
        # Hot pages stay in the process: a larger page cache. The file is not memory-mapped:
        # the answer log commits to the same file hundreds of times a second, and after each
        # change a mapped reader faulted its pages in again (a family lookup on a million
        # persons took 78 µs instead of 30 µs under a writer committing every 3 ms; unmapped,
        # 34 µs).
        self._conn.execute("PRAGMA cache_size=-65536")
        self._conn.execute("PRAGMA mmap_size=0")
        self._fallback = fallback

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one query; in the reader's thread if the database is locked now."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # locked or busy: wait where the loop does not
            return list(await self._fallback.execute_fetchall(sql, params))

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class SqliteRegistry:
    """Persons, families, cover periods and documents."""

    def __init__(
        self,
        reader: aiosqlite.Connection,
        writer: aiosqlite.Connection,
        write_lock: asyncio.Lock,
        quick: InlineReader,
    ) -> None:
        self._r = reader
        self._w = writer
        self._lock = write_lock
        self._q = quick

    async def find_family(self, national_id: str) -> Family | None:
        """The family ``national_id`` belongs to, in one query.

        Each member's row carries the principal's cover periods (``start end`` pairs) and the
        member's documents (a JSON array, NULL when there are none).
        """
        rows = await self._q.fetchall(_FAMILY_QUERY, (national_id,))
        if not rows or rows[0][7] is not None:
            return None
        people = [_family_member(r) for r in rows]
        family = Family(people[0], tuple(people[1:]))
        return family if family.member(national_id) else None

    async def people_by_phone(self, phone: str) -> list[Person]:
        """Everyone whose registered phone is ``phone``."""
        async with self._r.execute(
            f"SELECT {_PERSON_COLUMNS} FROM person WHERE phone = ? ORDER BY position, national_id",
            (phone,),
        ) as cur:
            rows = await cur.fetchall()
        return [_person(r, (), ()) for r in rows]

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of ``national_ids`` are principals already stored."""
        found: set[str] = set()
        ids = list(national_ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            async with self._r.execute(
                f"SELECT national_id FROM person WHERE national_id IN ({marks})"
                " AND principal_id IS NULL",
                chunk,
            ) as cur:
                found.update(r[0] for r in await cur.fetchall())
        return found

    async def upsert_rows(self, rows: Sequence[RegistryRow]) -> None:
        """Insert or update rows with their cover period and registry documents."""
        now = datetime.now(UTC).isoformat()
        people = [
            (
                r.national_id,
                r.given_name,
                r.family_name,
                _iso(r.birth_date),
                r.sex,
                r.phone,
                r.relationship,
                r.principal_id,
                r.marital_status,
                _yes_no(r.disabled),
                _yes_no(r.has_income),
                r.other_insurer,
                now,
            )
            for r in rows
        ]
        periods = [
            (r.national_id, _iso(r.cover_start), _iso(r.cover_end))
            for r in rows
            if r.cover_start is not None and r.cover_end is not None
        ]
        students = [(r.national_id, _iso(r.student_until), now) for r in rows if r.student_until]
        no_students = [(r.national_id,) for r in rows if not r.student_until]
        births = [(r.national_id, now) for r in rows if r.birth_certificate_seen]
        no_births = [(r.national_id,) for r in rows if not r.birth_certificate_seen]
        async with self._lock:
            await self._w.execute("BEGIN IMMEDIATE")
            try:
                await self._w.executemany(
                    f"INSERT INTO person ({_PERSON_COLUMNS}, updated_at, position)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, (SELECT coalesce(max(position), 0) + 1"
                    " FROM person))"
                    " ON CONFLICT (national_id) DO UPDATE SET given_name = excluded.given_name,"
                    " family_name = excluded.family_name, birth_date = excluded.birth_date,"
                    " sex = excluded.sex, phone = excluded.phone,"
                    " relationship = excluded.relationship, principal_id = excluded.principal_id,"
                    " marital_status = excluded.marital_status, disabled = excluded.disabled,"
                    " has_income = excluded.has_income, other_insurer = excluded.other_insurer,"
                    " updated_at = excluded.updated_at",
                    people,
                )
                await self._w.executemany(
                    "INSERT INTO cover_period (person_id, start_date, end_date) VALUES (?,?,?)"
                    " ON CONFLICT (person_id, start_date)"
                    " DO UPDATE SET end_date = excluded.end_date",
                    periods,
                )
                await self._w.executemany(
                    "INSERT INTO document (person_id, kind, valid_until, source, recorded_at)"
                    " VALUES (?, 'student_certificate', ?, 'registry', ?)"
                    " ON CONFLICT (person_id, kind) WHERE source = 'registry'"
                    " DO UPDATE SET valid_until = excluded.valid_until",
                    students,
                )
                await self._w.executemany(
                    "DELETE FROM document WHERE person_id = ? AND kind = 'student_certificate'"
                    " AND source = 'registry'",
                    no_students,
                )
                await self._w.executemany(
                    "INSERT INTO document (person_id, kind, source, recorded_at)"
                    " VALUES (?, 'birth_certificate', 'registry', ?)"
                    " ON CONFLICT (person_id, kind) WHERE source = 'registry' DO NOTHING",
                    births,
                )
                await self._w.executemany(
                    "DELETE FROM document WHERE person_id = ? AND kind = 'birth_certificate'"
                    " AND source = 'registry'",
                    no_births,
                )
                await self._w.execute("COMMIT")
            except BaseException:
                await self._w.execute("ROLLBACK")
                raise

    async def count_people(self) -> int:
        """How many persons are stored."""
        async with self._r.execute("SELECT count(*) FROM person") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


_FAMILY_QUERY = f"""
WITH family AS (
    SELECT coalesce(principal_id, national_id) AS head FROM person WHERE national_id = ?1
)
SELECT {", ".join("p." + c.strip() for c in _PERSON_COLUMNS.split(","))},
    CASE WHEN p.principal_id IS NULL THEN (
        SELECT group_concat(start_date || ' ' || end_date, ' ') FROM (
            SELECT start_date, end_date FROM cover_period WHERE person_id = p.national_id
            ORDER BY start_date
        )
    ) END,
    (
        SELECT json_group_array(json_array(kind, valid_from, valid_until, source)) FROM (
            SELECT kind, valid_from, valid_until, source FROM document
            WHERE person_id = p.national_id ORDER BY id
        ) HAVING count(*) > 0
    )
FROM family JOIN person p ON p.national_id = family.head OR p.principal_id = family.head
ORDER BY p.principal_id IS NOT NULL, p.position, p.national_id
"""


def _family_member(r: Any) -> Person:
    """A row of ``_FAMILY_QUERY`` as a person with cover periods and documents."""
    dates = r[12].split(" ") if r[12] else ()
    periods = tuple(
        CoverPeriod(date.fromisoformat(dates[i]), date.fromisoformat(dates[i + 1]))
        for i in range(0, len(dates), 2)
    )
    docs = (
        tuple(Document(kind, _d(vf), _d(vu), source) for kind, vf, vu, source in json.loads(r[13]))
        if r[13]
        else ()
    )
    return _person(r, periods, docs)


def _person(r: Any, periods: tuple[CoverPeriod, ...], docs: tuple[Document, ...]) -> Person:
    return Person(
        national_id=r[0],
        given_name=r[1],
        family_name=r[2],
        birth_date=_d(r[3]),
        sex=Sex(r[4]) if r[4] else None,
        phone=r[5],
        relationship=r[6],
        principal_id=r[7],
        marital_status=MaritalStatus(r[8]) if r[8] else None,
        disabled=_b(r[9]),
        has_income=_b(r[10]),
        other_insurer=r[11],
        cover_periods=periods,
        documents=docs,
    )


_LOG_COLUMNS = (
    "seq, tracking_code, created_at, channel, asker_kind, asker_id, national_id, service_date,"
    " setting, status, reasons, cover_end, rule_pack, rule_pack_version, member_relationship,"
    " member_masked, principal_id, prev_hash, row_hash"
)


def _record(r: Any) -> AnswerRecord:
    decision = Decision(
        status=Status(r[9]),
        reasons=reasons_from_json(json.loads(r[10])),
        cover_end=_d(r[11]),
        rule_pack=r[12],
        rule_pack_version=r[13],
    )
    draft = AnswerDraft(
        channel=r[3],
        asker_kind=r[4],
        asker_id=r[5],
        national_id=r[6],
        service_date=date.fromisoformat(r[7]),
        setting=ServiceSetting(r[8]),
        decision=decision,
        member_relationship=r[14],
        member_masked=r[15],
        principal_id=r[16],
    )
    return AnswerRecord(
        seq=r[0],
        tracking_code=TrackingCode(r[1]),
        created_at=datetime.fromisoformat(r[2]),
        draft=draft,
        prev_hash=r[17],
        row_hash=r[18],
    )


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
            rows = [
                (
                    r.seq,
                    r.tracking_code.digits,
                    payload["created_at"],
                    r.draft.channel,
                    r.draft.asker_kind,
                    r.draft.asker_id,
                    r.draft.national_id,
                    payload["service_date"],
                    payload["setting"],
                    payload["status"],
                    json.dumps(payload["reasons"], ensure_ascii=False),
                    payload["cover_end"],
                    payload["rule_pack"],
                    payload["rule_pack_version"],
                    r.draft.member_relationship,
                    r.draft.member_masked,
                    r.draft.principal_id,
                    r.prev_hash,
                    r.row_hash,
                )
                for r, payload in linked
            ]
            records = [r for r, _ in linked]
            conn.executemany(
                f"INSERT INTO answer_log ({_LOG_COLUMNS}) VALUES"
                " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
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

    def __init__(
        self,
        reader: aiosqlite.Connection,
        writer: LogWriter,
        write_lock: asyncio.Lock,
        quick: InlineReader,
    ) -> None:
        self._r = reader
        self._writer = writer
        self._lock = write_lock
        self._q = quick
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
        async with self._lock:
            return await self._writer.write(drafts)

    async def find(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer recorded under ``code``."""
        rows = await self._q.fetchall(
            f"SELECT {_LOG_COLUMNS} FROM answer_log WHERE tracking_code = ?", (code.digits,)
        )
        return _record(rows[0]) if rows else None

    async def history(self, national_id: str, limit: int = 50) -> list[AnswerRecord]:
        """The latest answers about one person, newest first."""
        async with self._r.execute(
            f"SELECT {_LOG_COLUMNS} FROM answer_log WHERE national_id = ?"
            " ORDER BY seq DESC LIMIT ?",
            (national_id, limit),
        ) as cur:
            return [_record(r) for r in await cur.fetchall()]

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
        async with self._r.execute(sql, params) as cur:
            return [_record(r) for r in await cur.fetchall()]

    async def verify(self) -> ChainReport:
        """Recompute every row's hash and link, in order; stop at the first bad row."""
        prev = GENESIS_HASH
        expected_seq = 1
        count = 0
        async with self._r.execute(f"SELECT {_LOG_COLUMNS} FROM answer_log ORDER BY seq") as cur:
            async for row in cur:
                count += 1
                if row[0] != expected_seq:
                    return ChainReport(count, expected_seq, f"row {expected_seq} is missing")
                try:
                    rec = _record(row)
                except (ValueError, TypeError, KeyError, AttributeError):
                    # Edited to a value no answer can hold (a status, JSON, a date).
                    return ChainReport(count, row[0], "row content cannot be read")
                if rec.prev_hash != prev:
                    return ChainReport(count, rec.seq, "link to the previous row is broken")
                payload = chain_payload(rec.seq, rec.tracking_code.digits, row[2], rec.draft)
                if chain_hash(prev, payload) != rec.row_hash:
                    return ChainReport(count, rec.seq, "row content does not match its hash")
                prev = rec.row_hash
                expected_seq += 1
        return ChainReport(count)


def _provider(r: Any) -> Provider:
    return Provider(
        provider_id=r[0],
        name=r[1],
        kind=ProviderKind(r[2]),
        phone=r[3],
        active=bool(r[4]),
        created_at=datetime.fromisoformat(r[5]),
        status_changed_at=datetime.fromisoformat(r[6]) if r[6] else None,
    )


#: The clock the key cache is timed by (a module attribute, so tests can set the time).
clock = time.monotonic
#: How long a provider found by its key is kept in the process (seconds), and how many are.
KEY_CACHE_SECONDS = 2.0
KEY_CACHE_SIZE = 10_000
_PROVIDER_COLUMNS = "provider_id, name, kind, phone, active, created_at, status_changed_at"


class SqliteProviders:
    """Registered providers."""

    def __init__(
        self,
        reader: aiosqlite.Connection,
        writer: aiosqlite.Connection,
        write_lock: asyncio.Lock,
        quick: InlineReader,
    ) -> None:
        self._r = reader
        self._w = writer
        self._lock = write_lock
        self._q = quick
        self._by_key: dict[str, tuple[float, Provider]] = {}

    async def add(
        self, provider_id: str, name: str, kind: ProviderKind, phone: str | None, key_hash: str
    ) -> Provider:
        """Register a provider; ``ValueError`` when the id is taken."""
        now = datetime.now(UTC).isoformat()
        async with self._lock:
            try:
                await self._w.execute(
                    "INSERT INTO provider (provider_id, name, kind, phone, key_hash, active,"
                    " created_at) VALUES (?,?,?,?,?,1,?)",
                    (provider_id, name, kind.value, phone, key_hash, now),
                )
            except sqlite3.IntegrityError as exc:
                raise ValueError(f"provider {provider_id!r} exists already") from exc
        found = await self._one("provider_id = ?", provider_id, self._w)
        assert found is not None
        return found

    async def _one(
        self, where: str, value: str, conn: aiosqlite.Connection | None = None
    ) -> Provider | None:
        rows = list(
            await (conn or self._r).execute_fetchall(
                f"SELECT {_PROVIDER_COLUMNS} FROM provider WHERE {where}", (value,)
            )
        )
        return _provider(rows[0]) if rows else None

    async def get(self, provider_id: str) -> Provider | None:
        """One provider by id."""
        return await self._one("provider_id = ?", provider_id)

    async def by_key_hash(self, key_hash: str) -> Provider | None:
        """The provider whose key hashes to ``key_hash``.

        Every API call asks this, so a found provider is kept for ``KEY_CACHE_SECONDS``:
        a change made through this store takes effect at once, one made by another process
        (``eligibility-gw providers deactivate``) within that time. Unknown keys are never
        kept, so a provider added elsewhere is known at once and random keys fill nothing.
        """
        now = clock()
        kept = self._by_key.get(key_hash)
        if kept is not None and kept[0] > now:
            return kept[1]
        rows = await self._q.fetchall(
            f"SELECT {_PROVIDER_COLUMNS} FROM provider WHERE key_hash = ?", (key_hash,)
        )
        if not rows:
            return None
        provider = _provider(rows[0])
        if len(self._by_key) >= KEY_CACHE_SIZE:
            self._by_key.clear()
        self._by_key[key_hash] = (now + KEY_CACHE_SECONDS, provider)
        return provider

    async def by_phone(self, phone: str) -> Provider | None:
        """The provider a phone is registered to."""
        return await self._one("phone = ?", phone)

    async def set_active(self, provider_id: str, active: bool) -> Provider | None:
        """Activate or deactivate a provider."""
        self._by_key.clear()
        async with self._lock:
            await self._w.execute(
                "UPDATE provider SET active = ?, status_changed_at = ? WHERE provider_id = ?",
                (int(active), datetime.now(UTC).isoformat(), provider_id),
            )
        return await self._one("provider_id = ?", provider_id, self._w)

    async def list(self) -> list[Provider]:
        """Every provider by id."""
        async with self._r.execute(
            f"SELECT {_PROVIDER_COLUMNS} FROM provider ORDER BY provider_id"
        ) as cur:
            return [_provider(r) for r in await cur.fetchall()]


class SqliteBatches:
    """Stored batch results."""

    def __init__(
        self, reader: aiosqlite.Connection, writer: aiosqlite.Connection, write_lock: asyncio.Lock
    ) -> None:
        self._r = reader
        self._w = writer
        self._lock = write_lock

    async def save(self, batch: StoredBatch) -> None:
        """Keep a batch's results."""
        async with self._lock:
            await self._w.execute(
                "INSERT INTO inquiry_batch (batch_id, provider_id, created_at, item_count,"
                " results) VALUES (?,?,?,?,?)",
                (
                    batch.batch_id,
                    batch.provider_id,
                    batch.created_at.isoformat(),
                    batch.item_count,
                    batch.results_json,
                ),
            )

    async def get(self, batch_id: str, provider_id: str) -> StoredBatch | None:
        """A batch, only for the provider that sent it."""
        async with self._r.execute(
            "SELECT batch_id, provider_id, created_at, item_count, results FROM inquiry_batch"
            " WHERE batch_id = ? AND provider_id = ?",
            (batch_id, provider_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return StoredBatch(row[0], row[1], datetime.fromisoformat(row[2]), int(row[3]), row[4])


class SqliteStore:
    """The SQLite implementation of ``eligibility_gw.ports.Store``."""

    def __init__(
        self,
        path: str,
        reader: aiosqlite.Connection,
        writer: aiosqlite.Connection,
        fsync: bool = False,
    ) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer
        self._quick = InlineReader(path, reader)
        self._lock = write_gate(path)
        self._log_writer = LogWriter(path, fsync=fsync, gate=self._lock)
        self._registry = SqliteRegistry(reader, writer, self._lock, self._quick)
        self._answers = SqliteAnswerLog(reader, self._log_writer, self._lock, self._quick)
        self._providers = SqliteProviders(reader, writer, self._lock, self._quick)
        self._batches = SqliteBatches(reader, writer, self._lock)

    @property
    def registry(self) -> SqliteRegistry:
        """Persons and families."""
        return self._registry

    @property
    def answers(self) -> SqliteAnswerLog:
        """The answer log."""
        return self._answers

    @property
    def providers(self) -> SqliteProviders:
        """Registered providers."""
        return self._providers

    @property
    def batches(self) -> SqliteBatches:
        """Stored batch results."""
        return self._batches

    async def ping(self) -> bool:
        """Run a trivial query."""
        try:
            async with self._reader.execute("SELECT 1") as cur:
                return (await cur.fetchone()) is not None
        except (sqlite3.Error, ValueError):
            return False

    async def close(self) -> None:
        """Flush pending answers, checkpoint and close both connections."""
        await self.answers.drain()
        await self._log_writer.close()
        self._quick.close()
        await self._reader.close()
        await self._writer.close()

    async def execute_raw(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one statement on the writer (maintenance and tests)."""
        async with self._lock:
            await self._writer.execute(sql, tuple(params))


async def open_sqlite_store(path: str | Path, fsync: bool = False) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite store at ``path``.

    ``fsync``: sync the answer log to disk before answers go out (see ``LogWriter``).
    """
    p = str(path)
    if p != ":memory:":
        Path(p).parent.mkdir(parents=True, exist_ok=True)
    # Open once synchronously first: a path that cannot be a database (a directory, no
    # permission) fails here cleanly instead of inside aiosqlite's worker thread.
    sqlite3.connect(p).close()
    writer = await _connect(p)
    try:
        await migrate(writer)
        reader = await _connect(p)
    except BaseException:
        await writer.close()
        raise
    return SqliteStore(p, reader, writer, fsync)
