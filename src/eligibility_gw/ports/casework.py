"""What the console keeps, and the small interfaces its stores implement (SQLite, PostgreSQL).

Staff accounts, disputes with their events, corrections of the registry (documents seen at
a branch, phone numbers) with who, when and why, the log of staff look-ups, and the counts
of answers the supervisor dashboard draws.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus


class Role(enum.StrEnum):
    """What a staff account may do: supervisors also see the overdue list, log and dashboard."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A call-centre account; the password is kept only as its Argon2id hash."""

    username: str
    role: Role
    password_hash: str
    active: bool
    created_at: datetime

    @property
    def is_supervisor(self) -> bool:
        """Say whether the account may open supervisor pages."""
        return self.role is Role.SUPERVISOR


@dataclass(frozen=True, slots=True)
class DisputeDraft:
    """A dispute about to be opened; the store gives it its code."""

    national_id: str
    tracking_code: str | None
    caller_channel: str
    caller_phone: str | None
    language: str
    summary: str
    opened_by: str
    opened_at: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Dispute:
    """A dispute as stored, with its status and what its resolution did."""

    code: DisputeCode
    national_id: str
    tracking_code: str | None
    caller_channel: str
    caller_phone: str | None
    language: str
    summary: str
    status: DisputeStatus
    opened_by: str
    opened_at: datetime
    due_at: datetime
    updated_at: datetime
    #: The tracking code of the fresh answer given on resolution.
    resolution_code: str | None = None
    #: What became of the resolution SMS: sent, not_configured, no_phone or failed.
    sms_status: str | None = None
    sms_message_sid: str | None = None


#: Delivery statuses of an outbound SMS that never reached the phone (Twilio's words).
UNDELIVERED = ("undelivered", "failed", "canceled")
#: The same, as an SQL list.
UNDELIVERED_SQL = ", ".join(f"'{s}'" for s in UNDELIVERED)


class EventKind(enum.StrEnum):
    """What happened to a dispute."""

    OPENED = "opened"
    STATUS = "status"
    NOTE = "note"
    DOCUMENT = "document"
    PHONE = "phone"
    SMS = "sms"


@dataclass(frozen=True, slots=True)
class DisputeEvent:
    """One line of a dispute's history."""

    at: datetime
    staff: str
    kind: EventKind
    text: str = ""
    from_status: DisputeStatus | None = None
    to_status: DisputeStatus | None = None


@dataclass(frozen=True, slots=True)
class DocumentDraft:
    """A document seen at a branch, about to be put on file."""

    national_id: str
    kind: str
    valid_from: date | None
    valid_until: date | None
    recorded_by: str
    recorded_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class DocumentOnFile:
    """A document the registry holds for a person, with where it came from."""

    kind: str
    valid_from: date | None
    valid_until: date | None
    source: str
    recorded_by: str | None
    recorded_at: datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class PhoneChange:
    """A correction of a person's phone on file: the old value is kept."""

    national_id: str
    old_phone: str | None
    new_phone: str
    changed_by: str
    changed_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One staff look-up of one person: who looked at whom, when, on which page."""

    staff: str
    national_id: str
    at: datetime
    action: str


@dataclass(frozen=True, slots=True)
class AccessQuery:
    """Filters of the access log (each optional), ``[since, until)``."""

    staff: str | None = None
    national_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class DayWindow:
    """One local day as an instant range ``[start, end)`` (DST-proof)."""

    day: date
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class DayCount:
    """Answers given on one day through one channel with one status."""

    day: date
    channel: str
    status: str
    count: int


class StaffAccounts(Protocol):
    """Staff accounts."""

    async def add_staff(self, username: str, role: Role, password_hash: str) -> StaffAccount:
        """Create an account; ``ValueError`` when the name is taken."""

    async def get_staff(self, username: str) -> StaffAccount | None:
        """One account by name."""

    async def list_staff(self) -> list[StaffAccount]:
        """Every account, by name."""

    async def set_staff_active(self, username: str, active: bool) -> StaffAccount | None:
        """Enable or disable an account; None when there is none."""

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        """Replace an account's hash (a new password, or a stronger hash of the same)."""


