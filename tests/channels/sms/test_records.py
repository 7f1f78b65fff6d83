"""The ``SmsRecords`` contract, run unchanged against the memory, SQLite and PostgreSQL stores.

The records are one port of the store that ``bootstrap`` opens (``store.sms``): on the
store's own database handle or pool. PostgreSQL cases skip with a reason where no server
listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eligibility_gw.bootstrap import open_store
from eligibility_gw.ports.messages import (
    OutboundSms,
    SmsRecords,
    StatusEvent,
    UnaskedCheckReport,
)
from tests.channels.sms.support import new_sid
from tests.contract.stores import postgres_backend, postgres_reachable
from tests.gateway import gateway_settings

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def records(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SmsRecords]:
    if request.param == "postgres":
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        async with postgres_backend() as backend:  # a fresh, migrated schema
            yield backend.store.sms
        return
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'r.sqlite3'}"
    store = await open_store(gateway_settings(url))  # migrated as the gateway opens it
    try:
        yield store.sms
    finally:
        await store.close()


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
