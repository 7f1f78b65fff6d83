"""Live evidence: what an outside registry said about a member, or that it could not say.

A registry answers for the conditions a rule pack assigns to it (``[evidence.*]`` in the
pack). Its facts replace those on file for those conditions; when it cannot answer, the pack
says whether documents on file may decide instead (and the answer says so) or the answer is
undetermined.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from eligibility_gw.domain.model import MaritalStatus

#: The notice on an answer decided on documents on file because a registry could not answer.
EVIDENCE_ON_FILE = "EVIDENCE_ON_FILE"


class EvidenceKind(enum.StrEnum):
    """An outside registry the gateway may ask while answering."""

    #: Certificates of study (a ministry of science, a school inspectorate).
    STUDENT = "student"
    #: Births and marriages (civil registration).
    CIVIL = "civil"

    @property
    def unavailable_code(self) -> str:
        """The reason code of an answer left undetermined because this registry was silent."""
        return f"{self.value.upper()}_REGISTRY_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class StudyCertificate:
    """A certificate of study the student registry holds; open ends are unbounded."""

    valid_from: date | None = None
    valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class StudentRecord:
    """What the student-certificate registry holds about a person (nothing: no certificate)."""

    certificates: tuple[StudyCertificate, ...] = ()


@dataclass(frozen=True, slots=True)
class CivilRecord:
    """What the civil registry holds about a person: a registered birth, the marital status."""

    birth_registered: bool
    marital_status: MaritalStatus | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Live answers about one member, and the registries that could not answer in time.

    A registry in neither was not asked: documents on file decide, as without registries.
    """

    student: StudentRecord | None = None
    civil: CivilRecord | None = None
    unavailable: frozenset[EvidenceKind] = frozenset()
