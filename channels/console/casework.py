"""Dispute pages: open one from a tracking code or a person, move it on, note, notify.

Resolving or rejecting a dispute answers afresh about its person and tells them by SMS
(``resolution``); a message that could not go out can be sent again from the page.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS, SMS_RECORDS, SMS_SENDER
from eligibility_gw.channels.console.gate import (
    StaffVisit,
    console_settings_of,
    sessions_for,
    staff_page,
)
from eligibility_gw.channels.console.looking import (
    find_family,
    log_looked_up,
    now,
    shows_full_ids,
    too_long,
)
from eligibility_gw.channels.console.rendering import BASE, render
from eligibility_gw.channels.console.resolution import notify_outcome
from eligibility_gw.channels.console.views import (
    Delivery,
    action_names,
    answer_row,
    delivery_of,
    dispute_row,
    event_lines,
    mask_national_id,
    person_name,
    twilio_words,
)
from eligibility_gw.channels.pages.forms import PageError, field, read_form, see_other
from eligibility_gw.channels.pages.frame import offered_languages
from eligibility_gw.domain.disputes import (
    OPEN_STATUSES,
    OUTCOMES,
    DisputeAction,
    DisputeCode,
    DisputeStatus,
    InvalidDisputeCode,
    TransitionRefused,
    due_time,
    next_status,
    resets_due_time,
)
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.phones import InvalidPhone, normalise_phone
from eligibility_gw.ports.casework import Dispute, DisputeDraft, DisputeEvent, EventKind
from eligibility_gw.ports.outbound import SmsSender
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: How the caller reached the insurer.
CALLER_CHANNELS = ("hotline", "branch", "sms", "telegram", "ussd", "web")
#: Which disputes the list shows, by filter name. ``undelivered``: those whose outcome SMS
#: never reached the person (whatever their status): staff must call them.
UNDELIVERED_FILTER = "undelivered"
LIST_FILTERS: dict[str, tuple[DisputeStatus, ...]] = {
    "open": tuple(sorted(OPEN_STATUSES)),
    **{s.value: (s,) for s in DisputeStatus},
    "all": tuple(DisputeStatus),
    UNDELIVERED_FILTER: (),
}
_MAX_PAGE = 10_000


def _code_of(request: web.Request) -> DisputeCode:
    try:
        return DisputeCode.parse(request.match_info["code"])
    except InvalidDisputeCode:
        raise PageError(404, "console.error.dispute_not_found") from None


async def _dispute(visit: StaffVisit, code: DisputeCode) -> Dispute:
    dispute = await visit.store.get_dispute(code)
    if dispute is None:
        raise PageError(404, "console.error.dispute_not_found")
    return dispute


def sender_of(request: web.Request) -> SmsSender | None:
    """The gateway's outbound SMS; None when it is not configured."""
    return request.config_dict.get(SMS_SENDER)


def page_number(text: str) -> int:
    """``?page=``; a 422 page when it is not a page number."""
    text = text.strip() or "1"
    page = int(text) if text.isascii() and text.isdigit() else 0
    if not 1 <= page <= _MAX_PAGE:
        raise PageError(422, "console.error.page")
    return page


async def _notify(request: web.Request, visit: StaffVisit, dispute: Dispute) -> None:
    """Answer afresh about the dispute's person and tell them the outcome by SMS."""
    await notify_outcome(
        request.config_dict[INQUIRIES],
        visit.store,
        sender_of(request),
        dispute,
        visit.staff.username,
        console_settings_of(request).hotline,
    )


# --- list -----------------------------------------------------------------------------------


