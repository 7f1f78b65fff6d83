"""``ConsoleStore`` in the process's memory, over the memory registry and answer log."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.ports.casework import (
    UNDELIVERED,
    AccessEntry,
    AccessQuery,
    DayCount,
    DayWindow,
    Dispute,
    DisputeDraft,
    DisputeEvent,
    DocumentDraft,
    DocumentOnFile,
    EventKind,
    PhoneChange,
    Role,
    StaffAccount,
)

if TYPE_CHECKING:
    from eligibility_gw.adapters.memory.store import MemoryAnswerLog, MemoryRegistry
    from eligibility_gw.ports.messages import SmsRecords

_CODE_ATTEMPTS = 8


class MemoryConsoleStore:
    """Staff, disputes, corrections, access log and dashboard counts in dicts and lists."""

    def __init__(
        self,
        registry: MemoryRegistry,
        answers: MemoryAnswerLog,
        sms: SmsRecords | None = None,
    ) -> None:
        self._registry = registry
        self._answers = answers
        #: The SMS records, whose delivery statuses tell which outcome SMS never arrived.
        self._sms = sms
        self._staff: dict[str, StaffAccount] = {}
        self._disputes: dict[str, Dispute] = {}
        self._events: dict[str, list[DisputeEvent]] = {}
        self._phone_changes: list[PhoneChange] = []
        self._access: list[AccessEntry] = []

    # --- staff ------------------------------------------------------------------------------

    async def add_staff(self, username: str, role: Role, password_hash: str) -> StaffAccount:
        """Create an account; ``ValueError`` when the name is taken."""
        if username in self._staff:
            raise ValueError(f"staff account {username!r} exists already")
        account = StaffAccount(username, role, password_hash, True, datetime.now(UTC))
        self._staff[username] = account
        return account

    async def get_staff(self, username: str) -> StaffAccount | None:
        """One account by name."""
        return self._staff.get(username)

    async def list_staff(self) -> list[StaffAccount]:
        """Every account, by name."""
        return [self._staff[k] for k in sorted(self._staff)]

    async def set_staff_active(self, username: str, active: bool) -> StaffAccount | None:
        """Enable or disable an account."""
        account = self._staff.get(username)
        if account is None:
            return None
        self._staff[username] = replace(account, active=active)
        return self._staff[username]

    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        """Replace an account's hash."""
        account = self._staff.get(username)
        if account is None:
            return False
        self._staff[username] = replace(account, password_hash=password_hash)
        return True

    # --- disputes ---------------------------------------------------------------------------

    async def open_dispute(self, draft: DisputeDraft) -> Dispute:
        """Store a new dispute under a fresh code, with its "opened" event."""
        for _ in range(_CODE_ATTEMPTS):
            code = DisputeCode.new()
            if code.digits not in self._disputes:
                break
        else:
            raise RuntimeError("no free dispute code after several draws")
        dispute = Dispute(
            code=code,
            national_id=draft.national_id,
            tracking_code=draft.tracking_code,
            caller_channel=draft.caller_channel,
            caller_phone=draft.caller_phone,
            language=draft.language,
            summary=draft.summary,
            status=DisputeStatus.RECEIVED,
            opened_by=draft.opened_by,
            opened_at=draft.opened_at,
            due_at=draft.due_at,
            updated_at=draft.opened_at,
        )
        self._disputes[code.digits] = dispute
        opened = DisputeEvent(
            draft.opened_at,
            draft.opened_by,
            EventKind.OPENED,
            draft.summary,
            to_status=DisputeStatus.RECEIVED,
        )
        self._events[code.digits] = [opened]
        return dispute

    async def get_dispute(self, code: DisputeCode) -> Dispute | None:
        """One dispute by code."""
        return self._disputes.get(code.digits)

    async def disputes_about(self, national_id: str) -> list[Dispute]:
        """Every dispute about one person, newest first."""
        found = [d for d in self._disputes.values() if d.national_id == national_id]
        return sorted(found, key=lambda d: (-d.opened_at.timestamp(), d.code.digits))

    def _matching(
        self, statuses: Sequence[DisputeStatus], due_before: datetime | None
    ) -> list[Dispute]:
        wanted = set(statuses)
        found = [
            d
            for d in self._disputes.values()
            if d.status in wanted and (due_before is None or d.due_at < due_before)
        ]
        return sorted(found, key=lambda d: (d.due_at, d.code.digits))

    async def list_disputes(
        self,
        statuses: Sequence[DisputeStatus],
        due_before: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Dispute]:
        """Disputes in ``statuses``, soonest due first."""
        return self._matching(statuses, due_before)[offset : offset + limit]

    async def count_disputes(
        self, statuses: Sequence[DisputeStatus], due_before: datetime | None = None
    ) -> int:
        """How many disputes match."""
        return len(self._matching(statuses, due_before))

    async def change_status(
        self,
        code: DisputeCode,
        expected: DisputeStatus,
        event: DisputeEvent,
        due_at: datetime | None = None,
    ) -> Dispute | None:
        """Move the dispute on, only from ``expected``."""
        assert event.to_status is not None
        dispute = self._disputes.get(code.digits)
        if dispute is None or dispute.status is not expected:
            return None
        moved = replace(
            dispute,
            status=event.to_status,
            updated_at=event.at,
            due_at=due_at if due_at is not None else dispute.due_at,
        )
        self._disputes[code.digits] = moved
        self._events.setdefault(code.digits, []).append(event)
        return moved

    async def add_event(self, code: DisputeCode, event: DisputeEvent) -> None:
        """Add a line to the dispute's history."""
        self._events.setdefault(code.digits, []).append(event)
        dispute = self._disputes.get(code.digits)
        if dispute is not None:
            self._disputes[code.digits] = replace(dispute, updated_at=event.at)

    async def events(self, code: DisputeCode) -> list[DisputeEvent]:
        """The dispute's history, oldest first."""
        return list(self._events.get(code.digits, []))

    async def record_resolution(
        self,
        code: DisputeCode,
        resolution_code: str | None,
        sms_status: str,
        sms_message_sid: str | None,
        event: DisputeEvent,
    ) -> None:
        """Keep the fresh answer's code and the fate of the resolution SMS."""
        dispute = self._disputes.get(code.digits)
        if dispute is not None:
            self._disputes[code.digits] = replace(
                dispute,
                resolution_code=resolution_code or dispute.resolution_code,
                sms_status=sms_status,
                sms_message_sid=sms_message_sid,
                updated_at=event.at,
            )
        self._events.setdefault(code.digits, []).append(event)

    async def undelivered_outcomes(self, limit: int = 50, offset: int = 0) -> list[Dispute]:
        """Disputes whose outcome SMS failed to go out or was reported undelivered or failed."""
        found = []
        for d in self._disputes.values():
            if d.sms_status == "failed":
                found.append(d)
            elif d.sms_message_sid and self._sms is not None:
                sent = await self._sms.outbound(d.sms_message_sid)
                if sent is not None and sent.status in UNDELIVERED:
                    found.append(d)
        found.sort(key=lambda d: (d.updated_at, d.code.digits), reverse=True)
        return found[offset : offset + limit]

    # --- corrections ------------------------------------------------------------------------

    async def record_document(self, draft: DocumentDraft) -> bool:
        """Put a branch document on file; False when nobody has that national id."""
        entry = self._registry.entries.get(draft.national_id)
        if entry is None:
            return False
        entry.documents.append(
            DocumentOnFile(
                draft.kind,
                draft.valid_from,
                draft.valid_until,
                "branch",
                draft.recorded_by,
                draft.recorded_at,
                draft.note,
            )
        )
        return True

    async def documents_of(self, national_id: str) -> list[DocumentOnFile]:
        """Every document on file for the person, oldest first."""
        entry = self._registry.entries.get(national_id)
        return list(entry.documents) if entry else []

    async def correct_phone(
        self, national_id: str, new_phone: str, changed_by: str, changed_at: datetime, reason: str
    ) -> PhoneChange | None:
        """Change the phone on file, keeping the old one in the change log."""
        if national_id not in self._registry.entries:
            return None
        old = self._registry.correct_phone(national_id, new_phone, changed_by, changed_at)
        change = PhoneChange(national_id, old, new_phone, changed_by, changed_at, reason)
        self._phone_changes.append(change)
        return change

    async def phone_changes(self, national_id: str) -> list[PhoneChange]:
        """The person's phone corrections, newest first."""
        return [c for c in reversed(self._phone_changes) if c.national_id == national_id]

    # --- look-ups ---------------------------------------------------------------------------

    async def national_ids_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[str]:
        """The national ids of persons born on ``birth_date`` named ``family_name``."""
        found = await self._registry.people_named(family_name, birth_date, limit)
        return [p.national_id for p in found]

    # --- access log -------------------------------------------------------------------------

    async def log_access(self, entries: Sequence[AccessEntry]) -> None:
        """Keep look-ups."""
        self._access.extend(entries)

    async def access_log(
        self, query: AccessQuery, limit: int = 50, offset: int = 0
    ) -> list[AccessEntry]:
        """Look-ups matching ``query``, newest first."""
        found = [
            e
            for e in self._access
            if (not query.staff or e.staff == query.staff)
            and (not query.national_id or e.national_id == query.national_id)
            and (query.since is None or e.at >= query.since)
            and (query.until is None or e.at < query.until)
        ]
        ordered = [e for _, e in sorted(enumerate(found), key=lambda p: (p[1].at, p[0]))][::-1]
        return ordered[offset : offset + limit]

    # --- dashboard --------------------------------------------------------------------------

    async def answer_counts(self, days: Sequence[DayWindow]) -> list[DayCount]:
        """Answers per day, channel and status."""
        counts: Counter[tuple[str, str, str]] = Counter()
        for window in days:
            for record in self._answers.records:
                if window.start <= record.created_at < window.end:
                    key = (window.day.isoformat(), record.draft.channel, record.status.value)
                    counts[key] += 1
        return [
            DayCount(datetime.fromisoformat(day).date(), channel, status, n)
            for (day, channel, status), n in sorted(counts.items())
        ]

    async def close(self) -> None:
        """Nothing to release."""
