"""One channel-neutral wording of a disclosed answer, in one language.

What may be said is decided by the policy (``policy.disclosure``); this module only puts a
``Disclosure`` into words. Channels lay the words out for their medium; they never word
reasons themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eligibility_gw.domain.model import Reason, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure, View
from eligibility_gw.wording import Wording


@dataclass(frozen=True, slots=True)
class PresentedReason:
    """A reason with its words and what would put it right."""

    code: str
    message: str
    resolve_with: str | None
    resolve: str | None
    blocking: bool


@dataclass(frozen=True, slots=True)
class PresentedAnswer:
    """An answer in one language, as much as its reader may know."""

    view: View
    status: Status
    status_text: str
    tracking_code: str
    service_date: date
    service_date_text: str
    reasons: tuple[PresentedReason, ...]
    cover_end: date | None
    cover_end_text: str | None
    cover_ended: date | None
    cover_ended_text: str | None
    member_name: str | None
    relationship: str | None
    relationship_text: str | None
    rule_pack: str
    language: str

    def as_json(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "tracking_code": self.tracking_code,
            "status": self.status.value,
            "service_date": self.service_date.isoformat(),
            "reasons": [
                {
                    "code": r.code,
                    "message": r.message,
                    "resolve_with": r.resolve_with,
                    "resolve": r.resolve,
                    "blocking": r.blocking,
                }
                for r in self.reasons
            ],
            "cover_end": self.cover_end.isoformat() if self.cover_end else None,
            "cover_ended": self.cover_ended.isoformat() if self.cover_ended else None,
            "member": {"name": self.member_name, "relationship": self.relationship}
            if self.relationship
            else None,
            "rule_pack": self.rule_pack,
        }


def issuer(pack: RulePack, kind: str | None) -> str | None:
    """Who issues the document ``kind`` under the pack (None when it names none)."""
    document = pack.documents.get(kind) if kind else None
    return document.issued_by if document else None


def resolve_text(w: Wording, pack: RulePack, reason: Reason) -> str | None:
    """What the person should bring, and where (None when nothing can be brought)."""
    return w.resolve(reason, issuer(pack, reason.resolve_with))


def present(shown: Disclosure, w: Wording, pack: RulePack) -> PresentedAnswer:
    """Word ``shown`` in ``w``'s language."""
    reasons = tuple(
        PresentedReason(
            code=r.code,
            message=w.reason(r),
            resolve_with=r.resolve_with,
            resolve=resolve_text(w, pack, r),
            blocking=r.blocking,
        )
        for r in shown.reasons
    )
    rel = shown.relationship
    return PresentedAnswer(
        view=shown.view,
        status=shown.status,
        status_text=w.status(shown.status),
        tracking_code=shown.tracking_code.grouped(),
        service_date=shown.service_date,
        service_date_text=w.date(shown.service_date),
        reasons=reasons,
        cover_end=shown.cover_end,
        cover_end_text=w.date(shown.cover_end) if shown.cover_end else None,
        cover_ended=shown.cover_ended,
        cover_ended_text=w.date(shown.cover_ended) if shown.cover_ended else None,
        member_name=shown.member_name,
        relationship=rel,
        relationship_text=w.relationship(rel) if rel else None,
        rule_pack=shown.rule_pack,
        language=w.language,
    )
