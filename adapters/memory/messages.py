"""``SmsRecords`` in a process's memory (the ``memory://`` store, and tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from eligibility_gw.ports.messages import (
    OutboundSms,
    StatusEvent,
    UnaskedCheckReport,
    status_rank,
)


class MemorySmsRecords:
    """``SmsRecords`` in a process's memory."""

    def __init__(self) -> None:
        self._sent: dict[str, OutboundSms] = {}
        self._events: list[StatusEvent] = []
        self._reports: list[UnaskedCheckReport] = []

    def _latest_event(self, message_sid: str) -> StatusEvent | None:
        events = [e for e in self._events if e.message_sid == message_sid]
        return max(events, key=lambda e: status_rank(e.status)) if events else None

    async def record_sent(self, message: OutboundSms) -> None:
        """Keep the message, with a status already reported by a callback if later."""
        event = self._latest_event(message.message_sid)
        if event is not None and status_rank(event.status) >= status_rank(message.status):
            message = replace(message, status=event.status, error_code=event.error_code)
        self._sent[message.message_sid] = message

    async def record_status(self, event: StatusEvent) -> bool:
        """Keep the callback; move the message's status forward."""
        self._events.append(event)
        known = self._sent.get(event.message_sid)
        if known is None:
            return False
        if status_rank(event.status) >= status_rank(known.status):
            self._sent[event.message_sid] = replace(
                known,
                status=event.status,
                error_code=event.error_code,
                updated_at=event.received_at,
            )
        return True

    async def outbound(self, message_sid: str) -> OutboundSms | None:
        """One message."""
        return self._sent.get(message_sid)

    async def status_events(self, message_sid: str) -> list[StatusEvent]:
        """Its callbacks."""
        return [e for e in self._events if e.message_sid == message_sid]

    async def latest_outbound(
        self, to_phone: str, purpose: str, since: datetime
    ) -> OutboundSms | None:
        """The newest matching message."""
        found = [
            m
            for m in self._sent.values()
            if m.to_phone == to_phone and m.purpose == purpose and m.created_at >= since
        ]
        return max(found, key=lambda m: m.created_at) if found else None

    async def add_report(self, report: UnaskedCheckReport) -> bool:
        """Keep a report once per inbound message."""
        if any(r.inbound_sid == report.inbound_sid for r in self._reports):
            return False
        self._reports.append(report)
        return True

    async def reports(self, limit: int = 100) -> list[UnaskedCheckReport]:
        """Newest first."""
        return list(reversed(self._reports))[:limit]

    async def report(self, inbound_sid: str) -> UnaskedCheckReport | None:
        """The report one inbound message made."""
        return next((r for r in self._reports if r.inbound_sid == inbound_sid), None)

    async def count_reports(self, since: datetime) -> int:
        """Reports received at or after ``since``."""
        return sum(1 for r in self._reports if r.received_at >= since)

    async def close(self) -> None:
        """Nothing to release."""
