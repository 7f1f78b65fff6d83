"""The registry facts a decision reads, and the answer it gives."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class Sex(enum.StrEnum):
    """Sex as recorded in the registry."""

    MALE = "M"
    FEMALE = "F"


class MaritalStatus(enum.StrEnum):
    """Marital status as recorded in the registry."""

    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class Status(enum.StrEnum):
    """The three answers: covered, not covered, or the gateway cannot tell."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    UNDETERMINED = "undetermined"


class ServiceSetting(enum.StrEnum):
    """Where treatment is given; inpatient adds the overlap check; a pack may ask documents
    or a privilege for a setting (``sanatorium``: a referral issued within six months)."""

    OUTPATIENT = "outpatient"
    INPATIENT = "inpatient"
    SANATORIUM = "sanatorium"


@dataclass(frozen=True, slots=True)
class CoverPeriod:
    """A principal's insured period; ``end`` counts for its whole day."""

    start: date
    end: date

    def contains(self, day: date) -> bool:
        """Say whether ``day`` falls inside the period."""
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Document:
    """Evidence on file: a certificate with its validity, or a document seen once."""

    kind: str
    valid_from: date | None = None
    valid_until: date | None = None
    source: str = "registry"

    def valid_on(self, day: date) -> bool:
        """Say whether the document counts on ``day`` (its last day included)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True, slots=True)
class PrivilegeOnFile:
    """A privilege the registry records for a person (a kind of the pack's), until when.

    ``valid_until`` counts for its whole day; None: no end on file.
    """

    kind: str
    valid_until: date | None = None

    def active_on(self, day: date) -> bool:
        """Say whether the privilege holds on ``day``."""
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True, slots=True)
class Person:
    """One registry entry: a principal (``relationship == "self"``) or a dependent."""

    national_id: str
    given_name: str
    family_name: str
    birth_date: date | None
    sex: Sex | None
    relationship: str
    principal_id: str | None = None
    phone: str | None = None
    marital_status: MaritalStatus | None = None
    disabled: bool | None = None
    has_income: bool | None = None
    other_insurer: str | None = None
    cover_periods: tuple[CoverPeriod, ...] = ()
    documents: tuple[Document, ...] = ()
    #: The insured category's code as the pack writes it (``07``), or None.
    category: str | None = None
    privileges: tuple[PrivilegeOnFile, ...] = ()

    @property
    def is_principal(self) -> bool:
        """Say whether this person holds the cover the family depends on."""
        return self.principal_id is None


@dataclass(frozen=True, slots=True)
class Family:
    """A principal and everyone registered as depending on them."""

    principal: Person
    dependents: tuple[Person, ...] = ()

    @property
    def members(self) -> tuple[Person, ...]:
        """The principal first, then the dependents in registry order."""
        return (self.principal, *self.dependents)

    def member(self, national_id: str) -> Person | None:
        """Find a member by national id."""
        for p in self.members:
            if p.national_id == national_id:
                return p
        return None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why an answer is what it is: a stable code, and what would put it right.

    ``resolve_with`` names a document kind (``student_certificate``) that the person can bring;
    ``params`` carry what the wording needs (an age, a date). ``blocking`` is false for notices
    attached to an otherwise positive answer.
    """

    code: str
    resolve_with: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    blocking: bool = True

    def param(self, name: str) -> str | None:
        """Read one parameter."""
        return dict(self.params).get(name)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rules say about one person on one date.

    ``cover_end`` is the last day of the covered run that holds the date (eligible answers);
    ``cover_ended`` the last covered day before it (not-eligible answers), when cover there was.
    Only ``cover_end`` is written to the answer log: ``cover_ended`` follows from the facts.
    ``category`` is the member's insured category and ``privileges`` those that hold on the
    date, with their ends (both logged: a provider told to serve out of turn can show why).
    """

    status: Status
    reasons: tuple[Reason, ...] = ()
    cover_end: date | None = None
    rule_pack: str = ""
    rule_pack_version: str = ""
    cover_ended: date | None = None
    category: str | None = None
    privileges: tuple[PrivilegeOnFile, ...] = ()


@dataclass(frozen=True, slots=True)
class MemberView:
    """What an answer may say about the member: never more than the asker may know."""

    given_name: str
    family_name: str
    relationship: str
    national_id: str
    sex: Sex | None = None

    @property
    def masked_name(self) -> str:
        """Initials and stars, e.g. ``A*** R***``."""
        return " ".join(_mask(n) for n in (self.given_name, self.family_name) if n)


def _mask(name: str) -> str:
    return name[:1] + "***"


@dataclass(frozen=True, slots=True)
class Inquiry:
    """A question as the core sees it, whatever channel it came through."""

    national_id: str
    service_date: date
    setting: ServiceSetting = ServiceSetting.OUTPATIENT
    channel: str = "cli"
    asker_kind: str = "operator"
    asker_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)
