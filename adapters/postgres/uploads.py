"""PostgreSQL ``UploadRecords`` and ``UploadFiles``: the review queue and its files (0006)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from eligibility_gw.adapters import followup_rows, rows
from eligibility_gw.adapters.postgres.database import unavailable
from eligibility_gw.ports.uploads import Upload, UploadDecision, UploadStatus

_COLUMNS = rows.select(followup_rows.UPLOAD_COLUMNS)
_MARKS = ", ".join(f"${i}" for i in range(1, len(followup_rows.UPLOAD_COLUMNS) + 1))


def _changed(status: str) -> int:
    """The row count of a command status such as ``UPDATE 1``."""
    return int(status.rsplit(" ", 1)[-1])


def _statuses(statuses: Sequence[UploadStatus]) -> list[str]:
    return [s.value for s in statuses]


class PostgresUploadRecords:
    """The PostgreSQL implementation of ``ports.uploads.UploadRecords``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def _select(self, where: str, *params: Any) -> list[Upload]:
        async with self._pool.acquire() as conn:
            found = await conn.fetch(f"SELECT {_COLUMNS} FROM upload {where}", *params)
        return [followup_rows.upload(r) for r in found]

    @unavailable
    async def add_upload(self, upload: Upload) -> bool:
        """Keep a new upload; False when its id is taken."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(
                f"INSERT INTO upload ({_COLUMNS}) VALUES ({_MARKS})"
                " ON CONFLICT (upload_id) DO NOTHING",
                *followup_rows.upload_values(upload, dates_as_text=False),
            )
        return _changed(status) > 0

    @unavailable
    async def get_upload(self, upload_id: str) -> Upload | None:
        """One upload by id."""
        found = await self._select("WHERE upload_id = $1", upload_id)
        return found[0] if found else None

    @unavailable
    async def pending_like(self, national_id: str, sha256: str) -> Upload | None:
        """A pending upload of the same file for the same person."""
        found = await self._select(
            "WHERE national_id = $1 AND sha256 = $2 AND status = 'pending' LIMIT 1",
            national_id,
            sha256,
        )
        return found[0] if found else None

    @unavailable
    async def list_uploads(
        self, statuses: Sequence[UploadStatus], limit: int = 50, offset: int = 0
    ) -> list[Upload]:
        """Uploads in ``statuses``, oldest received first."""
        return await self._select(
            "WHERE status = ANY($1::text[]) ORDER BY received_at, upload_id LIMIT $2 OFFSET $3",
            _statuses(statuses),
            limit,
            offset,
        )

    @unavailable
    async def count_uploads(self, statuses: Sequence[UploadStatus]) -> int:
        """How many uploads are in ``statuses``."""
        async with self._pool.acquire() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM upload WHERE status = ANY($1::text[])", _statuses(statuses)
            )
        return int(count or 0)

    @unavailable
    async def uploads_about(self, national_id: str, limit: int = 20) -> list[Upload]:
        """The uploads for one person, newest first."""
        return await self._select(
            "WHERE national_id = $1 ORDER BY received_at DESC, upload_id LIMIT $2",
            national_id,
            limit,
        )

    @unavailable
    async def decide_upload(self, upload_id: str, decision: UploadDecision) -> Upload | None:
        """Move a pending upload to the decision's status."""
        d = decision
        async with self._pool.acquire() as conn:
            r = await conn.fetchrow(
                "UPDATE upload SET status = $1, decided_at = $2, decided_by = $3, kind = $4,"
                " valid_from = $5, valid_until = $6, reason = $7, note = $8"
                f" WHERE upload_id = $9 AND status = 'pending' RETURNING {_COLUMNS}",
                d.status.value,
                d.decided_at,
                d.decided_by,
                d.kind,
                d.valid_from,
                d.valid_until,
                d.reason,
                d.note,
                upload_id,
            )
        return followup_rows.upload(r) if r is not None else None

    @unavailable
    async def reopen_upload(self, upload_id: str, expected: UploadStatus) -> bool:
        """Put a decided upload back to pending."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE upload SET status = 'pending', decided_at = NULL, decided_by = NULL,"
                " kind = NULL, valid_from = NULL, valid_until = NULL, reason = NULL,"
                " note = NULL WHERE upload_id = $1 AND status = $2",
                upload_id,
                expected.value,
            )
        return _changed(status) > 0

    @unavailable
    async def record_notice(self, upload_id: str, tracking_code: str | None, notified: str) -> None:
        """Keep the fresh answer's code and what became of telling the person."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE upload SET tracking_code = $1, notified = $2 WHERE upload_id = $3",
                tracking_code,
                notified,
                upload_id,
            )

    @unavailable
    async def expire_uploads(self, received_before: datetime, at: datetime) -> list[Upload]:
        """Expire the uploads pending since before ``received_before``."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                "UPDATE upload SET status = 'expired', decided_at = $2, decided_by = NULL"
                f" WHERE status = 'pending' AND received_at < $1 RETURNING {_COLUMNS}",
                received_before,
                at,
            )
        return [followup_rows.upload(r) for r in found]

    @unavailable
    async def deletable_uploads(self, decided_before: datetime) -> list[Upload]:
        """Rejected or expired uploads decided before ``decided_before``, files kept."""
        return await self._select(
            "WHERE status IN ('rejected', 'expired') AND deleted_at IS NULL"
            " AND decided_at < $1 ORDER BY decided_at",
            decided_before,
        )

    @unavailable
    async def mark_deleted(self, upload_id: str, at: datetime) -> None:
        """Record that the upload's file was deleted."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "UPDATE upload SET deleted_at = $1 WHERE upload_id = $2", at, upload_id
            )


class PostgresUploadFiles:
    """Upload files as ``bytea`` rows of the store (``[uploads] directory`` empty)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def put_file(self, upload_id: str, content: bytes) -> None:
        """Keep a file."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO upload_file (upload_id, content) VALUES ($1, $2)"
                " ON CONFLICT (upload_id) DO UPDATE SET content = excluded.content",
                upload_id,
                content,
            )

    @unavailable
    async def get_file(self, upload_id: str) -> bytes | None:
        """A kept file."""
        async with self._pool.acquire() as conn:
            content = await conn.fetchval(
                "SELECT content FROM upload_file WHERE upload_id = $1", upload_id
            )
        return bytes(content) if content is not None else None

    @unavailable
    async def delete_file(self, upload_id: str) -> None:
        """Delete a file."""
        async with self._pool.acquire() as conn:
            await conn.execute("DELETE FROM upload_file WHERE upload_id = $1", upload_id)
