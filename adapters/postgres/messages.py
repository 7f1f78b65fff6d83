"""PostgreSQL ``SmsRecords``: outbound SMS, status callbacks and NO reports (migration 0003).

The records use the gateway store's pool, which the store closes; ``close`` releases nothing.
A message's record and its callbacks may be written by different processes at once: both
take a transaction-scoped advisory lock on the message's SID, so a callback that races the
record of its message is never lost.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from eligibility_gw.adapters.postgres.database import unavailable
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
#: Serialises the writers of one message: the key is the SID's hash within this namespace.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('egw_sms:' || $1))"


def _outbound(r: asyncpg.Record) -> OutboundSms:
    return OutboundSms(
        message_sid=r["message_sid"],
        to_phone=r["to_phone"],
        purpose=r["purpose"],
        reference=r["reference"],
        status=r["status"],
        attempts=int(r["attempts"]),
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        error_code=r["error_code"],
    )


class PostgresSmsRecords:
    """The PostgreSQL implementation of ``eligibility_gw.ports.messages.SmsRecords``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def record_sent(self, message: OutboundSms) -> None:
        """Keep the message; a callback that came first (and ranks later) sets its status."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_LOCK, message.message_sid)
            await conn.execute(
                f"INSERT INTO sms_outbound ({_OUTBOUND_COLUMNS}, status_rank)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (message_sid) DO NOTHING",
                message.message_sid,
                message.to_phone,
                message.purpose,
                message.reference,
                message.status,
                message.attempts,
                message.created_at,
                message.updated_at,
                message.error_code,
                status_rank(message.status),
            )
            await conn.execute(
                "UPDATE sms_outbound o SET (status, status_rank, error_code, updated_at) ="
                " (SELECT e.status, e.status_rank, e.error_code, e.received_at"
                "  FROM sms_status_event e WHERE e.message_sid = o.message_sid"
                "  ORDER BY e.status_rank DESC, e.id DESC LIMIT 1)"
                " WHERE o.message_sid = $1 AND EXISTS (SELECT 1 FROM sms_status_event e"
                "  WHERE e.message_sid = o.message_sid AND e.status_rank >= o.status_rank)",
                message.message_sid,
            )

    @unavailable
    async def record_status(self, event: StatusEvent) -> bool:
        """Keep the callback and move the message's status forward, never back."""
        rank = status_rank(event.status)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_LOCK, event.message_sid)
            await conn.execute(
                "INSERT INTO sms_status_event (message_sid, status, status_rank, error_code,"
                " received_at) VALUES ($1, $2, $3, $4, $5)",
                event.message_sid,
                event.status,
                rank,
                event.error_code,
                event.received_at,
            )
            await conn.execute(
                "UPDATE sms_outbound SET status = $1, status_rank = $2, error_code = $3,"
                " updated_at = $4 WHERE message_sid = $5 AND status_rank <= $2",
                event.status,
                rank,
                event.error_code,
                event.received_at,
                event.message_sid,
            )
            known = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM sms_outbound WHERE message_sid = $1)",
                event.message_sid,
            )
        return bool(known)

    @unavailable
    async def outbound(self, message_sid: str) -> OutboundSms | None:
        """One outbound message."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_OUTBOUND_COLUMNS} FROM sms_outbound WHERE message_sid = $1",
                message_sid,
            )
        return _outbound(row) if row else None

    @unavailable
    async def status_events(self, message_sid: str) -> list[StatusEvent]:
        """A message's callbacks, in the order received."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT message_sid, status, error_code, received_at FROM sms_status_event"
                " WHERE message_sid = $1 ORDER BY id",
                message_sid,
            )
        return [
            StatusEvent(r["message_sid"], r["status"], r["error_code"], r["received_at"])
            for r in rows
        ]

    @unavailable
    async def latest_outbound(
        self, to_phone: str, purpose: str, since: datetime
    ) -> OutboundSms | None:
        """The newest message of ``purpose`` to ``to_phone`` since ``since``."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_OUTBOUND_COLUMNS} FROM sms_outbound WHERE to_phone = $1"
                " AND purpose = $2 AND created_at >= $3 ORDER BY created_at DESC LIMIT 1",
                to_phone,
                purpose,
                since,
            )
        return _outbound(row) if row else None

    @unavailable
    async def add_report(self, report: UnaskedCheckReport) -> bool:
        """Keep a report once per inbound message."""
        async with self._pool.acquire() as conn:
            kept = await conn.fetchval(
                "INSERT INTO sms_unasked_check_report (phone, tracking_code, inbound_sid,"
                " received_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (inbound_sid) DO NOTHING RETURNING id",
                report.phone,
                report.tracking_code,
                report.inbound_sid,
                report.received_at,
            )
        return kept is not None

    @unavailable
    async def reports(self, limit: int = 100) -> list[UnaskedCheckReport]:
        """The latest reports, newest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT phone, tracking_code, inbound_sid, received_at"
                " FROM sms_unasked_check_report ORDER BY id DESC LIMIT $1",
                limit,
            )
        return [
            UnaskedCheckReport(r["phone"], r["tracking_code"], r["inbound_sid"], r["received_at"])
            for r in rows
        ]

    @unavailable
    async def report(self, inbound_sid: str) -> UnaskedCheckReport | None:
        """The report one inbound message made."""
        async with self._pool.acquire() as conn:
            r = await conn.fetchrow(
                "SELECT phone, tracking_code, inbound_sid, received_at"
                " FROM sms_unasked_check_report WHERE inbound_sid = $1",
                inbound_sid,
            )
        if r is None:
            return None
        return UnaskedCheckReport(
            r["phone"], r["tracking_code"], r["inbound_sid"], r["received_at"]
        )

    @unavailable
    async def count_reports(self, since: datetime) -> int:
        """Reports received at or after ``since``."""
        async with self._pool.acquire() as conn:
            value = await conn.fetchval(
                "SELECT count(*) FROM sms_unasked_check_report WHERE received_at >= $1", since
            )
        return int(value)

    async def close(self) -> None:
        """Nothing to release: the pool is the store's."""
