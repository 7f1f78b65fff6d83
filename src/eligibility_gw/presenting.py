"""One channel-neutral presentation of an answer, cut to what its audience may know.

Providers never learn the cover end date or the full name; the insured person and staff do.
Channels lay this out for their medium; they do not word reasons themselves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.model import MemberView, Reason, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.wording import Wording


class Audience(enum.StrEnum):
    """Who reads the answer."""

    PROVIDER = "provider"
    INSURED = "insured"
    STAFF = "staff"


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
    """An answer in one language for one audience."""

    status: Status
    status_text: str
    tracking_code: str
    service_date: date
    service_date_text: str
    reasons: tuple[PresentedReason, ...]
    cover_end: date | None
    cover_end_text: str | None
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
            "member": {"name": self.member_name, "relationship": self.relationship}
            if self.relationship
            else None,
            "rule_pack": self.rule_pack,
        }


def present(
    record: AnswerRecord,
    wording: Wording,
    pack: RulePack,
    audience: Audience,
    member: MemberView | None = None,
) -> PresentedAnswer:
    """Word ``record`` for ``audience`` in ``wording``'s language."""
    draft = record.draft
    decision = draft.decision
    reasons = tuple(
        PresentedReason(
            code=r.code,
            message=wording.reason(_for_audience(r, audience)),
            resolve_with=r.resolve_with,
            resolve=wording.resolve(r, _issuer(pack, r.resolve_with)),
            blocking=r.blocking,
        )
        for r in decision.reasons
    )
    show_end = audience is not Audience.PROVIDER
    cover_end = decision.cover_end if show_end else None
    if member is not None and audience is not Audience.PROVIDER:
        name: str | None = f"{member.given_name} {member.family_name}"
    else:
        name = draft.member_masked
    rel = draft.member_relationship
    return PresentedAnswer(
        status=decision.status,
        status_text=wording.status(decision.status),
        tracking_code=record.tracking_code.grouped(),
        service_date=draft.service_date,
        service_date_text=wording.date(draft.service_date),
        reasons=reasons,
        cover_end=cover_end,
        cover_end_text=wording.date(cover_end) if cover_end else None,
        member_name=name,
        relationship=rel,
        relationship_text=wording.relationship(rel) if rel else None,
        rule_pack=f"{decision.rule_pack}@{decision.rule_pack_version}",
        language=wording.language,
    )


#: Reason parameters a provider may not read: the day cover ended, or the day a document
#: lapsed, is a cover end date (the wording then uses its undated form).
_HIDDEN_FROM_PROVIDERS = frozenset({"ended_on", "expired_on"})


def _for_audience(reason: Reason, audience: Audience) -> Reason:
    """``reason`` without the parameters ``audience`` may not learn."""
    if audience is not Audience.PROVIDER or not any(
        name in _HIDDEN_FROM_PROVIDERS for name, _ in reason.params
    ):
        return reason
    kept = tuple((k, v) for k, v in reason.params if k not in _HIDDEN_FROM_PROVIDERS)
    return replace(reason, params=kept)


def _issuer(pack: RulePack, kind: str | None) -> str | None:
    document = pack.documents.get(kind) if kind else None
    return document.issued_by if document else None
