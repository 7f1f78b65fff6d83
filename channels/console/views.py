"""What console pages show: members with today's status, answers, documents, disputes.

Staff see the full answer (cover end dates, full names). National ids are masked for agents
until they open the person's record; supervisors see them whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.domain.disputes import DisputeStatus, actions_from, is_overdue
from eligibility_gw.domain.model import Person, PrivilegeOnFile, Reason, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.inquiries import MemberStatus
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports.casework import (
    UNDELIVERED,
    Dispute,
    DisputeEvent,
    DocumentOnFile,
    EventKind,
)
from eligibility_gw.ports.messages import OutboundSms
from eligibility_gw.presenting import category_name, present, privilege_name, resolve_text
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


def by_whom(moment: str, who: str) -> Markup:
    """``moment · who``, the user name isolated (``<bdi>``) from the sentence around it."""
    return Markup("{} · <bdi>{}</bdi>").format(moment, who)


def staff_words(w: Wording, staff: str) -> str:
    """Who took a step: a staff user name, or in words a step the gateway took itself.

    Steps nobody at the console took are recorded as ``@<channel>`` (a document received
    by SMS) or ``@retention`` (files deleted when their time is up): never shown as such.
    """
    if not staff.startswith("@"):
        return staff
    name = staff[1:]
    if name == "retention":
        return w.t("console.access.by_retention")
    channel = words_or(w, f"console.channel.{name}", name)
    return w.t("console.access.by_channel", channel=channel)


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
    return [ReasonLine(w.reason(r), resolve_text(w, pack, r), r.blocking) for r in reasons]


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A family member as the console lists them, with the status a preview gives today."""

    ref: str
    national_id_text: str
    name: str
    relationship_text: str
    status: Status
    status_text: str
    #: "Until when" for the covered, "ended on" for those whose cover ended; else None.
    cover_text: str | None
    reasons: list[ReasonLine]
    is_principal: bool
    is_focus: bool
    #: ``07 pupil, student…``: the insured category, where the pack has them.
    category_text: str | None = None
    #: Each privilege that holds today, with its end (``war invalid, until …``).
    privileges: tuple[str, ...] = ()


def category_words(w: Wording, pack: RulePack, code: str | None) -> str | None:
    """A category's code and name, or None."""
    if code is None:
        return None
    return f"{w.digits(code)} {category_name(w, pack, code)}".strip()


def privilege_words(
    w: Wording, pack: RulePack, held: tuple[PrivilegeOnFile, ...]
) -> tuple[str, ...]:
    """Each privilege by name, with its end when it has one."""
    return tuple(
        privilege_name(w, pack, p.kind)
        + (
            f" ({w.t('label.privilege_until', date=w.date(p.valid_until))})"
            if p.valid_until
            else ""
        )
        for p in held
    )


def cover_text(
    w: Wording, cover_end: date | None, cover_ended: date | None, labelled: bool = False
) -> str | None:
    """The last covered day ahead (a date), or behind (``Cover ended: date``); else None.

    ``labelled`` names the first too (``Cover end: date``), where no column header does.
    """
    if cover_end is not None:
        day = w.date(cover_end)
        return f"{w.t('label.cover_end')}: {day}" if labelled else day
    if cover_ended is not None:
        return f"{w.t('label.cover_ended')}: {w.date(cover_ended)}"
    return None


