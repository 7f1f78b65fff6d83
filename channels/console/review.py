"""The review queue: documents sent from a phone, seen beside the member, accepted or rejected.

Staff open the queue (oldest first), see the file next to the member's family with today's
status and the documents on file, and accept it with its kind and valid-until or issue date
(the core puts it on file like a document seen at a branch, answers afresh and tells the
person on the channel they used, with the new tracking code) or reject it with a reason the
person is told in their words. Each page that shows a person, each look at a file and each
decision is in the access log. The files are served to signed-in staff only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS, UPLOADS
from eligibility_gw.channels.console.casework import page_number
from eligibility_gw.channels.console.gate import (
    StaffVisit,
    console_settings_of,
    sessions_for,
    staff_page,
)
from eligibility_gw.channels.console.looking import find_family, log_looked_up, shows_full_ids
from eligibility_gw.channels.console.rendering import BASE, render
from eligibility_gw.channels.console.views import (
    document_rows,
    mask_national_id,
    member_rows,
    person_name,
    words_or,
)
from eligibility_gw.channels.pages.forms import PageError, field, read_form, see_other
from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import Person
from eligibility_gw.ports.uploads import Upload, UploadStatus
from eligibility_gw.textinput import parse_date
from eligibility_gw.uploads import REJECT_REASONS, UploadGone, Uploads, extension
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

_UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
#: How the access log names each step of a review (the console's words for them).
ACCESS_ACTIONS = {
    "uploads": "console.access.action.uploads",
    "upload": "console.access.action.upload",
    "upload_file": "console.access.action.upload_file",
    "upload_received": "console.access.action.upload_received",
    "upload_accepted": "console.access.action.upload_accepted",
    "upload_rejected": "console.access.action.upload_rejected",
    "upload_expired": "console.access.action.upload_expired",
    "upload_deleted": "console.access.action.upload_deleted",
}
#: Words of each rejection reason and of each outcome of telling the person.
REASON_IDS = {
    "unreadable": "console.upload.reason.unreadable",
    "wrong_document": "console.upload.reason.wrong_document",
    "expired": "console.upload.reason.expired",
    "wrong_person": "console.upload.reason.wrong_person",
    "other": "console.upload.reason.other",
}
SAVED_IDS = {
    "accepted": "console.upload.saved.accepted",
    "rejected": "console.upload.saved.rejected",
}
NOTIFIED_IDS = {
    "sent": "console.upload.notified.sent",
    "not_configured": "console.upload.notified.not_configured",
    "not_permitted": "console.upload.notified.not_permitted",
    "failed": "console.upload.notified.failed",
}
STATUS_IDS = {
    UploadStatus.PENDING: "console.upload.status.pending",
    UploadStatus.ACCEPTED: "console.upload.status.accepted",
    UploadStatus.REJECTED: "console.upload.status.rejected",
    UploadStatus.EXPIRED: "console.upload.status.expired",
}


def uploads_of(request: web.Request) -> Uploads:
    """The gateway's uploads (a 404 page where the gateway has none)."""
    uploads = request.config_dict.get(UPLOADS)
    if uploads is None:
        raise PageError(404, "console.error.upload_not_found")
    return uploads


async def _upload(request: web.Request) -> Upload:
    upload_id = request.match_info["upload"]
    found = await uploads_of(request).get(upload_id) if _UPLOAD_ID.match(upload_id) else None
    if found is None:
        raise PageError(404, "console.error.upload_not_found")
    return found


def _channel(w: Wording, channel: str) -> str:
    return words_or(w, f"console.channel.{channel}", channel)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One upload waiting for review."""

    upload_id: str
    reference: str
    received: str
    channel: str
    name: str
    relationship: str
    national_id_text: str
    size: str


def size_text(w: Wording, size: int) -> str:
    """A file's size in kB (at least 1)."""
    return w.t("console.upload.size", kb=w.digits(str(max(1, round(size / 1024)))))