@staff_page
async def dispute_list(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Disputes by status (open ones by default), soonest due first."""
    tz = request.config_dict[SETTINGS].tz
    s = console_settings_of(request)
    chosen = request.query.get("status", "open")
    if chosen not in LIST_FILTERS:
        raise PageError(422, "console.error.filter")
    page = page_number(request.query.get("page", "1"))
    offset = (page - 1) * s.page_size
    if chosen == UNDELIVERED_FILTER:
        found = await visit.store.undelivered_outcomes(limit=s.page_size + 1, offset=offset)
    else:
        found = await visit.store.list_disputes(
            LIST_FILTERS[chosen], limit=s.page_size + 1, offset=offset
        )
    w = visit.frame.wording
    rows = [dispute_row(d, w, tz, now(), shows_full_ids(visit)) for d in found[: s.page_size]]
    # Supervisors see, above any list, the outcomes that never reached the person.
    undelivered = 0
    if visit.staff.is_supervisor and chosen != UNDELIVERED_FILTER:
        undelivered = len(await visit.store.undelivered_outcomes(limit=s.page_size + 1))
    return render(
        visit.frame,
        "disputes.html",
        rows=rows,
        chosen=chosen,
        filters=list(LIST_FILTERS),
        page=page,
        more=len(found) > s.page_size,
        overdue_only=False,
        call_list=chosen == UNDELIVERED_FILTER,
        undelivered=undelivered,
        undelivered_more=undelivered > s.page_size,
    )


# --- opening --------------------------------------------------------------------------------


def _new_values(request: web.Request) -> dict[str, str]:
    return {
        "tracking_code": request.query.get("code", "").strip()[:40],
        "person": request.query.get("person", "").strip()[:40],
        "caller_channel": CALLER_CHANNELS[0],
        "caller_phone": "",
        "language": request.config_dict[SETTINGS].default_language,
        "summary": "",
    }


async def _new_page(
    request: web.Request,
    visit: StaffVisit,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    settings = request.config_dict[SETTINGS]
    w = visit.frame.wording
    about = None
    national_id = visit.session.national_id_of(values["person"]) if values["person"] else None
    if national_id is not None:
        family = await find_family(request, visit, national_id)
        person = family.member(national_id) if family else None
        await log_looked_up(visit, [national_id], "dispute")
        about = {
            "name": person_name(person) if person else "—",
            "national_id": national_id if shows_full_ids(visit) else mask_national_id(national_id),
        }
    languages = [(lang, Wording(lang).t("language.name")) for lang in offered_languages(settings)]
    return render(
        visit.frame,
        "dispute_new.html",
        status,
        values=values,
        errors=errors or {},
        about=about,
        channels=[(c, w.t(f"console.caller.{c}")) for c in CALLER_CHANNELS],
        languages=languages,
    )


@staff_page
async def new_dispute(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """The form to open a dispute (``?code=`` a tracking code, or ``?person=`` a record)."""
    return await _new_page(request, visit, _new_values(request))


@staff_page
async def open_dispute(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Open a dispute; on to its page, or the form again with what is wrong."""
    inquiries = request.config_dict[INQUIRIES]
    settings = request.config_dict[SETTINGS]
    s = console_settings_of(request)
    w = visit.frame.wording
    form = await read_form(request)
    values = {
        k: field(form, k).strip()
        for k in (
            "tracking_code",
            "person",
            "caller_channel",
            "caller_phone",
            "language",
            "summary",
        )
    }
    errors: dict[str, str] = {}
    national_id: str | None = None
    tracking: str | None = None
    if values["tracking_code"]:
        try:
            code = TrackingCode.parse(values["tracking_code"])
        except EligibilityError as exc:
            errors["tracking_code"] = w.error(exc)
        else:
            shown = await inquiries.recorded(visit.asker, code)
            if shown is None or not shown.national_id:
                errors["tracking_code"] = w.t("console.dispute.code_not_found")
            else:
                national_id, tracking = shown.national_id, code.digits
    elif values["person"]:
        national_id = visit.session.national_id_of(values["person"])
        if national_id is None:
            errors["tracking_code"] = w.t("console.error.record_link")
    else:
        errors["tracking_code"] = w.t("console.dispute.about_required")
    if values["caller_channel"] not in CALLER_CHANNELS:
        errors["caller_channel"] = w.t("console.dispute.bad_channel")
    phone: str | None = None
    if values["caller_phone"]:
        try:
            phone = normalise_phone(values["caller_phone"], inquiries.pack.phone_region)
        except InvalidPhone:
            errors["caller_phone"] = w.t("console.search.bad_phone")
    if values["language"] not in offered_languages(settings):
        errors["language"] = w.t("console.error.language")
    if not values["summary"]:
        errors["summary"] = w.t("console.dispute.summary_required")
    elif message := too_long(values["summary"], visit):
        errors["summary"] = message
    if errors or national_id is None:
        return await _new_page(request, visit, values, errors, 422)
    opened_at = now()
    dispute = await visit.store.open_dispute(
        DisputeDraft(
            national_id=national_id,
            tracking_code=tracking,
            caller_channel=values["caller_channel"],
            caller_phone=phone,
            language=values["language"],
            summary=values["summary"],
            opened_by=visit.staff.username,
            opened_at=opened_at,
            due_at=due_time(opened_at, s.service_level_hours),
        )
    )
    log.info(
        "console_dispute_opened", staff=visit.staff.username, dispute_code=dispute.code.grouped()
    )
    return see_other(f"{BASE}/disputes/{dispute.code.digits}")


# --- the dispute page -----------------------------------------------------------------------


async def _dispute_page(
    request: web.Request,
    visit: StaffVisit,
    dispute: Dispute,
    status: int = 200,
    error: str | None = None,
    note: str = "",
) -> web.Response:
    inquiries = request.config_dict[INQUIRIES]
    w = visit.frame.wording
    tz = request.config_dict[SETTINGS].tz
    national_id = dispute.national_id
    family = await find_family(request, visit, national_id)
    person = family.member(national_id) if family else None
    session = await sessions_for(request).remember(visit.session, [national_id])
    await log_looked_up(visit, [national_id], "dispute")
    about = {
        "name": person_name(person) if person else "—",
        "national_id": national_id if shows_full_ids(visit) else mask_national_id(national_id),
        "ref": session.ref_of(national_id),
        "relationship": w.relationship(person.relationship) if person else "",
    }
    asked = None
    if dispute.tracking_code:
        shown = await inquiries.recorded(visit.asker, TrackingCode(dispute.tracking_code))
        asked = answer_row(shown, w, inquiries.pack, tz) if shown else None
    resolution = None
    if dispute.resolution_code:
        shown = await inquiries.recorded(visit.asker, TrackingCode(dispute.resolution_code))
        resolution = answer_row(shown, w, inquiries.pack, tz) if shown else None
    events = await visit.store.events(dispute.code)
    delivery = await _delivery(request, dispute)
    return render(
        visit.frame,
        "dispute.html",
        status,
        dispute=dispute_row(dispute, w, tz, now(), shows_full_ids(visit)),
        code_digits=dispute.code.digits,
        caller_phone=dispute.caller_phone or "—",
        language=Wording(dispute.language).t("language.name"),
        language_code=Wording(dispute.language).language,
        about=about,
        asked=asked,
        resolution=resolution,
        sms_status=dispute.sms_status,
        sms_message_sid=dispute.sms_message_sid,
        delivery=delivery,
        delivery_status=twilio_words(w, delivery.status) if delivery else "",
        can_notify=dispute.status in OUTCOMES
        and (dispute.sms_status != "sent" or (delivery is not None and delivery.call_person)),
        events=event_lines(events, w, tz),
        actions=action_names(dispute.status),
        error=error,
        note=note,
    )


async def _delivery(request: web.Request, dispute: Dispute) -> Delivery | None:
    """What Twilio reported of the outcome SMS (its status callbacks, kept in the SMS
    records); None when no message went out."""
    if not dispute.sms_message_sid:
        return None
    return delivery_of(await request.config_dict[SMS_RECORDS].outbound(dispute.sms_message_sid))


@staff_page
async def show_dispute(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """One dispute: its person, the answer disputed, history, and what can be done."""
    return await _dispute_page(request, visit, await _dispute(visit, _code_of(request)))


@staff_page
async def change_status(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Start, resolve, reject, close or reopen; an outcome is sent to the person by SMS."""
    s = console_settings_of(request)
    w = visit.frame.wording
    dispute = await _dispute(visit, _code_of(request))
    form = await read_form(request)
    note = field(form, "note").strip()
    try:
        action = DisputeAction(field(form, "action"))
        after = next_status(dispute.status, action)
    except (ValueError, TransitionRefused):
        refused = w.t(
            "console.dispute.refused", status=w.t(f"console.dispute.status.{dispute.status.value}")
        )
        return await _dispute_page(request, visit, dispute, 409, refused, note)
    if message := too_long(note, visit):
        return await _dispute_page(request, visit, dispute, 422, message, note)
    if after in OUTCOMES and not note:
        missing = w.t("console.dispute.outcome_required")
        return await _dispute_page(request, visit, dispute, 422, missing, note)
    at = now()
    event = DisputeEvent(at, visit.staff.username, EventKind.STATUS, note, dispute.status, after)
    due = due_time(at, s.service_level_hours) if resets_due_time(action) else None
    moved = await visit.store.change_status(dispute.code, dispute.status, event, due)
    if moved is None:
        current = await _dispute(visit, dispute.code)
        return await _dispute_page(
            request, visit, current, 409, w.t("console.dispute.moved_meanwhile"), note
        )
    log.info(
        "console_dispute_moved",
        staff=visit.staff.username,
        dispute_code=moved.code.grouped(),
        status=moved.status.value,
    )
    if moved.status in OUTCOMES:
        await _notify(request, visit, moved)
    return see_other(f"{BASE}/disputes/{moved.code.digits}")


@staff_page
async def add_note(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Add a note to the dispute's history."""
    w = visit.frame.wording
    dispute = await _dispute(visit, _code_of(request))
    form = await read_form(request)
    note = field(form, "note").strip()
    if not note:
        return await _dispute_page(
            request, visit, dispute, 422, w.t("console.dispute.note_required"), note
        )
    if message := too_long(note, visit):
        return await _dispute_page(request, visit, dispute, 422, message, note)
    await visit.store.add_event(
        dispute.code, DisputeEvent(now(), visit.staff.username, EventKind.NOTE, note)
    )
    return see_other(f"{BASE}/disputes/{dispute.code.digits}")


@staff_page
async def notify_again(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Answer afresh and send the outcome again (after a message that did not go out)."""
    w = visit.frame.wording
    dispute = await _dispute(visit, _code_of(request))
    if dispute.status not in OUTCOMES:
        return await _dispute_page(
            request, visit, dispute, 409, w.t("console.dispute.no_outcome_yet")
        )
    await _notify(request, visit, dispute)
    return see_other(f"{BASE}/disputes/{dispute.code.digits}")
