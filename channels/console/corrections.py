"""Putting a record right: a document seen at a branch, a corrected phone number.

Each change is kept with who made it, when and why (and, when made for a dispute, in that
dispute's history); the next inquiry about the person answers accordingly.
"""

from __future__ import annotations

from datetime import date

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES
from eligibility_gw.channels.console.gate import StaffVisit, staff_page
from eligibility_gw.channels.console.looking import now, too_long
from eligibility_gw.channels.console.people import dispute_field, national_id_of, record_page
from eligibility_gw.channels.console.rendering import BASE
from eligibility_gw.channels.pages.forms import PageError, field, read_form, see_other
from eligibility_gw.domain.disputes import DisputeCode
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.phones import InvalidPhone, normalise_phone
from eligibility_gw.ports.casework import DisputeEvent, DocumentDraft, EventKind
from eligibility_gw.textinput import parse_date

log = structlog.get_logger(__name__)


async def _linked_dispute(
    visit: StaffVisit, text: str, errors: dict[str, str]
) -> DisputeCode | None:
    if not text.strip():
        return None
    code = dispute_field(text)
    w = visit.frame.wording
    if code is None:
        errors["dispute"] = w.t("console.search.bad_dispute_code")
        return None
    if await visit.store.get_dispute(code) is None:
        errors["dispute"] = w.t("console.error.dispute_not_found")
        return None
    return code


def _after(ref: str, saved: str, dispute: DisputeCode | None) -> str:
    target = f"{BASE}/people/{ref}?saved={saved}"
    return target + (f"&dispute={dispute.digits}" if dispute else "")


@staff_page
async def record_document(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Put a document seen at a branch on file, with who, when and why."""
    pack = request.config_dict[INQUIRIES].pack
    w = visit.frame.wording
    ref = request.match_info["ref"]
    national_id = national_id_of(visit, ref)
    form = await read_form(request)
    values = {
        k: field(form, k).strip() for k in ("kind", "valid_from", "valid_until", "note", "dispute")
    }
    errors: dict[str, str] = {}
    if values["kind"] not in pack.documents:
        errors["kind"] = w.t("console.document.bad_kind")
    days: dict[str, date | None] = {"valid_from": None, "valid_until": None}
    for name in days:
        if values[name]:
            try:
                days[name] = parse_date(values[name])
            except EligibilityError as exc:
                errors[name] = w.error(exc)
    start, end = days["valid_from"], days["valid_until"]
    if start is not None and end is not None and end < start:
        errors["valid_until"] = w.t("console.document.ends_before_start")
    if not values["note"]:
        errors["note"] = w.t("console.form.reason_required")
    elif message := too_long(values["note"], visit):
        errors["note"] = message
    dispute = await _linked_dispute(visit, values["dispute"], errors)
    if errors:
        return await record_page(request, visit, ref, 422, values, errors)
    at = now()
    stored = await visit.store.record_document(
        DocumentDraft(
            national_id, values["kind"], start, end, visit.staff.username, at, values["note"]
        )
    )
    if not stored:
        raise PageError(404, "console.error.not_in_registry")
    if dispute is not None:
        # The kind as its code: each reader sees it in their words (``views.event_note``).
        text = f"{values['kind']}: {values['note']}"
        await visit.store.add_event(
            dispute, DisputeEvent(at, visit.staff.username, EventKind.DOCUMENT, text)
        )
    log.info("console_document_recorded", staff=visit.staff.username, kind=values["kind"])
    return see_other(_after(ref, "document", dispute))


@staff_page
async def correct_phone(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Change the phone on file; the old number is kept with who, when and why."""
    pack = request.config_dict[INQUIRIES].pack
    w = visit.frame.wording
    ref = request.match_info["ref"]
    national_id = national_id_of(visit, ref)
    form = await read_form(request)
    values = {k: field(form, k).strip() for k in ("phone", "reason", "dispute")}
    errors: dict[str, str] = {}
    phone = ""
    try:
        phone = normalise_phone(values["phone"], pack.phone_region)
    except InvalidPhone:
        errors["phone"] = w.t("console.search.bad_phone")
    if not values["reason"]:
        errors["reason"] = w.t("console.form.reason_required")
    elif message := too_long(values["reason"], visit):
        errors["reason"] = message
    dispute = await _linked_dispute(visit, values["dispute"], errors)
    if errors:
        return await record_page(request, visit, ref, 422, values, errors)
    at = now()
    change = await visit.store.correct_phone(
        national_id, phone, visit.staff.username, at, values["reason"]
    )
    if change is None:
        raise PageError(404, "console.error.not_in_registry")
    if dispute is not None:
        await visit.store.add_event(
            dispute, DisputeEvent(at, visit.staff.username, EventKind.PHONE, values["reason"])
        )
    log.info("console_phone_corrected", staff=visit.staff.username)
    return see_other(_after(ref, "phone", dispute))
