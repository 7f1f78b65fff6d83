"""Disputes without I/O: their codes, the status machine, due times and overdue.

A dispute moves received → in progress → resolved or rejected → closed; a resolved,
rejected or closed dispute may be reopened (back to in progress, with a new due time).
Dispute codes are "D-" and eight digits, the last a Verhoeff check digit, so a code read
over the phone with one digit wrong or two swapped is refused instead of finding another.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from eligibility_gw.domain.digits import compact_number
from eligibility_gw.domain.tracking import verhoeff_check_digit, verhoeff_is_valid

DISPUTE_CODE_DIGITS = 8
_BODY = DISPUTE_CODE_DIGITS - 1
_PREFIX = "D"


class InvalidDisputeCode(ValueError):
    """Text that is not a dispute code (wrong length, letters, or a failed check digit)."""


@dataclass(frozen=True, slots=True, order=True)
class DisputeCode:
    """A dispute's own code: seven random digits and a Verhoeff check digit."""

    digits: str

    @classmethod
    def new(cls) -> DisputeCode:
        """Draw a fresh code; the store enforces uniqueness."""
        body = f"{secrets.randbelow(10**_BODY):0{_BODY}d}"
        return cls(body + str(verhoeff_check_digit(body)))

    @classmethod
    def parse(cls, text: str) -> DisputeCode:
        """Read a code as typed: ``D-1234-5678``, ``d12345678``, Persian digits, spaces."""
        compact = compact_number(text).upper().removeprefix(_PREFIX)
        if len(compact) != DISPUTE_CODE_DIGITS or not (compact.isascii() and compact.isdigit()):
            raise InvalidDisputeCode(f"a dispute code is D- and {DISPUTE_CODE_DIGITS} digits")
        if not verhoeff_is_valid(compact):
            raise InvalidDisputeCode("dispute code fails its check digit")
        return cls(compact)

    @staticmethod
    def looks_like(text: str) -> bool:
        """Say whether ``text`` is written as a dispute code (starts with D)."""
        return compact_number(text).upper().startswith(_PREFIX)

    def grouped(self) -> str:
        """``D-1234-5678``: the way staff read it out."""
        return f"{_PREFIX}-{self.digits[:4]}-{self.digits[4:]}"

    def __str__(self) -> str:
        return self.grouped()


class DisputeStatus(enum.StrEnum):
    """Where a dispute stands."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        """Say whether someone still has to act (the due time counts)."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({DisputeStatus.RECEIVED, DisputeStatus.IN_PROGRESS})


class DisputeAction(enum.StrEnum):
    """What staff can do to a dispute's status."""

    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"
    CLOSE = "close"
    REOPEN = "reopen"


_S = DisputeStatus
_A = DisputeAction
TRANSITIONS: dict[tuple[DisputeStatus, DisputeAction], DisputeStatus] = {
    (_S.RECEIVED, _A.START): _S.IN_PROGRESS,
    (_S.RECEIVED, _A.REJECT): _S.REJECTED,
    (_S.IN_PROGRESS, _A.RESOLVE): _S.RESOLVED,
    (_S.IN_PROGRESS, _A.REJECT): _S.REJECTED,
    (_S.RESOLVED, _A.CLOSE): _S.CLOSED,
    (_S.REJECTED, _A.CLOSE): _S.CLOSED,
    (_S.RESOLVED, _A.REOPEN): _S.IN_PROGRESS,
    (_S.REJECTED, _A.REOPEN): _S.IN_PROGRESS,
    (_S.CLOSED, _A.REOPEN): _S.IN_PROGRESS,
}
#: Outcomes the insured person is told about by SMS.
OUTCOMES = frozenset({DisputeStatus.RESOLVED, DisputeStatus.REJECTED})


class TransitionRefused(Exception):
    """The action is not possible from the dispute's current status."""

    def __init__(self, current: DisputeStatus, action: DisputeAction) -> None:
        super().__init__(f"cannot {action.value} a dispute that is {current.value}")
        self.current = current
        self.action = action


def next_status(current: DisputeStatus, action: DisputeAction) -> DisputeStatus:
    """The status ``action`` leads to from ``current``; ``TransitionRefused`` otherwise."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise TransitionRefused(current, action) from None


def actions_from(current: DisputeStatus) -> tuple[DisputeAction, ...]:
    """The actions possible from ``current``, in the order pages offer them."""
    return tuple(a for a in DisputeAction if (current, a) in TRANSITIONS)


def due_time(start: datetime, service_level_hours: int) -> datetime:
    """When a dispute opened (or reopened) at ``start`` is due."""
    return start + timedelta(hours=service_level_hours)


def is_overdue(status: DisputeStatus, due_at: datetime, now: datetime) -> bool:
    """Say whether an open dispute has passed its due time."""
    return status.is_open and due_at < now


def resets_due_time(action: DisputeAction) -> bool:
    """Say whether ``action`` starts a new service-level period (a reopened dispute does)."""
    return action is DisputeAction.REOPEN
