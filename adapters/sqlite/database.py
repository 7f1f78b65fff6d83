"""One SQLite file as the gateway holds it: its connections, and the one gate its writers take.

Every SQLite adapter (registry, answer log, providers, batches, SMS records, chat bindings,
casework) works on the ``SqliteDatabase`` of its file, opened once by ``bootstrap``:

- ``writer`` writes, in aiosqlite's thread, always under ``gate``: SQLite lets one connection
  write at a time, and a connection that finds the file locked polls with growing sleeps
  and can lose the race again and again to one that commits hundreds of times a second (the
  answer log). Taking the gate first turns that race into a queue on the event loop, in
  arrival order. Other processes still meet at SQLite's own lock (``busy_timeout``).
- ``reader`` reads in aiosqlite's thread: lists, histories, anything that may scan.
- ``quick`` answers the answer path's point reads on the event loop itself (a family by
  national id, a provider by key, an answer by code): an indexed read of a cached page
  costs a few microseconds, far less than the two thread switches of a trip to a worker.
  It never waits: when it finds the file locked the read goes to ``reader`` instead.

The answer log's group-commit writer keeps a connection of its own (``answer_log``), and
takes the same gate.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from eligibility_gw.adapters.errors import unavailable_on
from eligibility_gw.adapters.sqlite.migrate import migrate
from eligibility_gw.ports import StoreUnavailable

#: What SQLite and its files raise when the store cannot answer. An integrity error is a
#: statement about the data (a duplicate), left to the adapter that expects it.
SQLITE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
#: Decorate an adapter's method: SQLite's failures become ``StoreUnavailable``.
unavailable = unavailable_on(SQLITE_ERRORS, keep=(sqlite3.IntegrityError,))


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


class SqliteDatabase:
    """The handle of one SQLite file: connections to read and write, and the write gate."""

    def __init__(
        self, path: str, reader: aiosqlite.Connection, writer: aiosqlite.Connection, fsync: bool
    ) -> None:
        self.path = path
        self.fsync = fsync
        self.reader = reader
        self.writer = writer
        self.quick = InlineReader(path, reader)
        #: Every writer of this file in this process takes it first.
        self.gate = asyncio.Lock()
        self._closed = False

    def _open(self) -> None:
        """Refuse work on a closed handle with the one store error (aiosqlite would raise a
        ``ValueError`` of its own)."""
        if self._closed:
            raise StoreUnavailable("the SQLite store is closed")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query, read in the reader's thread."""
        self._open()
        return list(await self.reader.execute_fetchall(sql, tuple(params)))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one writing statement on its own (autocommit) under the gate; rows changed."""
        self._open()
        async with self.gate:
            cursor = await self.writer.execute(sql, tuple(params))
            changed = cursor.rowcount
            await cursor.close()
        return changed

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the gate through one ``BEGIN IMMEDIATE`` … ``COMMIT`` on the writer."""
        self._open()
        async with self.gate:
            await self.writer.execute("BEGIN IMMEDIATE")
            try:
                yield self.writer
            except BaseException:
                await self.writer.execute("ROLLBACK")
                raise
            await self.writer.execute("COMMIT")

    async def has_table(self, name: str) -> bool:
        """Say whether the schema holds a table (a migration was applied)."""
        row = await self.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        return row is not None

    async def ping(self) -> bool:
        """Run a trivial query."""
        try:
            return (await self.fetchone("SELECT 1")) is not None
        except (sqlite3.Error, ValueError, StoreUnavailable):
            return False

    async def close(self) -> None:
        """Close every connection (once)."""
        if self._closed:
            return
        self._closed = True
        self.quick.close()
        await self.reader.close()
        await self.writer.close()


async def open_database(path: str | Path, fsync: bool = False) -> SqliteDatabase:
    """Open (creating and migrating as needed) the SQLite file at ``path``.

    ``:memory:`` is refused: every connection would see a database of its own.
    """
    p = str(path)
    if p == ":memory:" or p.startswith("file::memory:"):
        raise ValueError("an SQLite store needs a file; use memory:// for a store in memory")
    try:
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
    except SQLITE_ERRORS as exc:
        raise StoreUnavailable(f"cannot open the SQLite file {p}: {exc}") from exc
    return SqliteDatabase(p, reader, writer, fsync)
