"""Every writer of one SQLite file in a process queues at one lock instead of racing for it.

The answer log commits hundreds of times a second; a Telegram binding, an SMS record or a
console change written through another connection used to meet SQLite's busy lock and poll
for it with growing sleeps (seconds under load). With the shared gate they wait their turn on
the event loop and find the file free.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.adapters.sqlite import gate as gate_module
from eligibility_gw.adapters.sqlite.console import open_sqlite_console_store
from eligibility_gw.adapters.sqlite.gate import write_gate
from eligibility_gw.adapters.sqlite.sms import open_sqlite_sms_records
from eligibility_gw.adapters.sqlite.telegram import open_sqlite_telegram_bindings
from eligibility_gw.channels.telegram.bindings import Binding
from tests.integration.test_answer_log import _draft


def _binding(chat_id: int) -> Binding:
    return Binding(chat_id, chat_id + 1, "+989121234567", "fa", datetime.now(UTC))


async def test_every_store_on_one_file_takes_the_same_gate(
    sqlite_store: SqliteStore, db_path: Path, tmp_path: Path
) -> None:
    sms = await open_sqlite_sms_records(db_path)
    bindings = await open_sqlite_telegram_bindings(db_path)
    console = await open_sqlite_console_store(db_path)
    other = await open_sqlite_store(tmp_path / "other.sqlite3")
    try:
        gate = write_gate(db_path)
        assert sqlite_store._lock is gate
        assert sms._lock is gate
        assert bindings._lock is gate
        assert console._lock is gate
        # The same file named another way is the same file.
        assert write_gate(db_path.parent / "." / db_path.name) is gate
        assert other._lock is not gate
        assert write_gate(":memory:") is not write_gate(":memory:")
    finally:
        for closing in (sms, bindings, console, other):
            await closing.close()


async def test_a_binding_waits_for_the_gate_not_for_sqlite(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    bindings = await open_sqlite_telegram_bindings(db_path)
    try:
        gate = write_gate(db_path)
        async with gate:  # as the answer log holds it while it writes a batch
            pending = asyncio.create_task(bindings.bind(_binding(7)))
            await asyncio.sleep(0.05)
            assert not pending.done()
            assert await bindings.get(7) is None
        await asyncio.wait_for(pending, 5)
        found = await bindings.get(7)
        assert found is not None and found.user_id == 8
    finally:
        await bindings.close()


async def _race(store: SqliteStore, db_path: Path) -> list[BaseException]:
    """Bind chats while answers stream into the log; the bindings' connection never waits
    for SQLite's lock (busy timeout 0), so any collision surfaces as an error."""
    bindings = await open_sqlite_telegram_bindings(db_path)
    await bindings._conn.execute("PRAGMA busy_timeout=0")
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
        await bindings.close()
    return errors


async def test_bindings_never_collide_with_the_answer_log(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    errors = await _race(sqlite_store, db_path)
    assert errors == []
    assert (await sqlite_store.answers.verify()).ok


async def test_without_the_gate_the_same_race_collides(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The control: each store with a lock of its own, as before the gate.
    monkeypatch.setattr(gate_module, "_GATES", _Private())
    store = await open_sqlite_store(db_path)
    errors: list[BaseException] = []
    try:
        for _ in range(5):  # a collision is likely in each round; five make it certain enough
            errors = await _race(store, db_path)
            if errors:
                break
    finally:
        await store.close()
    assert errors, "the race did not collide: the gate test above would prove nothing"
    assert all("locked" in str(e) for e in errors)


class _Private(dict):  # type: ignore[type-arg]
    """A gate registry that hands every caller a lock of its own."""

    def setdefault(self, _loop: object, _default: object = None) -> dict[str, asyncio.Lock]:
        return {}
