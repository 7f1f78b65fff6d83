"""The SQLite store: every port the gateway keeps, over one ``SqliteDatabase`` per file.

Registry, answer log, providers, batches, SMS records, chat bindings and casework all work
on the same handle (its connections and its write gate), opened once by ``bootstrap``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eligibility_gw.adapters.sqlite.answer_log import SqliteAnswerLog
from eligibility_gw.adapters.sqlite.batches import SqliteBatches
from eligibility_gw.adapters.sqlite.casework import SqliteConsoleStore
from eligibility_gw.adapters.sqlite.chats import SqliteTelegramBindings
from eligibility_gw.adapters.sqlite.database import SqliteDatabase, open_database
from eligibility_gw.adapters.sqlite.languages import SqliteLanguagePreferences
from eligibility_gw.adapters.sqlite.messages import SqliteSmsRecords
from eligibility_gw.adapters.sqlite.providers import SqliteProviders
from eligibility_gw.adapters.sqlite.registry import SqliteRegistry
from eligibility_gw.adapters.sqlite.reminders import SqliteReminderRecords
from eligibility_gw.adapters.sqlite.uploads import SqliteUploadFiles, SqliteUploadRecords


class SqliteStore:
    """The SQLite implementation of ``eligibility_gw.ports.Store``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self.path = db.path
        self.registry = SqliteRegistry(db)
        self.answers = SqliteAnswerLog(db)
        self.providers = SqliteProviders(db)
        self.batches = SqliteBatches(db)
        self.sms = SqliteSmsRecords(db)
        self.chats = SqliteTelegramBindings(db)
        self.languages = SqliteLanguagePreferences(db)
        self.casework = SqliteConsoleStore(db)
        self.reminders = SqliteReminderRecords(db)
        self.uploads = SqliteUploadRecords(db)
        self.upload_files = SqliteUploadFiles(db)
        self._closed = False

    async def ping(self) -> bool:
        """Run a trivial query."""
        return await self.db.ping()

    async def close(self) -> None:
        """Write the answers still queued, checkpoint, and close the file (once)."""
        if self._closed:
            return
        self._closed = True
        await self.answers.close()
        await self.db.close()

    async def execute_raw(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one statement on the writer (maintenance and tests)."""
        await self.db.execute(sql, tuple(params))


async def open_sqlite_store(path: str | Path, fsync: bool = False) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite store at ``path``.

    ``fsync``: sync the answer log to disk before answers go out (see ``LogWriter``).
    """
    return SqliteStore(await open_database(path, fsync))
