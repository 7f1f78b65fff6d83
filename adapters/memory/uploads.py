"""``UploadRecords`` and ``UploadFiles`` in the process's memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from eligibility_gw.ports.uploads import Upload, UploadDecision, UploadStatus


class MemoryUploadRecords:
    """The review queue in a dict."""

    def __init__(self) -> None:
        self._uploads: dict[str, Upload] = {}

    async def add_upload(self, upload: Upload) -> bool:
        """Keep a new upload; False when its id is taken."""
        if upload.upload_id in self._uploads:
            return False
        self._uploads[upload.upload_id] = upload
        return True

    async def get_upload(self, upload_id: str) -> Upload | None:
        """One upload by id."""
        return self._uploads.get(upload_id)

    async def pending_like(self, national_id: str, sha256: str) -> Upload | None:
        """A pending upload of the same file for the same person."""
        return next(
            (
                u
                for u in self._uploads.values()
                if u.national_id == national_id
                and u.sha256 == sha256
                and u.status is UploadStatus.PENDING
            ),
            None,
        )

    def _in(self, statuses: Sequence[UploadStatus]) -> list[Upload]:
        found = [u for u in self._uploads.values() if u.status in statuses]
        return sorted(found, key=lambda u: (u.received_at, u.upload_id))

    async def list_uploads(
        self, statuses: Sequence[UploadStatus], limit: int = 50, offset: int = 0
    ) -> list[Upload]:
        """Uploads in ``statuses``, oldest received first."""
        return self._in(statuses)[offset : offset + limit]

    async def count_uploads(self, statuses: Sequence[UploadStatus]) -> int:
        """How many uploads are in ``statuses``."""
        return len(self._in(statuses))

    async def uploads_about(self, national_id: str, limit: int = 20) -> list[Upload]:
        """The uploads for one person, newest first."""
        found = [u for u in self._uploads.values() if u.national_id == national_id]
        found.sort(key=lambda u: (u.received_at, u.upload_id), reverse=True)
        return found[:limit]

    async def decide_upload(self, upload_id: str, decision: UploadDecision) -> Upload | None:
        """Move a pending upload to the decision's status."""
        old = self._uploads.get(upload_id)
        if old is None or old.status is not UploadStatus.PENDING:
            return None
        d = decision
        new = replace(
            old,
            status=d.status,
            decided_at=d.decided_at,
            decided_by=d.decided_by,
            kind=d.kind,
            valid_from=d.valid_from,
            valid_until=d.valid_until,
            reason=d.reason,
            note=d.note,
        )
        self._uploads[upload_id] = new
        return new

    async def reopen_upload(self, upload_id: str, expected: UploadStatus) -> bool:
        """Put a decided upload back to pending."""
        old = self._uploads.get(upload_id)
        if old is None or old.status is not expected:
            return False
        self._uploads[upload_id] = replace(
            old,
            status=UploadStatus.PENDING,
            decided_at=None,
            decided_by=None,
            kind=None,
            valid_from=None,
            valid_until=None,
            reason=None,
            note=None,
        )
        return True

    async def record_notice(self, upload_id: str, tracking_code: str | None, notified: str) -> None:
        """Keep the fresh answer's code and what became of telling the person."""
        old = self._uploads.get(upload_id)
        if old is not None:
            self._uploads[upload_id] = replace(old, tracking_code=tracking_code, notified=notified)

    async def expire_uploads(self, received_before: datetime, at: datetime) -> list[Upload]:
        """Expire the uploads pending since before ``received_before``."""
        expired = [u for u in self._in([UploadStatus.PENDING]) if u.received_at < received_before]
        for u in expired:
            self._uploads[u.upload_id] = replace(
                u, status=UploadStatus.EXPIRED, decided_at=at, decided_by=None
            )
        return expired

    async def deletable_uploads(self, decided_before: datetime) -> list[Upload]:
        """Rejected or expired uploads decided before ``decided_before``, files kept."""
        found = [
            u
            for u in self._uploads.values()
            if u.status in (UploadStatus.REJECTED, UploadStatus.EXPIRED)
            and u.deleted_at is None
            and u.decided_at is not None
            and u.decided_at < decided_before
        ]
        return sorted(found, key=lambda u: (u.decided_at, u.upload_id))

    async def mark_deleted(self, upload_id: str, at: datetime) -> None:
        """Record that the upload's file was deleted."""
        old = self._uploads.get(upload_id)
        if old is not None:
            self._uploads[upload_id] = replace(old, deleted_at=at)


class MemoryUploadFiles:
    """Upload files in a dict."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}

    async def put_file(self, upload_id: str, content: bytes) -> None:
        """Keep a file."""
        self._files[upload_id] = bytes(content)

    async def get_file(self, upload_id: str) -> bytes | None:
        """A kept file."""
        return self._files.get(upload_id)

    async def delete_file(self, upload_id: str) -> None:
        """Delete a file."""
        self._files.pop(upload_id, None)
