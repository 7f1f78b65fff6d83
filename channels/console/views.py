"""What console pages show: members with today's status, answers, documents, disputes.

Staff see the full answer (cover end dates, full names). National ids are masked for agents
until they open the person's record; supervisors see them whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from eligibility_gw.bootstrap import Core
from eligibility_gw.domain.disputes import (
    DisputeStatus,
    actions_from,
    is_overdue,
)
from eligibility_gw.ports.casework import Dispute, DisputeEvent, DocumentOnFile
from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import Family, Person, Reason, ServiceSetting, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.presenting import Audience, present
from eligibility_gw.wording import Wording

_SHOWN_DIGITS = 4


def mask_national_id(national_id: str) -> str:
    """All but the last four characters starred: ``******0052``."""
    hidden = max(0, len(national_id) - _SHOWN_DIGITS)
    return "*" * hidden + national_id[hidden:]


def mask_phone(phone: str | None) -> str:
    """A phone with its middle starred: ``+98912***0001``."""
    if not phone:
        return ""
    if len(phone) <= 8:
        return "*" * len(phone)
    return phone[:6] + "***" + phone[-4:]


def words_or(w: Wording, key: str, fallback: str) -> str:
    """The message ``key`` when the catalogs have it, else ``fallback`` as it is."""
    return w.t(key) if w.has(key) else fallback


@dataclass(frozen=True, slots=True)
class ReasonLine:
    """One reason in words, and what would put it right."""

    message: str
    resolve: str | None
    blocking: bool


def reason_lines(w: Wording, pack: RulePack, reasons: tuple[Reason, ...]) -> list[ReasonLine]:
    """Reasons in words, as staff read them (dates included)."""
    lines = []
    for r in reasons:
        document = pack.documents.get(r.resolve_with) if r.resolve_with else None
        lines.append(
            ReasonLine(
                w.reason(r), w.resolve(r, document.issued_by if document else None), r.blocking
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A family member as the console lists them, with today's status."""

    ref: str
    national_id_text: str
    name: str
    relationship_text: str
    status: Status
    status_text: str
    cover_end_text: str | None
    reasons: list[ReasonLine]
    is_principal: bool
    is_focus: bool


def member_rows(
    family: Family,
    core: Core,
    w: Wording,
    refs: dict[str, str],
    show_ids: bool,
    focus: set[str] | frozenset[str] = frozenset(),
) -> list[MemberRow]:
    """Every member with the status the rules give today (decided here, not logged)."""
    today = core.settings.today()
    rows = []
    for person in family.members:
        decision = decide(person, family, today, ServiceSetting.OUTPATIENT, core.pack)
        nid = person.national_id
        rows.append(
            MemberRow(
                ref=refs[nid],
                national_id_text=nid if show_ids else mask_national_id(nid),
                name=f"{person.given_name} {person.family_name}",
                relationship_text=w.relationship(person.relationship),
                status=decision.status,
                status_text=w.status(decision.status),
                cover_end_text=w.date(decision.cover_end) if decision.cover_end else None,
                reasons=reason_lines(w, core.pack, decision.reasons),
                is_principal=person.is_principal,
                is_focus=nid in focus,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One logged answer about a person: who asked, how, when, what was answered."""

    code: str
    code_digits: str
    asked_at: str
    channel: str
    asker: str
    status: Status
    status_text: str
    service_date_text: str
    cover_end_text: str | None
    reasons: list[ReasonLine]


def answer_row(record: AnswerRecord, w: Wording, core: Core) -> AnswerRow:
    """Word a logged answer for staff."""
    shown = present(record, w, core.pack, Audience.STAFF)
    draft = record.draft
    kind = words_or(w, f"console.asker.{draft.asker_kind}", draft.asker_kind)
    asker = f"{kind} {draft.asker_id}".strip() if draft.asker_kind != "insured" else kind
    return AnswerRow(
        code=shown.tracking_code,
        code_digits=record.tracking_code.digits,
        asked_at=moment_text(record.created_at, w, core.settings.tz),
        channel=words_or(w, f"console.channel.{draft.channel}", draft.channel),
        asker=asker,
        status=shown.status,
        status_text=shown.status_text,
        service_date_text=shown.service_date_text,
        cover_end_text=shown.cover_end_text,
        reasons=[ReasonLine(r.message, r.resolve, r.blocking) for r in shown.reasons],
    )


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A document on file and whether it counts today."""

    kind_text: str
    valid_from_text: str
    valid_until_text: str
    state: str
    state_text: str
    source_text: str
    recorded: str
    note: str


def document_rows(
    documents: list[DocumentOnFile], w: Wording, today: date, tz: ZoneInfo
) -> list[DocumentRow]:
    """Documents with their validity today, newest recorded last."""
    rows = []
    for d in documents:
        if d.valid_from is not None and today < d.valid_from:
            state = "not_yet"
        elif d.valid_until is not None and d.valid_until < today:
            state = "lapsed"
        else:
            state = "valid"
        recorded = moment_text(d.recorded_at, w, tz)
        if d.recorded_by:
            recorded = f"{recorded} · {d.recorded_by}"
        rows.append(
            DocumentRow(
                kind_text=w.document(d.kind),
                valid_from_text=w.date(d.valid_from) if d.valid_from else "—",
                valid_until_text=w.date(d.valid_until)
                if d.valid_until
                else w.t("console.document.no_end"),
                state=state,
                state_text=w.t(f"console.document.state.{state}"),
                source_text=words_or(w, f"console.document.source.{d.source}", d.source),
                recorded=recorded,
                note=d.note or "",
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class DisputeRow:
    """A dispute as lists and pages show it."""

    code: str
    code_digits: str
    status: DisputeStatus
    status_text: str
    opened: str
    due: str
    overdue: bool
    channel_text: str
    summary: str
    national_id_text: str


def dispute_row(
    dispute: Dispute, w: Wording, tz: ZoneInfo, now: datetime, show_ids: bool
) -> DisputeRow:
    """Word a dispute for a list or its page."""
    nid = dispute.national_id
    return DisputeRow(
        code=dispute.code.grouped(),
        code_digits=dispute.code.digits,
        status=dispute.status,
        status_text=w.t(f"console.dispute.status.{dispute.status.value}"),
        opened=f"{moment_text(dispute.opened_at, w, tz)} · {dispute.opened_by}",
        due=moment_text(dispute.due_at, w, tz),
        overdue=is_overdue(dispute.status, dispute.due_at, now),
        channel_text=w.t(f"console.caller.{dispute.caller_channel}"),
        summary=dispute.summary,
        national_id_text=nid if show_ids else mask_national_id(nid),
    )


@dataclass(frozen=True, slots=True)
class EventLine:
    """One line of a dispute's history, in words."""

    at: str
    staff: str
    text: str
    note: str


def event_lines(events: list[DisputeEvent], w: Wording, tz: ZoneInfo) -> list[EventLine]:
    """A dispute's history, oldest first."""
    lines = []
    for e in events:
        if e.from_status is not None and e.to_status is not None:
            text = w.t(
                "console.event.status",
                before=w.t(f"console.dispute.status.{e.from_status.value}"),
                after=w.t(f"console.dispute.status.{e.to_status.value}"),
            )
        else:
            text = w.t(f"console.event.{e.kind.value}")
        lines.append(EventLine(moment_text(e.at, w, tz), e.staff, text, e.text))
    return lines


def action_names(status: DisputeStatus) -> list[str]:
    """The actions a dispute page offers, by value."""
    return [a.value for a in actions_from(status)]


def person_name(person: Person) -> str:
    """Given and family name."""
    return f"{person.given_name} {person.family_name}"
