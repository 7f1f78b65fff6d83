"""Text messages the gateway keeps: outbound SMS with their delivery status, and NO reports.

``SmsRecords`` is the port; SQLite, PostgreSQL and memory adapters implement it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

#: Delivery statuses in the order a message goes through them; a late callback of an earlier
#: status does not undo a later one. Unknown statuses (Twilio adds some) rank with "sent".
STATUS_ORDER = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "receiving": 3,
    "received": 3,
    "canceled": 4,
    "partially_delivered": 4,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}


def status_rank(status: str) -> int:
    """Where ``status`` falls in a message's life."""
    return STATUS_ORDER.get(status, 3)


@dataclass(frozen=True, slots=True)
class OutboundSms:
    """A message handed to Twilio: to whom, why, and its latest delivery status."""

    message_sid: str
    to_phone: str
    purpose: str
    reference: str | None
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One status callback as Twilio sent it."""

    message_sid: str
    status: str
    error_code: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class UnaskedCheckReport:
    """An insured person's NO: they did not ask for the check they were told about."""

    phone: str
    tracking_code: str | None
    inbound_sid: str
    received_at: datetime


class SmsRecords(Protocol):
    """Outbound messages, their status callbacks, and reports of checks nobody asked for."""

    async def record_sent(self, message: OutboundSms) -> None:
        """Keep a message Twilio accepted (callbacks that came first set its status)."""

    async def record_status(self, event: StatusEvent) -> bool:
        """Keep a status callback; say whether the message is known."""

    async def outbound(self, message_sid: str) -> OutboundSms | None:
        """One outbound message."""

    async def status_events(self, message_sid: str) -> list[StatusEvent]:
        """A message's status callbacks, in the order received."""

    async def latest_outbound(
        self, to_phone: str, purpose: str, since: datetime
    ) -> OutboundSms | None:
        """The newest message of ``purpose`` sent to ``to_phone`` at or after ``since``."""

    async def add_report(self, report: UnaskedCheckReport) -> bool:
        """Keep a report; False when the same inbound message was recorded already."""

    async def reports(self, limit: int = 100) -> list[UnaskedCheckReport]:
        """The latest reports, newest first."""

    async def report(self, inbound_sid: str) -> UnaskedCheckReport | None:
        """The report one inbound message made, or None."""

    async def count_reports(self, since: datetime) -> int:
        """How many reports came at or after ``since``."""

    async def close(self) -> None:
        """Release connections."""
