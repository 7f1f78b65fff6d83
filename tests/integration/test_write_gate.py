"""Every writer of one SQLite file in a process works on one handle and queues at its gate.

The answer log commits hundreds of times a second; a Telegram binding, an SMS record or a
console change written through another connection used to meet SQLite's busy lock and poll
for it with growing sleeps (seconds under load). With one ``SqliteDatabase`` per file, opened
once by the composition root, every adapter waits its turn at the handle's gate on the event
loop and finds the file free.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.adapters.sqlite.chats import SqliteTelegramBindings
from eligibility_gw.adapters.sqlite.database import SqliteDatabase, open_database
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.chats import Binding, TelegramBindings
from tests.integration.test_answer_log import _draft


def _binding(chat_id: int) -> Binding:
    return Binding(chat_id, chat_id + 1, "+989121234567", "fa", datetime.now(UTC))


async def test_every_port_of_a_file_works_on_one_handle(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    db = sqlite_store.db
    for port in (
        sqlite_store.registry,
        sqlite_store.answers,
        sqlite_store.providers,
        sqlite_store.batches,
        sqlite_store.sms,
        sqlite_store.chats,
        sqlite_store.casework,
    ):
        assert port._db is db, type(port).__name__
    assert sqlite_store.answers.writer._gate is db.gate
    other = await open_sqlite_store(tmp_path / "other.sqlite3")
    try:
        assert other.db.gate is not db.gate
    finally:
        await other.close()


async def test_a_binding_waits_for_the_gate_not_for_sqlite(sqlite_store: SqliteStore) -> None:
    bindings = sqlite_store.chats
    async with sqlite_store.db.gate:  # as the answer log holds it while it writes a batch
        pending = asyncio.create_task(bindings.bind(_binding(7)))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not pending.done()
        assert await bindings.get(7) is None
    await asyncio.wait_for(pending, 30)
    found = await bindings.get(7)
    assert found is not None and found.user_id == 8


async def _race(
    store: SqliteStore, bindings: TelegramBindings, writer: SqliteDatabase
) -> list[BaseException]:
    """Bind chats while answers stream into the log; the bindings' writer never waits for
    SQLite's lock (busy timeout 0), so any collision surfaces as an error."""
    await writer.writer.execute("PRAGMA busy_timeout=0")
    errors: list[BaseException] = []
    stop = asyncio.Event()

    async def answers() -> None:
        while not stop.is_set():
            await asyncio.gather(*(store.answers.append(_draft()) for _ in range(8)))

    async def bind(chat_id: int) -> None:
        try:
            await bindings.bind(_binding(chat_id))
        except Exception as exc:  # collected and asserted on
            errors.append(exc)

    streams = [asyncio.create_task(answers()) for _ in range(4)]
    try:
        for chat_id in range(300):
            await bind(chat_id)
            await asyncio.sleep(0)
    finally:
        stop.set()
        await asyncio.gather(*streams)
    return errors


async def test_bindings_never_collide_with_the_answer_log(sqlite_store: SqliteStore) -> None:
    errors = await _race(sqlite_store, sqlite_store.chats, sqlite_store.db)
    assert errors == []
    assert (await sqlite_store.answers.verify()).ok


async def test_a_second_handle_on_the_same_file_collides(db_path: Path) -> None:
    # The control: bindings on a handle of their own (connections and gate of their own), as
    # each channel opened its own before: the same race then meets SQLite's lock.
    store = await open_sqlite_store(db_path)
    second = await open_database(db_path)
    errors: list[BaseException] = []
    try:
        for _ in range(5):  # a collision is likely in each round; five make it certain enough
            errors = await _race(store, SqliteTelegramBindings(second), second)
            if errors:
                break
    finally:
        await second.close()
        await store.close()
    assert errors, "the race did not collide: the test above would prove nothing"
    # The one store error, caused by SQLite's lock.
    assert all(isinstance(e, StoreUnavailable) for e in errors)
    assert all("locked" in str(e.__cause__) for e in errors)
