"""Finding people: the home page, the search and its results, a person's record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS
from eligibility_gw.channels.console.followups import reminders_section
from eligibility_gw.channels.console.gate import (
    StaffVisit,
    home_or_signin,
    sessions_for,
    staff_page,
)
from eligibility_gw.channels.console.looking import (
    find_family,
    log_looked_up,
    now,
    shows_full_ids,
)
from eligibility_gw.channels.console.lookup import Query, QueryKind, QueryRefused, read_query
from eligibility_gw.channels.console.rendering import BASE, render
from eligibility_gw.channels.console.views import (
    MemberRow,
    answer_row,
    dispute_row,
    document_rows,
    mask_national_id,
    mask_phone,
    member_rows,
    person_name,
)
from eligibility_gw.channels.pages.forms import PageError, field, read_form, see_other
from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.domain.disputes import OPEN_STATUSES, DisputeCode, InvalidDisputeCode
from eligibility_gw.domain.model import Family
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import Disclosure

log = structlog.get_logger(__name__)

HISTORY_LIMIT = 50
HOME_DISPUTES = 10
#: People a name search shows at most (namesakes born the same day): the agent then asks the
#: caller what tells them apart (a parent's name, the phone on file).
MAX_NAMED = 10


# --- home and search ------------------------------------------------------------------------


async def home(request: web.Request) -> web.StreamResponse:
    """The search box and the open disputes due soonest; the sign-in form for anyone else."""
    return await home_or_signin(request, _home)


async def _home(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    tz = request.config_dict[SETTINGS].tz
    due = await visit.store.list_disputes(sorted(OPEN_STATUSES), limit=HOME_DISPUTES)
    w = visit.frame.wording
    rows = [dispute_row(d, w, tz, now(), shows_full_ids(visit)) for d in due]
    return render(
        visit.frame, "home.html", query="", kind=QueryKind.AUTO.value, error=None, disputes=rows
    )


@dataclass(frozen=True, slots=True)
class FamilyResult:
    """One family a search found, with the members it matched."""

    principal_name: str
    members: list[MemberRow]


def _query_text(query: Query, visit: StaffVisit) -> str:
    """What was searched for, as the results page names it (ids masked for agents)."""
    if query.kind is QueryKind.NATIONAL_ID and not shows_full_ids(visit):
        return mask_national_id(query.value)
    if query.kind is QueryKind.PHONE and not shows_full_ids(visit):
        return mask_phone(query.value)
    if query.kind is QueryKind.TRACKING_CODE:
        return TrackingCode(query.value).grouped()
    if query.kind is QueryKind.NAME_BIRTH:
        name, born = query.name_and_birth
        return f"{name} · {visit.frame.wording.date(born)}"
    return query.value


@staff_page
async def search(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Read the search box; on to its results under an opaque address, or say what is wrong.

    The search is posted, and its results live at ``?s=`` a reference only this session can
    resolve: national ids and phones never appear in addresses (nor in proxies' logs).
    """
    inquiries = request.config_dict[INQUIRIES]
    w = visit.frame.wording
    form = await read_form(request)
    text = field(form, "q")
    try:
        kind = QueryKind(field(form, "kind") or "auto")
    except ValueError:
        kind = QueryKind.AUTO
    try:
        query = read_query(text, kind, inquiries.pack)
    except QueryRefused as refused:
        error = w.error(refused.error) if refused.error else w.t(refused.message)
        return render(
            visit.frame,
            "search.html",
            422,
            query=text.strip()[:64],
            kind=kind.value,
            asked=None,
            error=error,
            families=[],
            answer=None,
            answer_ref=None,
            searched=False,
        )
    if query.kind is QueryKind.DISPUTE_CODE:
        return see_other(f"{BASE}/disputes/{query.value}")
    _, token = await sessions_for(request).remember_query(
        visit.session, f"{query.kind.value}:{query.value}"
    )
    return see_other(f"{BASE}/search?s={token}&kind={kind.value}")


