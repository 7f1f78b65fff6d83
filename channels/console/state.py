"""The console's state on the app: its settings and, once the gateway has started, its store."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from eligibility_gw.ports.casework import ConsoleStore
from eligibility_gw.channels.console.settings import ConsoleSettings
from eligibility_gw.ports import Store


@dataclass
class Console:
    """What every console page reads: knobs, and the store (None until started)."""

    settings: ConsoleSettings
    store: ConsoleStore | None = None


CONSOLE = web.AppKey("console", Console)


async def open_console_store(store: Store) -> ConsoleStore | None:
    """The console's store next to the gateway's: SQLite on its file, or PostgreSQL's pool.

    None for a store that keeps no console tables (an in-memory SQLite database).
    """
    from eligibility_gw.adapters.postgres import PostgresStore
    from eligibility_gw.adapters.sqlite import SqliteStore

    if isinstance(store, SqliteStore) and store.path != ":memory:":
        from eligibility_gw.adapters.sqlite.console import open_sqlite_console_store

        return await open_sqlite_console_store(store.path)
    if isinstance(store, PostgresStore):
        from eligibility_gw.adapters.postgres.console import PostgresConsoleStore

        return PostgresConsoleStore(store.pool)
    return None
