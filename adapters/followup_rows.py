"""Rows of reminders and uploads <-> their records, written once for every store.

Read by position in the column orders below (a SQLite tuple and an asyncpg ``Record`` alike);
dates and instants through ``rows.day`` and ``rows.instant``, which take either form.
"""

from __future__ import annotations

from typing import Any

from eligibility_gw.adapters import rows
from eligibility_gw.ports.reminders import ReminderKey, ReminderRecord, ReminderStatus
from eligibility_gw.ports.uploads import Upload, UploadStatus

REMINDER_COLUMNS = (
    "national_id",
    "last_day",
    "milestone",
    "reason",
    "rule",
    "channel",
    "language",
    "run_day",
    "status",
    "claimed_at",
    "updated_at",
    "attempts",
    "reference",
    "problem",
)
UPLOAD_COLUMNS = (
    "upload_id",
    "national_id",
    "channel",
    "reply_to",
    "phone",
    "language",
    "content_type",
    "size",
    "sha256",
    "status",
    "received_at",
    "decided_at",
    "decided_by",
    "kind",
    "valid_from",
    "valid_until",
    "reason",
    "note",
    "tracking_code",
    "notified",
    "deleted_at",
)


def _required(value: Any) -> Any:
    assert value is not None, "a NOT NULL column read as NULL"
    return value


def reminder(r: rows.Row) -> ReminderRecord:
    """A reminder from a row of ``REMINDER_COLUMNS``."""
    return ReminderRecord(
        key=ReminderKey(r[0], _required(rows.day(r[1])), int(r[2])),
        reason=r[3],
        rule=r[4],
        channel=r[5],
        language=r[6],
        run_day=_required(rows.day(r[7])),
        status=ReminderStatus(r[8]),
        claimed_at=_required(rows.instant(r[9])),
        updated_at=_required(rows.instant(r[10])),
        attempts=int(r[11]),
        reference=r[12],
        problem=r[13],
    )


def upload(r: rows.Row) -> Upload:
    """An upload from a row of ``UPLOAD_COLUMNS``."""
    return Upload(
        upload_id=r[0],
        national_id=r[1],
        channel=r[2],
        reply_to=r[3],
        phone=r[4],
        language=r[5],
        content_type=r[6],
        size=int(r[7]),
        sha256=r[8],
        status=UploadStatus(r[9]),
        received_at=_required(rows.instant(r[10])),
        decided_at=rows.instant(r[11]),
        decided_by=r[12],
        kind=r[13],
        valid_from=rows.day(r[14]),
        valid_until=rows.day(r[15]),
        reason=r[16],
        note=r[17],
        tracking_code=r[18],
        notified=r[19],
        deleted_at=rows.instant(r[20]),
    )


def upload_values(u: Upload, dates_as_text: bool) -> tuple[Any, ...]:
    """An upload's values in ``UPLOAD_COLUMNS`` order (SQLite keeps dates as text)."""

    def when(value: Any) -> Any:
        if value is None or not dates_as_text:
            return value
        return rows.stamp(value) if hasattr(value, "hour") else value.isoformat()

    return (
        u.upload_id,
        u.national_id,
        u.channel,
        u.reply_to,
        u.phone,
        u.language,
        u.content_type,
        u.size,
        u.sha256,
        u.status.value,
        when(u.received_at),
        when(u.decided_at),
        u.decided_by,
        u.kind,
        when(u.valid_from),
        when(u.valid_until),
        u.reason,
        u.note,
        u.tracking_code,
        u.notified,
        when(u.deleted_at),
    )
