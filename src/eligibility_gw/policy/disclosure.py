"""What an answer may say to whoever reads it: one view per kind of asker.

- **provider**: the status on the date, the reasons without any of the member's dates (the
  day a certificate lapsed or cover ended is a cover end date), the document to ask for,
  a masked name and the relationship, the insured category, and a privilege that holds on
  the date (what to do: serve out of turn) without its end. Never a cover end date, never
  the national id.
- **insured** (the person, or the family's principal, from a phone on file): the same with
  the full name and the dates: when cover ends (eligible) or when it ended (not eligible),
  and when each privilege ends.
- **staff** and the operator: everything, national id included.

Channels render a ``Disclosure`` and nothing else: what it does not hold, they cannot say.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.model import (
    Decision,
    Person,
    PrivilegeOnFile,
    Reason,
    ServiceSetting,
    Status,
)
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import AskerKind


class View(enum.StrEnum):
    """Whose view of an answer."""

    PROVIDER = "provider"
    INSURED = "insured"
    STAFF = "staff"


def view_of(kind: AskerKind | str) -> View:
    """The view an asker of ``kind`` gets."""
    if kind == AskerKind.PROVIDER:
        return View.PROVIDER
    if kind == AskerKind.INSURED:
        return View.INSURED
    return View.STAFF


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Everything one reader may be told about one answer."""

    view: View
    tracking_code: TrackingCode
    status: Status
    reasons: tuple[Reason, ...]
    service_date: date
    setting: ServiceSetting
    asked_at: datetime
    #: Masked for providers (``A*** R***``); the full name for the insured person and staff.
    member_name: str | None
    #: The member's given name (insured and staff views): how a reply addresses them.
    given_name: str | None
    relationship: str | None
    #: The last covered day ahead (eligible answers; insured and staff views).
    cover_end: date | None
    #: The last covered day behind (not-eligible answers; insured and staff views).
    cover_ended: date | None
    #: ``name@version`` of the rule pack that decided.
    rule_pack: str
    #: The channel the answer was given through (the asker's own information).
    channel: str = ""
    #: Staff view only: the member's national id, and who asked (their kind and id).
    national_id: str | None = None
    asked_by_kind: str | None = None
    asked_by: str | None = None
    #: The last day of the service period asked about (``service_date`` is its first);
    #: None when one day was asked about.
    service_until: date | None = None
    #: The member's insured category (the pack's code, ``07``), for every reader.
    category: str | None = None
    #: The privileges that hold on the date; their ends only in the insured and staff views.
    privileges: tuple[PrivilegeOnFile, ...] = ()

    @property
    def documents_to_bring(self) -> tuple[str, ...]:
        """The document kinds that would put the answer right, once each, in reason order."""
        return tuple(dict.fromkeys(r.resolve_with for r in self.reasons if r.resolve_with))


#: Reason parameters that are dates of the member's: providers never read them.
def _is_date_param(name: str) -> bool:
    return name.endswith("_on")


def undated(reason: Reason) -> Reason:
    """``reason`` without the member's dates (the wording then uses its undated form)."""
    if not any(_is_date_param(k) for k, _ in reason.params):
        return reason
    return replace(reason, params=tuple((k, v) for k, v in reason.params if not _is_date_param(k)))


def disclose(
    record: AnswerRecord,
    view: View,
    member: Person | None = None,
    decision: Decision | None = None,
) -> Disclosure:
    """What ``record`` may say in ``view``.

    ``member`` (the person as found when answering) gives the insured person and staff the
    full name; ``decision`` (the live one) the day cover ended, which the log does not keep.
    """
    draft = record.draft
    recorded = draft.decision
    provider = view is View.PROVIDER
    full = f"{member.given_name} {member.family_name}" if member is not None else None
    return Disclosure(
        view=view,
        tracking_code=record.tracking_code,
        status=recorded.status,
        reasons=tuple(undated(r) for r in recorded.reasons) if provider else recorded.reasons,
        service_date=draft.service_date,
        setting=draft.setting,
        asked_at=record.created_at,
        member_name=draft.member_masked if provider else (full or draft.member_masked),
        given_name=None if provider or member is None else member.given_name,
        relationship=draft.member_relationship,
        cover_end=None if provider else recorded.cover_end,
        cover_ended=None if provider or decision is None else decision.cover_ended,
        rule_pack=f"{recorded.rule_pack}@{recorded.rule_pack_version}",
        channel=draft.channel,
        national_id=draft.national_id if view is View.STAFF else None,
        asked_by_kind=draft.asker_kind if view is View.STAFF else None,
        asked_by=draft.asker_id if view is View.STAFF else None,
        service_until=draft.service_until,
        category=recorded.category,
        privileges=tuple(PrivilegeOnFile(p.kind) for p in recorded.privileges)
        if provider
        else recorded.privileges,
    )
