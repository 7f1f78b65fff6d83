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
class PresentedPrivilege:
    """A privilege in words: its name, what the provider must do, and until when."""

    kind: str
    name: str
    #: The letter a scheme marks it with (``L``), or "".
    marker: str
    #: What the provider must do (provider and staff views); None for the insured person.
    instruction: str | None
    short_instruction: str | None
    until: date | None
    until_text: str | None


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
    #: The insured category: its code as the pack prints it, and its name.
    category: str | None = None
    category_name: str | None = None
    privileges: tuple[PresentedPrivilege, ...] = ()

    @property
    def category_text(self) -> str | None:
        """``07 pupil, student…``: the code and the name, as answers show it."""
        if self.category is None:
            return None
        return f"{self.category} {self.category_name}".strip()

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
            "category": category_json(self),
            "privileges": privileges_json(self),
        }


def category_json(p: PresentedAnswer) -> dict[str, str] | None:
    """The category as JSON answers give it (``{"code": "07", "name": …}``)."""
    if p.category is None:
        return None
    return {"code": p.category, "name": p.category_name or ""}


def privileges_json(p: PresentedAnswer) -> list[dict[str, Any]]:
    """The privileges as JSON answers give them (``until`` only where the view holds it)."""
    return [
        {
            "kind": v.kind,
            "name": v.name,
            "marker": v.marker or None,
            "instruction": v.instruction,
            "until": v.until.isoformat() if v.until else None,
        }
        for v in p.privileges
    ]


def category_name(w: Wording, pack: RulePack, code: str) -> str:
    """A category's name in ``w``'s language (the pack's own when no catalog names it)."""
    key = f"category.{pack.name}.{code}"
    if w.has(key):
        return w.t(key)
    category = pack.categories.get(code)
    return category.name if category is not None else ""


def privilege_name(w: Wording, pack: RulePack, kind: str) -> str:
    """A privilege's name in ``w``'s language (the pack's own when no catalog names it)."""
    key = f"privilege.{kind}"
    if w.has(key):
        return w.t(key)
    privilege = pack.privileges.get(kind)
    return privilege.name if privilege is not None else kind.replace("_", " ")


def privilege_instruction(w: Wording, pack: RulePack, kind: str, short: bool = False) -> str | None:
    """What a provider must do for a member holding ``kind`` (None: the pack says nothing)."""
    privilege = pack.privileges.get(kind)
    if privilege is None:
        return None
    key = f"{'short.' if short else ''}privilege.instruction.{privilege.instruction}"
    document = w.document(privilege.document, short=short) if privilege.document else ""
    days = privilege.working_days
    return w.t(key, working_days=w.digits(str(days)) if days else "", document=document)


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
    instructed = shown.view is not View.INSURED
    privileges = tuple(
        PresentedPrivilege(
            kind=p.kind,
            name=privilege_name(w, pack, p.kind),
            marker=pack.privileges[p.kind].marker if p.kind in pack.privileges else "",
            instruction=privilege_instruction(w, pack, p.kind) if instructed else None,
            short_instruction=privilege_instruction(w, pack, p.kind, short=True)
            if instructed
            else None,
            until=p.valid_until,
            until_text=w.date(p.valid_until) if p.valid_until else None,
        )
        for p in shown.privileges
    )
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
        category=shown.category,
        category_name=category_name(w, pack, shown.category) if shown.category else None,
        privileges=privileges,
    )
