"""The embedded default store: SQLite through aiosqlite, WAL, versioned migrations."""

from eligibility_gw.adapters.sqlite.store import SqliteStore, open_sqlite_store

__all__ = ["SqliteStore", "open_sqlite_store"]