@staff_page
async def review_queue(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """The uploads waiting for review, oldest first, with the member each is for."""
    uploads = uploads_of(request)
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    size = console_settings_of(request).page_size
    page = page_number(request.query.get("page", "1"))
    found = await uploads.pending(size + 1, (page - 1) * size)
    shown = found[:size]
    rows = []
    for u in shown:
        family = await find_family(request, visit, u.national_id)
        person = family.member(u.national_id) if family else None
        rows.append(
            QueueRow(
                upload_id=u.upload_id,
                reference=u.upload_id[:8],
                received=moment_text(u.received_at, w, tz),
                channel=_channel(w, u.channel),
                name=person_name(person) if person else "—",
                relationship=w.relationship(person.relationship) if person else "",
                national_id_text=u.national_id
                if shows_full_ids(visit)
                else mask_national_id(u.national_id),
                size=size_text(w, u.size),
            )
        )
    await log_looked_up(visit, [u.national_id for u in shown], "uploads")
    return render(
        visit.frame,
        "review_queue.html",
        rows=rows,
        page=page,
        more=len(found) > size,
        count=await uploads.count_pending(),
        saved_text=_saved(w, request.query.get("done", "")),
    )


def suggested_kind(kinds: list[str], needed: list[str]) -> str:
    """The document kind to offer first: the one today's answer asks for, else the first."""
    return next((k for k in needed if k in kinds), kinds[0] if kinds else "")


async def review_page(
    request: web.Request,
    visit: StaffVisit,
    upload: Upload,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:
    """The upload beside the member: family with today's status, documents on file, forms."""
    inquiries = request.config_dict[INQUIRIES]
    pack = inquiries.pack
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    nid = upload.national_id
    family = await find_family(request, visit, nid)
    person: Person | None = family.member(nid) if family else None
    members = [m.national_id for m in family.members] if family else [nid]
    session = await sessions_for(request).remember(visit.session, members)
    refs = {n: session.ref_of(n) for n in members}
    await log_looked_up(visit, [nid], "upload")
    statuses = await inquiries.preview(visit.asker, family) if family else []
    needed = [
        r.resolve_with
        for s in statuses
        if s.person.national_id == nid
        for r in s.decision.reasons
        if r.resolve_with
    ]
    kinds = list(pack.documents)
    form = {
        "kind": suggested_kind(kinds, needed),
        "valid_from": "",
        "valid_until": "",
        "reason": REJECT_REASONS[0],
        "note": "",
    }
    form.update(values or {})
    context: dict[str, Any] = {
        "upload": upload,
        "reference": upload.upload_id[:8],
        "received": moment_text(upload.received_at, w, tz),
        "decided": moment_text(upload.decided_at, w, tz) if upload.decided_at else "",
        "channel": _channel(w, upload.channel),
        "size": size_text(w, upload.size),
        "is_image": upload.content_type.startswith("image/"),
        "has_file": upload.deleted_at is None,
        "status_text": w.t(STATUS_IDS[upload.status]),
        "pending": upload.status is UploadStatus.PENDING,
        "kind_text": w.document(upload.kind) if upload.kind else "",
        "valid_from_text": w.date(upload.valid_from) if upload.valid_from else "—",
        "valid_until_text": w.date(upload.valid_until) if upload.valid_until else "—",
        "reason_text": w.t(REASON_IDS[upload.reason]) if upload.reason in REASON_IDS else "",
        "notified_text": (
            w.t(NOTIFIED_IDS[upload.notified]) if upload.notified in NOTIFIED_IDS else ""
        ),
        "tracking_code": _grouped(upload.tracking_code),
        "person": person,
        "ref": refs.get(nid, ""),
        "national_id": nid,
        "members": member_rows(statuses, pack, w, refs, shows_full_ids(visit), {nid}),
        "documents": document_rows(await visit.store.documents_of(nid), w, inquiries.today(), tz),
        "document_kinds": [(k, w.document(k)) for k in kinds],
        "reasons": [(r, w.t(REASON_IDS[r])) for r in REJECT_REASONS],
        "values": form,
        "errors": errors or {},
        "saved_text": _saved(w, request.query.get("saved", "")),
    }
    return render(visit.frame, "review_upload.html", status, **context)


def _saved(w: Wording, which: str) -> str:
    """What the page says after a decision (``?saved=``), or nothing."""
    return w.t(SAVED_IDS[which]) if which in SAVED_IDS else ""


def _grouped(code: str | None) -> str:
    if not code:
        return ""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@staff_page
async def review_upload(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """One upload, to review (or as it was decided)."""
    return await review_page(request, visit, await _upload(request))


@staff_page
async def upload_file(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """The file itself, for signed-in staff only, never cached, never run by the browser.

    Images are shown in the page; a PDF is downloaded, to be read outside the browser.
    """
    upload = await _upload(request)
    content = await uploads_of(request).content(upload.upload_id)
    if content is None:
        raise PageError(404, "console.error.upload_file_gone")
    await log_looked_up(visit, [upload.national_id], "upload_file")
    image = upload.content_type.startswith("image/")
    name = f"document-{upload.upload_id[:8]}.{extension(upload.content_type)}"
    return web.Response(
        body=content,
        content_type=upload.content_type,
        headers={
            "Content-Disposition": f'{"inline" if image else "attachment"}; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Referrer-Policy": "no-referrer",
        },
    )


def _dates(values: dict[str, str], w: Wording, errors: dict[str, str]) -> dict[str, date | None]:
    days: dict[str, date | None] = {"valid_from": None, "valid_until": None}
    for name in days:
        if values[name]:
            try:
                days[name] = parse_date(values[name])
            except EligibilityError as exc:
                errors[name] = w.error(exc)
    return days


@staff_page
async def accept_upload(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Accept: the document goes on file, the answer changes at once, the person is told."""
    upload = await _upload(request)
    pack = request.config_dict[INQUIRIES].pack
    w = visit.frame.wording
    form = await read_form(request)
    values = {k: field(form, k).strip()[:64] for k in ("kind", "valid_from", "valid_until")}
    errors: dict[str, str] = {}
    if values["kind"] not in pack.documents:
        errors["kind"] = w.t("console.document.bad_kind")
    days = _dates(values, w, errors)
    start, end = days["valid_from"], days["valid_until"]
    if not errors and start is None and end is None:
        errors["valid_until"] = w.t("console.upload.dates_required")
    if start is not None and end is not None and end < start:
        errors["valid_until"] = w.t("console.document.ends_before_start")
    if errors:
        return await review_page(request, visit, upload, 422, values, errors)
    try:
        review = await uploads_of(request).accept(
            upload.upload_id, visit.staff.username, values["kind"], start, end
        )
    except UploadGone:
        raise PageError(409, "console.error.upload_decided") from None
    log.info(
        "console_upload_accepted",
        staff=visit.staff.username,
        kind=values["kind"],
        notified=review.notified.value,
    )
    return see_other(f"{BASE}/uploads/{upload.upload_id}?saved=accepted")


@staff_page
async def reject_upload(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Reject with a reason; the person is told it in their words (the note stays here)."""
    upload = await _upload(request)
    w = visit.frame.wording
    form = await read_form(request)
    values = {"reason": field(form, "reason").strip(), "note": field(form, "note").strip()}
    errors: dict[str, str] = {}
    if values["reason"] not in REJECT_REASONS:
        errors["reason"] = w.t("console.upload.bad_reason")
    if values["reason"] == "other" and not values["note"]:
        errors["note"] = w.t("console.form.reason_required")
    if len(values["note"]) > 2000:
        errors["note"] = w.t("console.form.too_long", limit=w.digits("2000"))
    if errors:
        return await review_page(request, visit, upload, 422, values, errors)
    try:
        review = await uploads_of(request).reject(
            upload.upload_id, visit.staff.username, values["reason"], values["note"]
        )
    except UploadGone:
        raise PageError(409, "console.error.upload_decided") from None
    log.info(
        "console_upload_rejected",
        staff=visit.staff.username,
        reason=values["reason"],
        notified=review.notified.value,
    )
    return see_other(f"{BASE}/uploads/{upload.upload_id}?saved=rejected")
