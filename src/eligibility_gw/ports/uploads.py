"""Documents sent from a phone: the records of the review queue, and where the files lie.

An upload is received from a channel (``telegram``, ``sms``) for one member, waits
``pending`` in the review queue, and is ``accepted`` (the document goes on file) or
``rejected`` by staff, or ``expired`` when nobody reviewed it in time. The file itself is
kept apart (``UploadFiles``: the store, or a directory) under the upload's id, with its
SHA-256; a rejected or expired upload's file is deleted after the retention.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


class UploadStatus(enum.StrEnum):
    """Where an upload stands in review."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Upload:
    """One document sent from a phone, and what review made of it."""

    upload_id: str
    national_id: str
    #: How it came: ``telegram`` or ``sms``; the person is told the outcome the same way.
    channel: str
    #: Where to tell them: the chat id (Telegram) or the phone (SMS).
    reply_to: str
    #: The phone the sender proved (a Telegram binding's, or the SMS sender's).
    phone: str
    language: str
    content_type: str
    size: int
    sha256: str
    status: UploadStatus
    received_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    #: Accepted: the document kind and dates recorded.
    kind: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    #: Rejected: the reason's code; staff's own note (never sent to the person).
    reason: str | None = None
    note: str | None = None
    #: The fresh answer's tracking code, and what became of telling the person.
    tracking_code: str | None = None
    notified: str | None = None
    #: When the file was deleted (rejected or expired, past the retention).
    deleted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UploadDecision:
    """Staff's decision on a pending upload."""

    status: UploadStatus
    decided_by: str
    decided_at: datetime
    kind: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    reason: str | None = None
    note: str | None = None


class UploadRecords(Protocol):
    """The review queue's records."""

    async def add_upload(self, upload: Upload) -> bool:
        """Keep a new upload; False when its id is taken."""

    async def get_upload(self, upload_id: str) -> Upload | None:
        """One upload by id."""

    async def pending_like(self, national_id: str, sha256: str) -> Upload | None:
        """A pending upload of the same file for the same person (a file sent twice)."""

    async def list_uploads(
        self, statuses: Sequence[UploadStatus], limit: int = 50, offset: int = 0
    ) -> list[Upload]:
        """Uploads in ``statuses``, oldest received first."""

    async def count_uploads(self, statuses: Sequence[UploadStatus]) -> int:
        """How many uploads are in ``statuses``."""

    async def uploads_about(self, national_id: str, limit: int = 20) -> list[Upload]:
        """The uploads for one person, newest first."""

    async def decide_upload(self, upload_id: str, decision: UploadDecision) -> Upload | None:
        """Move a pending upload to the decision's status; None when it is no longer pending
        (somebody else decided, or it expired)."""

    async def reopen_upload(self, upload_id: str, expected: UploadStatus) -> bool:
        """Put a decided upload back to pending (its decision could not be carried out)."""

    async def record_notice(self, upload_id: str, tracking_code: str | None, notified: str) -> None:
        """Keep the fresh answer's code and what became of telling the person."""

    async def expire_uploads(self, received_before: datetime, at: datetime) -> list[Upload]:
        """Expire the uploads pending since before ``received_before``; the ones expired."""

    async def deletable_uploads(self, decided_before: datetime) -> list[Upload]:
        """Rejected or expired uploads decided before ``decided_before`` whose file is kept."""

    async def mark_deleted(self, upload_id: str, at: datetime) -> None:
        """Record that the upload's file was deleted."""


class UploadFiles(Protocol):
    """Where the files of uploads lie (the store, or a directory named in the settings)."""

    async def put_file(self, upload_id: str, content: bytes) -> None:
        """Keep a file (before its record is added)."""

    async def get_file(self, upload_id: str) -> bytes | None:
        """A kept file; None once deleted."""

    async def delete_file(self, upload_id: str) -> None:
        """Delete a file (nothing when there is none)."""
