"""The ``SmsRecords`` contract, run unchanged against memory, SQLite and PostgreSQL.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eligibility_gw.adapters.postgres import PostgresStore
from eligibility_gw.adapters.postgres.sms import open_postgres_sms_records
from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.adapters.sqlite.sms import open_sqlite_sms_records
from eligibility_gw.channels.sms.records import (
    MemorySmsRecords,
    OutboundSms,
    SmsRecords,
    StatusEvent,
    UnaskedCheckReport,
)
from tests.channels.sms.support import new_sid
from tests.contract.stores import postgres_backend, postgres_reachable

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def records(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SmsRecords]:
    if request.param == "postgres":
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        async with postgres_backend() as backend:  # a fresh, migrated schema
            assert isinstance(backend.store, PostgresStore)
            on_pool: SmsRecords = await open_postgres_sms_records(backend.store.pool)
            yield on_pool
            await on_pool.close()  # the pool stays the store's, closed by it
        return
    if request.param == "memory":
        found: SmsRecords = MemorySmsRecords()
    else:
        path = tmp_path / "records.sqlite3"
        store = await open_sqlite_store(path)  # applies the migrations
        await store.close()
        found = await open_sqlite_sms_records(path)
    yield found
    await found.close()


def _sms(
    sid: str,
    to: str = "+989121110001",
    at: datetime = T0,
    reference: str = "123456789012",
    status: str = "queued",
) -> OutboundSms:
    return OutboundSms(sid, to, "check_notice", reference, status, 1, at, at)


async def test_sent_and_read_back(records: SmsRecords) -> None:
    sid = new_sid()
    await records.record_sent(_sms(sid))
    assert await records.outbound(sid) == _sms(sid)
    assert await records.outbound(new_sid()) is None


async def test_status_moves_forward_only(records: SmsRecords) -> None:
    sid = new_sid()
    await records.record_sent(_sms(sid))
    for i, status in enumerate(["sent", "delivered", "sent", "read", "delivered"]):
        assert await records.record_status(StatusEvent(sid, status, None, T0 + timedelta(i)))
    found = await records.outbound(sid)
    assert found is not None
    assert found.status == "read"
    events = await records.status_events(sid)
    assert [e.status for e in events] == ["sent", "delivered", "sent", "read", "delivered"]


async def test_a_callback_before_the_record(records: SmsRecords) -> None:
    sid = new_sid()
    assert not await records.record_status(StatusEvent(sid, "delivered", None, T0))
    await records.record_sent(_sms(sid, status="queued"))
    found = await records.outbound(sid)
    assert found is not None
    assert found.status == "delivered"


async def test_failure_keeps_its_error_code(records: SmsRecords) -> None:
    sid = new_sid()
    await records.record_sent(_sms(sid))
    await records.record_status(StatusEvent(sid, "undelivered", "30005", T0))
    found = await records.outbound(sid)
    assert found is not None
    assert (found.status, found.error_code) == ("undelivered", "30005")


async def test_latest_outbound_by_phone_purpose_and_time(records: SmsRecords) -> None:
    old, new, other = new_sid(), new_sid(), new_sid()
    await records.record_sent(_sms(old, at=T0 - timedelta(days=40), reference="old"))
    await records.record_sent(_sms(new, at=T0, reference="new"))
    await records.record_sent(_sms(other, to="+989121110002", at=T0 + timedelta(hours=1)))
    since = T0 - timedelta(days=30)
    found = await records.latest_outbound("+989121110001", "check_notice", since)
    assert found is not None
    assert found.reference == "new"
    assert await records.latest_outbound("+989121110001", "reminder", since) is None
    assert await records.latest_outbound("+989121110003", "check_notice", since) is None
    later = await records.latest_outbound("+989121110001", "check_notice", T0 + timedelta(1))
    assert later is None


async def test_reports_once_per_inbound_message(records: SmsRecords) -> None:
    sid = new_sid()
    report = UnaskedCheckReport("+989121110001", "123456789012", sid, T0)
    assert await records.add_report(report)
    assert not await records.add_report(report)
    second = UnaskedCheckReport("+989121110002", None, new_sid(), T0 + timedelta(1))
    assert await records.add_report(second)
    assert await records.reports() == [second, report]
    assert await records.reports(limit=1) == [second]


async def test_sqlite_records_need_the_migration(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match="0002_sms"):
        await open_sqlite_sms_records(tmp_path / "empty.sqlite3")
