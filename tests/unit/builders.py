"""Small builders of registry facts for unit tests of the core (no store involved)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from eligibility_gw.domain.model import (
    CoverPeriod,
    Document,
    Family,
    MaritalStatus,
    Person,
    Sex,
)
from eligibility_gw.ports import RegistryRow

PRINCIPAL_ID = "1000000001"
#: The default cover period of a principal: wide enough for the dependents' boundaries.
COVER = CoverPeriod(date(2025, 1, 1), date(2027, 12, 31))


def principal(
    *periods: CoverPeriod,
    other_insurer: str | None = None,
    national_id: str = PRINCIPAL_ID,
) -> Person:
    """An insured person holding ``periods`` (``COVER`` when none given)."""
    return Person(
        national_id=national_id,
        given_name="Ali",
        family_name="Rezaei",
        birth_date=date(1980, 5, 17),
        sex=Sex.MALE,
        relationship="self",
        marital_status=MaritalStatus.MARRIED,
        other_insurer=other_insurer,
        cover_periods=periods or (COVER,),
    )


def dependent(
    relationship: str,
    birth: date | None,
    sex: Sex | None = Sex.MALE,
    *,
    marital: MaritalStatus | None = MaritalStatus.SINGLE,
    disabled: bool | None = False,
    has_income: bool | None = False,
    documents: tuple[Document, ...] = (),
    other_insurer: str | None = None,
    national_id: str = "2000000002",
    principal_id: str = PRINCIPAL_ID,
) -> Person:
    """A dependent of the principal ``principal_id``."""
    return Person(
        national_id=national_id,
        given_name="Dep",
        family_name="Endent",
        birth_date=birth,
        sex=sex,
        relationship=relationship,
        principal_id=principal_id,
        marital_status=marital,
        disabled=disabled,
        has_income=has_income,
        other_insurer=other_insurer,
        documents=documents,
    )


def family(head: Person, *members: Person) -> Family:
    """A family of ``head`` and ``members``."""
    return Family(head, members)


def student(until: date, valid_from: date | None = None) -> Document:
    """A student certificate valid until ``until`` (its last day included)."""
    return Document("student_certificate", valid_from=valid_from, valid_until=until)


def birth_certificate() -> Document:
    """The original birth certificate, seen once and valid for ever."""
    return Document("birth_certificate")


def person_from_row(row: RegistryRow) -> Person:
    """A person as the store reads a registry row back (cover periods and documents)."""
    documents: list[Document] = []
    if row.student_until is not None:
        documents.append(Document("student_certificate", valid_until=row.student_until))
    if row.birth_certificate_seen:
        documents.append(Document("birth_certificate"))
    documents.extend(row.documents)
    periods: tuple[CoverPeriod, ...] = ()
    if row.cover_start is not None and row.cover_end is not None:
        periods = (CoverPeriod(row.cover_start, row.cover_end),)
    return Person(
        national_id=row.national_id,
        given_name=row.given_name,
        family_name=row.family_name,
        birth_date=row.birth_date,
        sex=Sex(row.sex),
        relationship=row.relationship,
        principal_id=row.principal_id,
        phone=row.phone,
        marital_status=MaritalStatus(row.marital_status) if row.marital_status else None,
        disabled=row.disabled,
        has_income=row.has_income,
        other_insurer=row.other_insurer,
        cover_periods=periods,
        documents=tuple(documents),
        category=row.category,
        privileges=row.privileges,
    )


def families_from_rows(rows: list[RegistryRow]) -> dict[str, Family]:
    """Every member's family, keyed by the member's national id, as the store would build it."""
    people = [person_from_row(r) for r in rows]
    heads = {p.national_id: p for p in people if p.is_principal}
    members: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        if p.principal_id is not None:
            members[p.principal_id].append(p)
    out: dict[str, Family] = {}
    for head_id, head in heads.items():
        fam = Family(head, tuple(members[head_id]))
        for p in fam.members:
            out[p.national_id] = fam
    return out