@staff_page
async def search_results(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """``?s=``: families found by national id, phone or tracking code."""
    inquiries = request.config_dict[INQUIRIES]
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    remembered = visit.session.query_of(request.query.get("s", ""))
    if remembered is None:
        raise PageError(404, "console.error.search_link")
    kind_text, _, value = remembered.partition(":")
    query = Query(QueryKind(kind_text), value)
    try:
        shown_kind = QueryKind(request.query.get("kind", "auto"))
    except ValueError:
        shown_kind = QueryKind.AUTO
    families: list[Family] = []
    focus: set[str] = set()
    answer: Disclosure | None = None
    if query.kind is QueryKind.NATIONAL_ID:
        focus.add(query.value)
    elif query.kind is QueryKind.NAME_BIRTH:
        name, born = query.name_and_birth
        focus.update(await visit.store.national_ids_named(name, born, MAX_NAMED))
    elif query.kind is QueryKind.PHONE:
        identity = await inquiries.identify(query.value)
        focus.update(p.national_id for p in identity.people)
    else:
        answer = await inquiries.recorded(visit.asker, TrackingCode(query.value))
        if answer is not None and answer.national_id:
            focus.add(answer.national_id)
    for national_id in sorted(focus):
        if any(f.member(national_id) for f in families):
            continue
        family = await find_family(request, visit, national_id)
        if family is not None:
            families.append(family)
    shown = [m.national_id for f in families for m in f.members]
    answer_id = answer.national_id if answer is not None else None
    if answer_id:
        shown.append(answer_id)
    session = await sessions_for(request).remember(visit.session, shown)
    refs = {n: session.ref_of(n) for n in shown}
    await log_looked_up(visit, shown, "search")
    log.info("console_search", staff=visit.staff.username, kind=query.kind.value, found=len(refs))
    results = [
        FamilyResult(
            person_name(f.principal),
            member_rows(
                await inquiries.preview(visit.asker, f),
                inquiries.pack,
                w,
                refs,
                shows_full_ids(visit),
                focus,
            ),
        )
        for f in families
    ]
    return render(
        visit.frame,
        "search.html",
        query="",
        kind=shown_kind.value,
        asked=_query_text(query, visit),
        error=None,
        families=results,
        answer=answer_row(answer, w, inquiries.pack, tz) if answer is not None else None,
        answer_ref=refs[answer_id] if answer_id else None,
        searched=True,
    )


# --- the record -----------------------------------------------------------------------------


def national_id_of(visit: StaffVisit, ref: str) -> str:
    """The national id behind a record link of this session; a 404 page otherwise."""
    national_id = visit.session.national_id_of(ref)
    if national_id is None:
        raise PageError(404, "console.error.record_link")
    return national_id


def dispute_field(text: str) -> DisputeCode | None:
    """The dispute code a form names, or None (empty or not a code)."""
    try:
        return DisputeCode.parse(text) if text.strip() else None
    except InvalidDisputeCode:
        return None


async def record_page(
    request: web.Request,
    visit: StaffVisit,
    ref: str,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:
    """The record page (with the forms' values and errors after a refused correction)."""
    inquiries = request.config_dict[INQUIRIES]
    pack = inquiries.pack
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    national_id = national_id_of(visit, ref)
    family = await find_family(request, visit, national_id)
    person = family.member(national_id) if family else None
    others = (
        [m.national_id for m in family.members if m.national_id != national_id] if family else []
    )
    session = await sessions_for(request).remember(visit.session, [national_id, *others])
    refs = {n: session.ref_of(n) for n in [national_id, *others]}
    await log_looked_up(visit, [national_id], "record")
    if others:
        await log_looked_up(visit, others, "family")
    history = await inquiries.history(visit.asker, national_id, HISTORY_LIMIT)
    documents = await visit.store.documents_of(national_id)
    disputes = await visit.store.disputes_about(national_id)
    changes = await visit.store.phone_changes(national_id)
    dispute_text = request.query.get("dispute", "")
    linked = dispute_field(dispute_text)
    form_values = {
        "kind": next(iter(pack.documents), ""),
        "valid_from": "",
        "valid_until": "",
        "note": "",
        "phone": "",
        "reason": "",
        "dispute": linked.grouped() if linked else "",
    }
    form_values.update(values or {})
    members = (
        member_rows(
            await inquiries.preview(visit.asker, family),
            pack,
            w,
            refs,
            shows_full_ids(visit),
            {national_id},
        )
        if family
        else []
    )
    context: dict[str, Any] = {
        "ref": ref,
        "national_id": national_id,
        "person": person,
        "principal": family.principal if family else None,
        "members": members,
        "history": [answer_row(d, w, pack, tz) for d in history],
        "documents": document_rows(documents, w, inquiries.today(), tz),
        "disputes": [dispute_row(d, w, tz, now(), True) for d in disputes],
        "changes": [
            {
                "at": moment_text(c.changed_at, w, tz),
                "by": c.changed_by,
                "old": c.old_phone or "—",
                "new": c.new_phone,
                "reason": c.reason,
            }
            for c in changes
        ],
        "document_kinds": [(k, w.document(k)) for k in pack.documents],
        "values": form_values,
        "errors": errors or {},
        "saved": request.query.get("saved", ""),
        "birth_date": w.date(person.birth_date) if person and person.birth_date else "—",
    }
    context.update(await reminders_section(request, visit, national_id))
    log.info("console_record_opened", staff=visit.staff.username)
    return render(visit.frame, "person.html", status, **context)


@staff_page
async def person_record(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """The person's record: family with today's status, documents, answers, disputes."""
    return await record_page(request, visit, request.match_info["ref"])
