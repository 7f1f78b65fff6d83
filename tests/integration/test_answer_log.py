"""The answer log on a real SQLite file: codes, group commit, the hash chain and tampering."""

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from eligibility_gw.adapters.sqlite import SqliteStore, open_sqlite_store
from eligibility_gw.domain.answer import GENESIS_HASH, AnswerDraft
from eligibility_gw.domain.model import Decision, Reason, ServiceSetting, Status
from eligibility_gw.domain.tracking import TrackingCode, verhoeff_is_valid
from eligibility_gw.ports import StoreUnavailable
from tests.conftest import ir_id

SERVICE_DAY = date(2026, 11, 23)


def _draft(
    national_id: str = "1000000011",
    status: Status = Status.ELIGIBLE,
    reasons: tuple[Reason, ...] = (),
    asker_id: str = "pharmacy-1",
) -> AnswerDraft:
    return AnswerDraft(
        channel="web",
        asker_kind="provider",
        asker_id=asker_id,
        national_id=national_id,
        service_date=SERVICE_DAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(
            status,
            reasons,
            SERVICE_DAY if status is Status.ELIGIBLE else None,
            "ir-tamin",
            "2026.1",
        ),
        member_relationship="child",
        member_masked="R*** R***",
        principal_id="1000000011",
    )


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def _tamper(path: Path, *statements: str) -> None:
    """Edit the file behind the store's back, as someone with the file would."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


async def test_append_gives_unique_verhoeff_codes(sqlite_store: SqliteStore) -> None:
    records = [await sqlite_store.answers.append(_draft(ir_id(i))) for i in range(20)]
    codes = [r.tracking_code.digits for r in records]
    assert len(set(codes)) == 20
    for code in codes:
        assert len(code) == 12 and code.isdigit()
        assert verhoeff_is_valid(code)
        assert TrackingCode.parse(code).digits == code
    assert [r.seq for r in records] == list(range(1, 21))
    assert records[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.row_hash


async def test_concurrent_appends_form_one_chain(sqlite_store: SqliteStore) -> None:
    n = 500
    records = await asyncio.gather(
        *(sqlite_store.answers.append(_draft(ir_id(i), asker_id=f"p{i}")) for i in range(n))
    )
    assert len({r.tracking_code for r in records}) == n
    assert sorted(r.seq for r in records) == list(range(1, n + 1))
    # Each caller got the record of its own draft.
    assert [r.draft.asker_id for r in records] == [f"p{i}" for i in range(n)]
    report = await sqlite_store.answers.verify()
    assert report.ok
    assert report.rows == n
    assert report.first_bad_seq is None


async def test_concurrent_appends_in_waves(sqlite_store: SqliteStore) -> None:
    # Appends arriving while a batch is being written go into the next batch.
    waves = [
        asyncio.gather(
            *(sqlite_store.answers.append(_draft(ir_id(w * 100 + i))) for i in range(50))
        )
        for w in range(4)
    ]
    results = await asyncio.gather(*waves)
    seqs = sorted(r.seq for wave in results for r in wave)
    assert seqs == list(range(1, 201))
    assert (await sqlite_store.answers.verify()).rows == 200


async def test_find_round_trips_the_record(sqlite_store: SqliteStore) -> None:
    reasons = (
        Reason(
            "STUDENT_CERTIFICATE_EXPIRED",
            "student_certificate",
            (("expired_on", "2026-11-22"), ("from_age", "19")),
        ),
        Reason("OVERLAP_WITH_OTHER_INSURER", None, (("insurer", "IHIO"),), blocking=False),
    )
    draft = _draft(status=Status.NOT_ELIGIBLE, reasons=reasons)
    record = await sqlite_store.answers.append(draft)
    await sqlite_store.answers.append(_draft())

    found = await sqlite_store.answers.find(record.tracking_code)
    assert found is not None
    assert found.draft == draft
    assert found.reasons == reasons
    assert found.status is Status.NOT_ELIGIBLE
    assert found.seq == record.seq == 1
    assert found.row_hash == record.row_hash
    assert found.created_at == record.created_at
    assert await sqlite_store.answers.find(TrackingCode.new()) is None


async def test_history_is_newest_first(sqlite_store: SqliteStore) -> None:
    person = ir_id(1)
    first = await sqlite_store.answers.append(_draft(person, Status.ELIGIBLE))
    await sqlite_store.answers.append(_draft(ir_id(2)))
    second = await sqlite_store.answers.append(
        _draft(person, Status.UNDETERMINED, (Reason("INCOME_UNKNOWN", "income_declaration"),))
    )
    history = await sqlite_store.answers.history(person)
    assert [r.tracking_code for r in history] == [second.tracking_code, first.tracking_code]
    assert [r.status for r in history] == [Status.UNDETERMINED, Status.ELIGIBLE]
    assert [r.seq for r in await sqlite_store.answers.history(person, limit=1)] == [3]
    assert await sqlite_store.answers.history(ir_id(99)) == []


async def test_by_asker_is_newest_first_and_pages(sqlite_store: SqliteStore) -> None:
    for i in range(5):
        await sqlite_store.answers.append(_draft(ir_id(i), asker_id="a" if i % 2 == 0 else "b"))
    mine = await sqlite_store.answers.by_asker("provider", "a")
    assert [r.seq for r in mine] == [5, 3, 1]
    page = await sqlite_store.answers.by_asker("provider", "a", limit=1, offset=1)
    assert [r.seq for r in page] == [3]


async def _log_of(store: SqliteStore, n: int) -> list[str]:
    records = [
        await store.answers.append(
            _draft(ir_id(i), Status.NOT_ELIGIBLE, (Reason("MARRIED"),))
            if i % 2
            else _draft(ir_id(i))
        )
        for i in range(n)
    ]
    assert (await store.answers.verify()).ok
    return [r.tracking_code.digits for r in records]


async def test_edited_row_is_named_by_verify(sqlite_store: SqliteStore, db_path: Path) -> None:
    await _log_of(sqlite_store, 6)
    await sqlite_store.execute_raw("DROP TRIGGER answer_log_no_update")
    await sqlite_store.execute_raw(
        "UPDATE answer_log SET status = 'eligible', reasons = '[]' WHERE seq = 4"
    )
    assert _query(db_path, "SELECT status FROM answer_log WHERE seq = 4") == [("eligible",)]
    report = await sqlite_store.answers.verify()
    assert not report.ok
    assert report.first_bad_seq == 4
    assert report.problem == "row content does not match its hash"


async def test_edit_through_another_connection_is_found(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    await _log_of(sqlite_store, 5)
    _tamper(
        db_path,
        "DROP TRIGGER answer_log_no_update",
        "UPDATE answer_log SET national_id = '0499370899' WHERE seq = 2",
    )
    report = await sqlite_store.answers.verify()
    assert (report.ok, report.first_bad_seq) == (False, 2)


async def test_recomputed_hash_still_breaks_the_next_link(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    # A forger who also rewrites row 2's hash breaks row 3's link to it.
    await _log_of(sqlite_store, 4)
    _tamper(
        db_path,
        "DROP TRIGGER answer_log_no_update",
        "UPDATE answer_log SET row_hash = '" + "f" * 64 + "' WHERE seq = 2",
    )
    report = await sqlite_store.answers.verify()
    assert report.first_bad_seq == 2  # its content no longer matches the hash it shows
    assert report.problem == "row content does not match its hash"


async def test_deleted_middle_row_is_found(sqlite_store: SqliteStore, db_path: Path) -> None:
    await _log_of(sqlite_store, 10)
    _tamper(db_path, "DROP TRIGGER answer_log_no_delete", "DELETE FROM answer_log WHERE seq = 5")
    report = await sqlite_store.answers.verify()
    assert not report.ok
    assert report.first_bad_seq == 5
    assert report.problem == "row 5 is missing"
    assert report.rows == 5  # verify stopped at the gap


async def test_log_is_append_only(sqlite_store: SqliteStore) -> None:
    await _log_of(sqlite_store, 3)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await sqlite_store.execute_raw("UPDATE answer_log SET status = 'eligible' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await sqlite_store.execute_raw("DELETE FROM answer_log WHERE seq = 3")
    report = await sqlite_store.answers.verify()
    assert (report.ok, report.rows) == (True, 3)


async def test_store_refuses_a_duplicate_tracking_code(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    codes = await _log_of(sqlite_store, 2)
    with pytest.raises(sqlite3.IntegrityError, match=r"answer_log\.tracking_code"):
        await sqlite_store.execute_raw(
            "INSERT INTO answer_log SELECT seq + 100, tracking_code, created_at, channel,"
            " asker_kind, asker_id, national_id, service_date, setting, status, reasons,"
            " cover_end, rule_pack, rule_pack_version, member_relationship, member_masked,"
            " principal_id, prev_hash, row_hash, service_until, member_category, privileges"
            " FROM answer_log WHERE seq = 1"
        )
    rows = _query(db_path, "SELECT tracking_code FROM answer_log ORDER BY seq")
    assert rows == [(codes[0],), (codes[1],)]


async def test_failed_batch_fails_every_waiter_and_logs_nothing(
    sqlite_store: SqliteStore,
) -> None:
    await sqlite_store.execute_raw(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON answer_log WHEN NEW.national_id = 'boom'"
        " BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    )
    results = await asyncio.gather(
        sqlite_store.answers.append(_draft(ir_id(1))),
        sqlite_store.answers.append(_draft("boom")),
        return_exceptions=True,
    )
    # Both answers shared one transaction: neither is returned as if logged; each waiter gets
    # the one store error (caused by SQLite's refusal).
    assert all(isinstance(r, StoreUnavailable) for r in results)
    assert all(isinstance(getattr(r, "__cause__", None), sqlite3.IntegrityError) for r in results)
    assert (await sqlite_store.answers.verify()).rows == 0
    # The log goes on afterwards, from seq 1.
    record = await sqlite_store.answers.append(_draft(ir_id(2)))
    assert record.seq == 1
    assert (await sqlite_store.answers.verify()).ok


@pytest.mark.parametrize(
    "edit",
    [
        "status = 'approved'",
        "reasons = 'not json'",
        'reasons = \'{"code": "X"}\'',
        "service_date = 'yesterday'",
        "setting = 'home'",
    ],
)
async def test_edit_to_an_unreadable_value_is_named_not_a_crash(
    sqlite_store: SqliteStore, db_path: Path, edit: str
) -> None:
    # `audit verify` must name the row whatever was written into it.
    await _log_of(sqlite_store, 4)
    _tamper(
        db_path, "DROP TRIGGER answer_log_no_update", f"UPDATE answer_log SET {edit} WHERE seq = 3"
    )
    report = await sqlite_store.answers.verify()
    assert not report.ok
    assert report.first_bad_seq == 3
    assert report.problem == "row content cannot be read"
    assert report.rows == 3


async def test_close_waits_for_queued_answers(db_path: Path) -> None:
    store = await open_sqlite_store(db_path)
    tasks = [asyncio.create_task(store.answers.append(_draft(ir_id(i)))) for i in range(100)]
    await asyncio.sleep(0)  # every append is queued, none committed yet
    await store.close()
    records = await asyncio.gather(*tasks)
    assert sorted(r.seq for r in records) == list(range(1, 101))
    assert _query(db_path, "SELECT count(*), max(seq) FROM answer_log") == [(100, 100)]


async def test_two_stores_on_one_file_share_one_chain(db_path: Path) -> None:
    # Two workers (serve --workers 2) append to the same file at the same time.
    first = await open_sqlite_store(db_path)
    second = await open_sqlite_store(db_path)
    try:
        records = await asyncio.gather(
            *(
                (first if i % 2 else second).answers.append(_draft(ir_id(i), asker_id=str(i)))
                for i in range(300)
            )
        )
        assert sorted(r.seq for r in records) == list(range(1, 301))
        assert len({r.tracking_code for r in records}) == 300
        for report in (await first.answers.verify(), await second.answers.verify()):
            assert (report.ok, report.rows) == (True, 300)
        found = await first.answers.find(records[0].tracking_code)  # written by `second`
        assert found is not None
        assert found.draft.asker_id == "0"
    finally:
        await first.close()
        await second.close()


async def test_a_batch_waits_off_the_loop_while_another_writer_holds_the_lock(
    sqlite_store: SqliteStore, db_path: Path
) -> None:
    """Another process holds the write lock: the answer waits for it, the loop keeps running."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        pending = asyncio.ensure_future(sqlite_store.answers.append(_draft()))
        ticks = 0
        for _ in range(20):  # the loop is free: other work goes on while the batch waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not pending.done()
        assert ticks == 20
    finally:
        other.execute("COMMIT")
        other.close()
    record = await asyncio.wait_for(pending, 10)
    assert _query(db_path, "SELECT tracking_code FROM answer_log") == [
        (record.tracking_code.digits,)
    ]
    later = await sqlite_store.answers.append(_draft())  # back on the fast path
    assert later.seq == record.seq + 1
    assert (await sqlite_store.answers.verify()).ok