class Disputes(Protocol):
    """Disputes and their histories."""

    async def open_dispute(self, draft: DisputeDraft) -> Dispute:
        """Store a new dispute (received) under a fresh code, with its "opened" event."""

    async def get_dispute(self, code: DisputeCode) -> Dispute | None:
        """One dispute by code."""

    async def disputes_about(self, national_id: str) -> list[Dispute]:
        """Every dispute about one person, newest first."""

    async def list_disputes(
        self,
        statuses: Sequence[DisputeStatus],
        due_before: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Dispute]:
        """Disputes in ``statuses`` (due before ``due_before`` if given), soonest due first."""

    async def count_disputes(
        self, statuses: Sequence[DisputeStatus], due_before: datetime | None = None
    ) -> int:
        """How many disputes ``list_disputes`` would list without a limit."""

    async def change_status(
        self,
        code: DisputeCode,
        expected: DisputeStatus,
        event: DisputeEvent,
        due_at: datetime | None = None,
    ) -> Dispute | None:
        """Move from ``expected`` to ``event.to_status`` (new due time if given) with its event.

        None when the dispute is not (any more) in ``expected``: somebody else moved it.
        """

    async def add_event(self, code: DisputeCode, event: DisputeEvent) -> None:
        """Add a line to the dispute's history (a note, a correction made for it)."""

    async def events(self, code: DisputeCode) -> list[DisputeEvent]:
        """The dispute's history, oldest first."""

    async def record_resolution(
        self,
        code: DisputeCode,
        resolution_code: str | None,
        sms_status: str,
        sms_message_sid: str | None,
        event: DisputeEvent,
    ) -> None:
        """Keep the fresh answer's code and the fate of the resolution SMS."""

    async def undelivered_outcomes(self, limit: int = 50, offset: int = 0) -> list[Dispute]:
        """Disputes whose outcome SMS did not reach the person: the send failed, or Twilio
        reported the message undelivered or failed. Most recently updated first."""


class Corrections(Protocol):
    """Registry corrections made at the console, kept with who, when and why."""

    async def record_document(self, draft: DocumentDraft) -> bool:
        """Put a branch document on file; False when nobody has that national id."""

    async def documents_of(self, national_id: str) -> list[DocumentOnFile]:
        """Every document on file for the person, as recorded (oldest first)."""

    async def correct_phone(
        self, national_id: str, new_phone: str, changed_by: str, changed_at: datetime, reason: str
    ) -> PhoneChange | None:
        """Change the phone on file, keeping the old one; None when there is no such person."""

    async def phone_changes(self, national_id: str) -> list[PhoneChange]:
        """The person's phone corrections, newest first."""


class AccessLog(Protocol):
    """Who looked at whom."""

    async def log_access(self, entries: Sequence[AccessEntry]) -> None:
        """Keep look-ups (durably, before the page that shows the person is sent)."""

    async def access_log(
        self, query: AccessQuery, limit: int = 50, offset: int = 0
    ) -> list[AccessEntry]:
        """Look-ups matching ``query``, newest first."""


class Activity(Protocol):
    """Aggregates of the answer log for the dashboard."""

    async def answer_counts(self, days: Sequence[DayWindow]) -> list[DayCount]:
        """Answers per day, channel and status, for each of ``days``."""


class Lookups(Protocol):
    """Finding people whose national id the caller does not know."""

    async def national_ids_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[str]:
        """The national ids of persons born on ``birth_date`` whose family name reads as
        ``family_name`` (``ports.Registry.people_named``), at most ``limit``."""


class ConsoleStore(StaffAccounts, Disputes, Corrections, AccessLog, Activity, Lookups, Protocol):
    """Everything the console keeps, next to the gateway's store."""

    async def close(self) -> None:
        """Release what the console store opened itself."""