def member_rows(
    statuses: list[MemberStatus],
    pack: RulePack,
    w: Wording,
    refs: dict[str, str],
    show_ids: bool,
    focus: set[str] | frozenset[str] = frozenset(),
) -> list[MemberRow]:
    """Every member with the status the service would answer today (a preview: not logged)."""
    rows = []
    for found in statuses:
        person, decision = found.person, found.decision
        nid = person.national_id
        rows.append(
            MemberRow(
                ref=refs[nid],
                national_id_text=nid if show_ids else mask_national_id(nid),
                name=person_name(person),
                relationship_text=w.relationship(person.relationship),
                status=decision.status,
                status_text=w.status(decision.status),
                cover_text=cover_text(w, decision.cover_end, decision.cover_ended),
                reasons=reason_lines(w, pack, decision.reasons),
                is_principal=person.is_principal,
                is_focus=nid in focus,
                category_text=category_words(w, pack, decision.category),
                privileges=privilege_words(w, pack, decision.privileges),
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One logged answer about a person: when it was given and what it said (staff view)."""

    code: str
    code_digits: str
    asked_at: str
    channel: str
    #: Who asked: their kind in words, and a provider's or staff member's id isolated.
    asker: str
    setting_text: str
    status: Status
    status_text: str
    service_date_text: str
    cover_text: str | None
    reasons: list[ReasonLine]


def answer_row(shown: Disclosure, w: Wording, pack: RulePack, tz: ZoneInfo) -> AnswerRow:
    """Word a logged answer, as the service discloses it to staff."""
    words = present(shown, w, pack)
    kind = shown.asked_by_kind or ""
    kind_text = words_or(w, f"console.asker.{kind}", kind)
    # An insured asker is named by kind only: their phone is on the record page already.
    asker = (
        Markup("{} <bdi>{}</bdi>").format(kind_text, shown.asked_by)
        if kind != "insured" and shown.asked_by
        else kind_text
    )
    return AnswerRow(
        code=words.tracking_code,
        code_digits=shown.tracking_code.digits,
        asked_at=moment_text(shown.asked_at, w, tz),
        channel=words_or(w, f"console.channel.{shown.channel}", shown.channel),
        asker=asker,
        setting_text=w.t(f"console.setting.{shown.setting.value}"),
        status=words.status,
        status_text=words.status_text,
        service_date_text=words.service_date_text,
        cover_text=cover_text(w, shown.cover_end, shown.cover_ended, labelled=True),
        reasons=[ReasonLine(r.message, r.resolve, r.blocking) for r in words.reasons],
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
            recorded = by_whom(recorded, d.recorded_by)
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
        opened=by_whom(moment_text(dispute.opened_at, w, tz), dispute.opened_by),
        due=moment_text(dispute.due_at, w, tz),
        overdue=is_overdue(dispute.status, dispute.due_at, now),
        channel_text=w.t(f"console.caller.{dispute.caller_channel}"),
        summary=dispute.summary,
        national_id_text=nid if show_ids else mask_national_id(nid),
    )


#: Delivery statuses that mean the phone got the message.
DELIVERED = ("delivered", "read")
#: The statuses Twilio reports of a message, each in words (``console.sms.twilio.<status>``).
TWILIO_STATUSES = (
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "undelivered",
    "failed",
    "canceled",
)


def twilio_words(w: Wording, status: str) -> str:
    """Twilio's status of a message in words (an unknown one as Twilio wrote it)."""
    return words_or(w, f"console.sms.twilio.{status}", status)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What Twilio reported of an outcome SMS: delivered, not delivered, or not yet known."""

    #: ``delivered``, ``undelivered`` (call the person, send again) or ``pending``.
    state: str
    #: Twilio's own word (``undelivered``, ``failed``, ``sent``…) and its error code if any.
    status: str
    error_code: str | None

    @property
    def call_person(self) -> bool:
        """Say whether staff must call the person: the message never reached them."""
        return self.state == "undelivered"


def delivery_of(sent: OutboundSms | None) -> Delivery | None:
    """The delivery of an outcome SMS as its status callbacks left it; None when unknown."""
    if sent is None:
        return None
    if sent.status in UNDELIVERED:
        state = "undelivered"
    elif sent.status in DELIVERED:
        state = "delivered"
    else:
        state = "pending"
    return Delivery(state, sent.status, sent.error_code)


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
        lines.append(EventLine(moment_text(e.at, w, tz), e.staff, text, event_note(e, w)))
    return lines


def event_note(event: DisputeEvent, w: Wording) -> str:
    """What an event keeps beside its kind, in words where it keeps codes.

    A document's event keeps ``<kind>: <note>`` and the outcome SMS ``<outcome> [<sid>]``:
    both are worded in the reader's language (the message sid isolated). Anything else is
    what staff wrote, shown as written.
    """
    if event.kind is EventKind.DOCUMENT:
        kind, sep, note = event.text.partition(": ")
        if sep and w.has(f"document.{kind}"):
            return f"{w.document(kind)}: {note}" if note else w.document(kind)
    if event.kind is EventKind.SMS:
        outcome, _, sid = event.text.partition(" ")
        key = f"console.sms.state.{outcome}"
        if w.has(key):
            return Markup("{} <bdi>{}</bdi>").format(w.t(key), sid) if sid else w.t(key)
    return event.text


def action_names(status: DisputeStatus) -> list[str]:
    """The actions a dispute page offers, by value."""
    return [a.value for a in actions_from(status)]


def person_name(person: Person) -> str:
    """Given and family name."""
    return f"{person.given_name} {person.family_name}"