async def test_the_log_is_checkpointed_into_the_database_file(tmp_path: Path) -> None:
    """Commits do not checkpoint on the loop; the store checkpoints in its thread instead."""
    path = tmp_path / "checkpoint.sqlite3"
    store = await open_sqlite_store(path)
    try:
        before = path.stat().st_size
        for _ in range(12):
            await asyncio.gather(*(store.answers.append(_draft()) for _ in range(250)))
        for _ in range(500):  # the checkpoint runs in the background: the file grows
            if path.stat().st_size > before:
                break
            await asyncio.sleep(0.01)
        assert path.stat().st_size > before
    finally:
        await store.close()
    assert _query(path, "SELECT count(*) FROM answer_log") == [(3000,)]


@pytest.mark.skipif(sys.platform != "linux", reason="thread niceness is Linux's")
async def test_background_checkpoints_run_at_the_lowest_cpu_priority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Background checkpoints take only the CPU the loop leaves idle (niceness 19, per thread);
    the writes themselves and the checkpoint at close keep normal priority."""
    from eligibility_gw.adapters.sqlite.answer_log import LogWriter

    seen: list[tuple[str, int]] = []
    checkpoint = LogWriter._checkpoint

    def recorded(self: LogWriter) -> None:
        me = threading.current_thread()
        seen.append((me.name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        checkpoint(self)

    monkeypatch.setattr(LogWriter, "_checkpoint", recorded)
    path = tmp_path / "nice.sqlite3"
    store = await open_sqlite_store(path)
    try:
        for _ in range(3):
            await asyncio.gather(*(store.answers.append(_draft()) for _ in range(1000)))
        for _ in range(500):
            if seen:
                break
            await asyncio.sleep(0.01)
    finally:
        await store.close()
    background = [p for name, p in seen if name.startswith("answer-log-checkpoint")]
    closing = [p for name, p in seen if not name.startswith("answer-log-checkpoint")]
    assert background and set(background) == {19}
    assert closing == [os.getpriority(os.PRIO_PROCESS, 0)]
    assert _query(path, "SELECT count(*) FROM answer_log") == [(3000,)]


async def test_a_wal_past_its_bound_is_restarted_while_writers_wait_at_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Background checkpoints cannot start the WAL over under a steady stream of commits (it
    grew by GBs under load); past ``restart_frames`` the writer holds the file's write gate
    while a checkpoint copies the rest, and the next commit starts the WAL from its
    beginning."""
    from eligibility_gw.adapters.sqlite.answer_log import LogWriter

    path = tmp_path / "restart.sqlite3"
    await (await open_sqlite_store(path)).close()  # the schema
    gate = asyncio.Lock()
    writer = LogWriter(str(path), checkpoint_rows=50, gate=gate, restart_frames=20)
    gate_held: list[bool] = []
    restart_now = LogWriter._restart_now

    def recorded(self: LogWriter) -> bool:
        gate_held.append(gate.locked())
        return restart_now(self)

    monkeypatch.setattr(LogWriter, "_restart_now", recorded)
    frames = sqlite3.connect(path, isolation_level=None)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM answer_log").fetchone()  # a long reader
    try:
        for i in range(4):
            if i == 2:
                reader.execute("COMMIT")  # until now it kept the WAL from being copied
            drafts = [_draft(national_id=ir_id(1000 + i * 50 + j)) for j in range(50)]
            async with gate:  # as the answer log calls it
                await writer.write(drafts)
            await asyncio.sleep(0.05)  # the passive checkpoint runs
        for _ in range(500):
            if writer.restarts:
                break
            await asyncio.sleep(0.01)
        assert writer.restarts >= 1 and gate_held and all(gate_held)

        async def wal_frames() -> int:  # -1 while the writer's own checkpoint runs
            for _ in range(500):
                n = int(frames.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
                if n >= 0:
                    return n
                await asyncio.sleep(0.01)
            raise AssertionError("no checkpoint could run")

        before = await wal_frames()
        async with gate:
            await writer.write([_draft()])
        after = await wal_frames()
        assert 0 < after < before  # started over: only the last commit's frames
    finally:
        reader.close()
        frames.close()
        await writer.close()
    store = await open_sqlite_store(path)
    try:
        report = await store.answers.verify()
        assert report.ok and report.rows == 201
    finally:
        await store.close()


async def test_fsync_mode_writes_every_batch_in_the_writers_thread(tmp_path: Path) -> None:
    """With ``[store] fsync`` batches are written (and synced) off the loop, chain intact."""
    path = tmp_path / "durable.sqlite3"
    store = await open_sqlite_store(path, fsync=True)
    try:
        records = await asyncio.gather(*(store.answers.append(_draft()) for _ in range(20)))
        assert sorted(r.seq for r in records) == list(range(1, 21))
        assert (await store.answers.verify()).ok
    finally:
        await store.close()
    assert _query(path, "SELECT count(*) FROM answer_log") == [(20,)]


async def test_fsync_setting_reaches_the_store(tmp_path: Path) -> None:
    from eligibility_gw.bootstrap import open_store
    from eligibility_gw.settings import parse_settings

    for fsync, mode in ((True, 2), (False, 1)):  # FULL, NORMAL
        url = f"sqlite:///{tmp_path / f'{fsync}.sqlite3'}"
        store = await open_store(parse_settings({"store": {"url": url, "fsync": fsync}}))
        try:
            assert isinstance(store, SqliteStore)
            assert store.answers.writer._conn.execute("PRAGMA synchronous").fetchone() == (mode,)
        finally:
            await store.close()
