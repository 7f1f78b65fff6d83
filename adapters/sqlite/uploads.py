"""SQLite ``UploadRecords`` and ``UploadFiles``: the review queue and its files (0009)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from eligibility_gw.adapters import followup_rows, rows
from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.ports.uploads import Upload, UploadDecision, UploadStatus

_COLUMNS = rows.select(followup_rows.UPLOAD_COLUMNS)
_MARKS = ",".join("?" * len(followup_rows.UPLOAD_COLUMNS))


def _in(statuses: Sequence[UploadStatus]) -> tuple[str, tuple[str, ...]]:
    values = tuple(s.value for s in statuses) or ("",)
    return ",".join("?" * len(values)), values


class SqliteUploadRecords:
    """The SQLite implementation of ``ports.uploads.UploadRecords``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def _select(self, where: str, params: Sequence[object]) -> list[Upload]:
        found = await self._db.fetchall(f"SELECT {_COLUMNS} FROM upload {where}", params)
        return [followup_rows.upload(r) for r in found]

    @unavailable
    async def add_upload(self, upload: Upload) -> bool:
        """Keep a new upload; False when its id is taken."""
        try:
            await self._db.execute(
                f"INSERT INTO upload ({_COLUMNS}) VALUES ({_MARKS})",
                followup_rows.upload_values(upload, dates_as_text=True),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    @unavailable
    async def get_upload(self, upload_id: str) -> Upload | None:
        """One upload by id."""
        found = await self._select("WHERE upload_id = ?", (upload_id,))
        return found[0] if found else None

    @unavailable
    async def pending_like(self, national_id: str, sha256: str) -> Upload | None:
        """A pending upload of the same file for the same person."""
        found = await self._select(
            "WHERE national_id = ? AND sha256 = ? AND status = 'pending' LIMIT 1",
            (national_id, sha256),
        )
        return found[0] if found else None

    @unavailable
    async def list_uploads(
        self, statuses: Sequence[UploadStatus], limit: int = 50, offset: int = 0
    ) -> list[Upload]:
        """Uploads in ``statuses``, oldest received first."""
        marks, values = _in(statuses)
        return await self._select(
            f"WHERE status IN ({marks}) ORDER BY received_at, upload_id LIMIT ? OFFSET ?",
            (*values, limit, offset),
        )

    @unavailable
    async def count_uploads(self, statuses: Sequence[UploadStatus]) -> int:
        """How many uploads are in ``statuses``."""
        marks, values = _in(statuses)
        row = await self._db.fetchone(
            f"SELECT count(*) FROM upload WHERE status IN ({marks})", values
        )
        return int(row[0]) if row else 0

    @unavailable
    async def uploads_about(self, national_id: str, limit: int = 20) -> list[Upload]:
        """The uploads for one person, newest first."""
        return await self._select(
            "WHERE national_id = ? ORDER BY received_at DESC, upload_id LIMIT ?",
            (national_id, limit),
        )

    @unavailable
    async def decide_upload(self, upload_id: str, decision: UploadDecision) -> Upload | None:
        """Move a pending upload to the decision's status."""
        d = decision
        changed = await self._db.execute(
            "UPDATE upload SET status = ?, decided_at = ?, decided_by = ?, kind = ?,"
            " valid_from = ?, valid_until = ?, reason = ?, note = ?"
            " WHERE upload_id = ? AND status = 'pending'",
            (
                d.status.value,
                rows.stamp(d.decided_at),
                d.decided_by,
                d.kind,
                rows.iso(d.valid_from),
                rows.iso(d.valid_until),
                d.reason,
                d.note,
                upload_id,
            ),
        )
        return await self.get_upload(upload_id) if changed else None

    @unavailable
    async def reopen_upload(self, upload_id: str, expected: UploadStatus) -> bool:
        """Put a decided upload back to pending."""
        changed = await self._db.execute(
            "UPDATE upload SET status = 'pending', decided_at = NULL, decided_by = NULL,"
            " kind = NULL, valid_from = NULL, valid_until = NULL, reason = NULL, note = NULL"
            " WHERE upload_id = ? AND status = ?",
            (upload_id, expected.value),
        )
        return changed > 0

    @unavailable
    async def record_notice(self, upload_id: str, tracking_code: str | None, notified: str) -> None:
        """Keep the fresh answer's code and what became of telling the person."""
        await self._db.execute(
            "UPDATE upload SET tracking_code = ?, notified = ? WHERE upload_id = ?",
            (tracking_code, notified, upload_id),
        )

    @unavailable
    async def expire_uploads(self, received_before: datetime, at: datetime) -> list[Upload]:
        """Expire the uploads pending since before ``received_before``."""
        before = rows.stamp(received_before)
        stale = await self._select(
            "WHERE status = 'pending' AND received_at < ? ORDER BY received_at", (before,)
        )
        expired = []
        for u in stale:  # one by one: a decision made meanwhile wins
            changed = await self._db.execute(
                "UPDATE upload SET status = 'expired', decided_at = ?, decided_by = NULL"
                " WHERE upload_id = ? AND status = 'pending'",
                (rows.stamp(at), u.upload_id),
            )
            if changed:
                expired.append(u)
        return expired

    @unavailable
    async def deletable_uploads(self, decided_before: datetime) -> list[Upload]:
        """Rejected or expired uploads decided before ``decided_before``, files kept."""
        return await self._select(
            "WHERE status IN ('rejected', 'expired') AND deleted_at IS NULL AND decided_at < ?"
            " ORDER BY decided_at",
            (rows.stamp(decided_before),),
        )

    @unavailable
    async def mark_deleted(self, upload_id: str, at: datetime) -> None:
        """Record that the upload's file was deleted."""
        await self._db.execute(
            "UPDATE upload SET deleted_at = ? WHERE upload_id = ?", (rows.stamp(at), upload_id)
        )


class SqliteUploadFiles:
    """Upload files as BLOBs of the store's own file (``[uploads] directory`` empty)."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @unavailable
    async def put_file(self, upload_id: str, content: bytes) -> None:
        """Keep a file."""
        await self._db.execute(
            "INSERT INTO upload_file (upload_id, content) VALUES (?, ?)"
            " ON CONFLICT (upload_id) DO UPDATE SET content = excluded.content",
            (upload_id, content),
        )

    @unavailable
    async def get_file(self, upload_id: str) -> bytes | None:
        """A kept file."""
        row = await self._db.fetchone(
            "SELECT content FROM upload_file WHERE upload_id = ?", (upload_id,)
        )
        return bytes(row[0]) if row else None

    @unavailable
    async def delete_file(self, upload_id: str) -> None:
        """Delete a file."""
        await self._db.execute("DELETE FROM upload_file WHERE upload_id = ?", (upload_id,))
