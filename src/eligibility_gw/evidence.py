"""Live evidence for one answer: ask the registries a member's rules need, within a deadline.

A registry that fails, however it fails, is only unavailable for this answer; the decision
then says what follows (documents on file, or undetermined). No answer is lost to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

import structlog

from eligibility_gw.domain.decide import evidence_needed
from eligibility_gw.domain.evidence import CivilRecord, Evidence, EvidenceKind, StudentRecord
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.logs import where
from eligibility_gw.metrics import EVIDENCE_LOOKUPS
from eligibility_gw.ports import CivilRegistry, EvidenceUnavailable, StudentRegistry

log = structlog.get_logger(__name__)

_Found = StudentRecord | CivilRecord


class LiveEvidence:
    """The configured registries, asked only about members whose rules read them."""

    def __init__(
        self,
        pack: RulePack,
        student: StudentRegistry | None = None,
        civil: CivilRegistry | None = None,
        deadline: float = 2.0,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.pack = pack
        self.student = student
        self.civil = civil
        self.deadline = deadline
        self._close = close
        self.kinds = frozenset(
            kind
            for kind, source in ((EvidenceKind.STUDENT, student), (EvidenceKind.CIVIL, civil))
            if source is not None and kind in pack.evidence
        )

    async def gather(self, person: Person, family: Family, day: date) -> Evidence | None:
        """What the registries say about ``person`` for ``day``; None when none was asked."""
        asked = sorted(evidence_needed(person, family, day, self.pack) & self.kinds)
        if not asked:
            return None
        if len(asked) == 1:
            found: list[_Found | None] = [await self._ask(asked[0], person.national_id, day)]
        else:
            found = list(
                await asyncio.gather(*(self._ask(k, person.national_id, day) for k in asked))
            )
        answers = dict(zip(asked, found, strict=True))
        student = answers.get(EvidenceKind.STUDENT)
        civil = answers.get(EvidenceKind.CIVIL)
        return Evidence(
            student=student if isinstance(student, StudentRecord) else None,
            civil=civil if isinstance(civil, CivilRecord) else None,
            unavailable=frozenset(k for k, v in answers.items() if v is None),
        )

    async def _ask(self, kind: EvidenceKind, national_id: str, day: date) -> _Found | None:
        """One registry's answer, or None when it cannot give one in time."""
        try:
            async with asyncio.timeout(self.deadline):
                found: _Found
                if kind is EvidenceKind.STUDENT and self.student is not None:
                    found = await self.student.certificates(national_id, day)
                elif kind is EvidenceKind.CIVIL and self.civil is not None:
                    found = await self.civil.civil_record(national_id, day)
                else:  # pragma: no cover - ``kinds`` holds configured registries only
                    return None
        except EvidenceUnavailable as exc:
            problem = exc.problem
        except TimeoutError:
            problem = "timeout"
        except Exception as exc:
            # A failure of the adapter itself: the answer still goes out, as undetermined or
            # on file, and the log says where (no values: they may be personal).
            log.error(
                "evidence_failed",
                registry=kind.value,
                error=type(exc).__name__,
                at=where(exc.__traceback__),
            )
            problem = "failed"
        else:
            EVIDENCE_LOOKUPS.labels(kind.value, "answered").inc()
            return found
        EVIDENCE_LOOKUPS.labels(kind.value, "unavailable").inc()
        log.warning("evidence_unavailable", registry=kind.value, problem=problem)
        return None

    async def close(self) -> None:
        """Release the registries' connections."""
        if self._close is not None:
            await self._close()
