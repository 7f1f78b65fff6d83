"""What reminders keep: one record per person, cover end and milestone, claimed before sending.

The unique key (national id, last covered day, milestone) is what makes a run idempotent:
a run repeated the same day, or a second process running at once, finds the key claimed and
sends nothing. A send that failed may be claimed again; one left ``sending`` (its process
died mid-send) is not, since its message may have gone out.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from eligibility_gw.domain.model import Family
from eligibility_gw.domain.reminders import Horizon


class ReminderStatus(enum.StrEnum):
    """Where a reminder stands."""

    #: Claimed by a run that is sending it (or died doing so).
    SENDING = "sending"
    SENT = "sent"
    #: Not handed over: the next run claims it again.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ReminderKey:
    """One reminder: whose cover, ending after which day, at which milestone."""

    national_id: str
    last_day: date
    milestone: int


@dataclass(frozen=True, slots=True)
class ReminderClaim:
    """What a run claims before sending: the key and what it is about to send."""

    key: ReminderKey
    #: The reason code named (why cover ends) and the rule it stands for.
    reason: str
    rule: str
    #: ``telegram`` or ``sms``.
    channel: str
    language: str
    #: The local day the run ran for.
    run_day: date
    at: datetime


@dataclass(frozen=True, slots=True)
class ReminderRecord:
    """A reminder as kept, with what became of it."""

    key: ReminderKey
    reason: str
    rule: str
    channel: str
    language: str
    run_day: date
    status: ReminderStatus
    claimed_at: datetime
    updated_at: datetime
    attempts: int
    #: The message's id at its carrier (Twilio's SID, Telegram's message id).
    reference: str | None = None
    #: Why it failed, in a few words without personal data.
    problem: str | None = None


class ReminderRecords(Protocol):
    """Reminders claimed, sent and failed; and the registry read family by family."""

    async def claim(self, claim: ReminderClaim) -> bool:
        """Claim the key for sending (new, or failed before); False when it is taken.

        Atomic across processes: of two runs claiming one key at once, one gets it.
        """

    async def finish(
        self,
        key: ReminderKey,
        status: ReminderStatus,
        at: datetime,
        reference: str | None = None,
        problem: str | None = None,
    ) -> None:
        """Record what became of a claimed reminder."""

    async def reminders_about(self, national_id: str, limit: int = 50) -> list[ReminderRecord]:
        """The reminders about one person, newest first."""

    async def sent_per_day(self, first: date, last: date) -> dict[date, int]:
        """How many reminders were sent on each run day from ``first`` to ``last``."""

    async def heads_ending(self, reach: Horizon) -> list[str]:
        """The principals (national ids, sorted) of the families where a fact changes within
        ``reach``: a cover period or a document's validity ends, a dependent born in one of
        its ranges. A superset of the families with a reminder due."""

    async def families_of(self, heads: Sequence[str]) -> list[Family]:
        """The whole families of these principals (members and documents as ``find_family``
        gives them), in the order given; ids that are not principals are left out."""
