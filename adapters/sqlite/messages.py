"""SQLite ``SmsRecords``: outbound SMS, status callbacks and NO reports (migration 0002)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.ports.messages import (
    OutboundSms,
    StatusEvent,
    UnaskedCheckReport,
    status_rank,
)

_OUTBOUND_COLUMNS = (
    "message_sid, to_phone, purpose, reference, status, attempts, created_at, updated_at,"
    " error_code"
)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _outbound(r: Any) -> OutboundSms:
    return OutboundSms(
        message_sid=r[0],
        to_phone=r[1],
        purpose=r[2],
        reference=r[3],
        status=r[4],
        attempts=int(r[5]),
        created_at=datetime.fromisoformat(r[6]),
        updated_at=datetime.fromisoformat(r[7]),
        error_code=r[8],
    )


class SqliteSmsRecords:
    """The SQLite implementation of ``eligibility_gw.ports.messages.SmsRecords``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def _transaction(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        async with self._db.transaction() as w:
            for sql, params in statements:
                await w.execute(sql, params)

    @unavailable
    async def record_sent(self, message: OutboundSms) -> None:
        """Keep the message; a callback that came first (and ranks later) sets its status."""
        await self._transaction(
            [
                (
                    f"INSERT INTO sms_outbound ({_OUTBOUND_COLUMNS}, status_rank)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (message_sid) DO NOTHING",
                    (
                        message.message_sid,
                        message.to_phone,
                        message.purpose,
                        message.reference,
                        message.status,
                        message.attempts,
                        _ts(message.created_at),
                        _ts(message.updated_at),
                        message.error_code,
                        status_rank(message.status),
                    ),
                ),
                (
                    "UPDATE sms_outbound SET (status, status_rank, error_code, updated_at) ="
                    " (SELECT status, status_rank, error_code, received_at FROM sms_status_event e"
                    "  WHERE e.message_sid = sms_outbound.message_sid"
                    "  ORDER BY status_rank DESC, id DESC LIMIT 1)"
                    " WHERE message_sid = ? AND EXISTS (SELECT 1 FROM sms_status_event e"
                    "  WHERE e.message_sid = sms_outbound.message_sid"
                    "  AND e.status_rank >= sms_outbound.status_rank)",
                    (message.message_sid,),
                ),
            ]
        )

    @unavailable
    async def record_status(self, event: StatusEvent) -> bool:
        """Keep the callback and move the message's status forward, never back."""
        rank = status_rank(event.status)
        at = _ts(event.received_at)
        await self._transaction(
            [
                (
                    "INSERT INTO sms_status_event (message_sid, status, status_rank, error_code,"
                    " received_at) VALUES (?,?,?,?,?)",
                    (event.message_sid, event.status, rank, event.error_code, at),
                ),
                (
                    "UPDATE sms_outbound SET status = ?, status_rank = ?, error_code = ?,"
                    " updated_at = ? WHERE message_sid = ? AND status_rank <= ?",
                    (event.status, rank, event.error_code, at, event.message_sid, rank),
                ),
            ]
        )
        return await self.outbound(event.message_sid) is not None

    @unavailable
    async def outbound(self, message_sid: str) -> OutboundSms | None:
        """One outbound message."""
        row = await self._db.fetchone(
            f"SELECT {_OUTBOUND_COLUMNS} FROM sms_outbound WHERE message_sid = ?",
            (message_sid,),
        )
        return _outbound(row) if row else None

    @unavailable
    async def status_events(self, message_sid: str) -> list[StatusEvent]:
        """A message's callbacks, in the order received."""
        rows = await self._db.fetchall(
            "SELECT message_sid, status, error_code, received_at FROM sms_status_event"
            " WHERE message_sid = ? ORDER BY id",
            (message_sid,),
        )
        return [StatusEvent(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    @unavailable
    async def latest_outbound(
        self, to_phone: str, purpose: str, since: datetime
    ) -> OutboundSms | None:
        """The newest message of ``purpose`` to ``to_phone`` since ``since``."""
        row = await self._db.fetchone(
            f"SELECT {_OUTBOUND_COLUMNS} FROM sms_outbound WHERE to_phone = ? AND purpose = ?"
            " AND created_at >= ? ORDER BY created_at DESC LIMIT 1",
            (to_phone, purpose, _ts(since)),
        )
        return _outbound(row) if row else None

    @unavailable
    async def add_report(self, report: UnaskedCheckReport) -> bool:
        """Keep a report once per inbound message."""
        try:
            await self._db.execute(
                "INSERT INTO sms_unasked_check_report (phone, tracking_code, inbound_sid,"
                " received_at) VALUES (?,?,?,?)",
                (report.phone, report.tracking_code, report.inbound_sid, _ts(report.received_at)),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    @unavailable
    async def reports(self, limit: int = 100) -> list[UnaskedCheckReport]:
        """The latest reports, newest first."""
        rows = await self._db.fetchall(
            "SELECT phone, tracking_code, inbound_sid, received_at FROM sms_unasked_check_report"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [UnaskedCheckReport(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    @unavailable
    async def report(self, inbound_sid: str) -> UnaskedCheckReport | None:
        """The report one inbound message made."""
        r = await self._db.fetchone(
            "SELECT phone, tracking_code, inbound_sid, received_at FROM sms_unasked_check_report"
            " WHERE inbound_sid = ?",
            (inbound_sid,),
        )
        return UnaskedCheckReport(r[0], r[1], r[2], datetime.fromisoformat(r[3])) if r else None

    @unavailable
    async def count_reports(self, since: datetime) -> int:
        """Reports received at or after ``since`` (times are kept as sortable UTC text)."""
        row = await self._db.fetchone(
            "SELECT count(*) FROM sms_unasked_check_report WHERE received_at >= ?", (_ts(since),)
        )
        return int(row[0]) if row else 0

    async def close(self) -> None:
        """Nothing of its own to release: the database is closed by the store."""
