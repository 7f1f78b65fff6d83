"""The portal's pages: sign in and out, language, checks, answer cards, history, the report."""

from __future__ import annotations

import math
import re
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from eligibility_gw.appkeys import CORE
from eligibility_gw.channels.web.auth import (
    active_provider,
    national_id_within_rate,
    within_rate,
)
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.pages_common import local_next, stylesheet_response
from eligibility_gw.channels.web.portal.gate import (
    Visit,
    deactivated_page,
    field,
    home_or_signin,
    read_form,
    signed_in,
    signin_page,
)
from eligibility_gw.channels.web.portal.rendering import (
    BASE,
    FRAME,
    PortalError,
    offered_languages,
    render,
    see_other,
    stylesheet_text,
)
from eligibility_gw.channels.web.portal.report import (
    month_of,
    month_records,
    parse_month,
    report_csv,
)
from eligibility_gw.channels.web.portal.sessions import (
    CSRF_FIELD,
    PORTAL_SETTINGS,
    clear_cookie,
    same_token,
    session_cookie,
    sessions_for,
    set_cookie,
    signin_cookie,
)
from eligibility_gw.channels.web.portal.views import AnswerCard, answer_card
from eligibility_gw.channels.web.problems import Problem
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.keyvalue import state_key
from eligibility_gw.service import Asker
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

HISTORY_PAGE_SIZE = 25
_MAX_PAGE = 10_000
_MAX_NATIONAL_ID = 64
#: Where a refusal of the core names its field, which field of the check form shows it.
_FORM_FIELDS = {"national_id": "national_id", "service_date": "date", "date": "date"}


# --- signing in and out ---------------------------------------------------------------------


async def home(request: web.Request) -> web.StreamResponse:
    """The check form for a signed-in provider; the sign-in form for anyone else."""
    return await home_or_signin(request, _check_page)


def _blocked_key(client: str) -> str:
    return state_key("portal:signin-blocked", client)


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check the API key; start a session under a new id, or say why not."""
    core = request.config_dict[CORE]
    ws = request.app[PORTAL_SETTINGS]
    form = await read_form(request)
    if not same_token(field(form, CSRF_FIELD), request.cookies.get(signin_cookie(ws))):
        raise PortalError(403, "portal.error.csrf")
    wanted = field(form, "lang")
    language = language_of(request, core.settings, wanted or None)
    client = request.remote or "unknown"
    blocked_until = await core.kv.get(_blocked_key(client))
    if blocked_until is not None:
        return await _throttled(request, language, float(blocked_until) - time.time())
    key = field(form, "api_key").strip()
    if not key:
        return await signin_page(request, 422, "portal.signin.empty_key", language)
    try:
        provider = await active_provider(request, key)
    except Problem as refusal:
        if refusal.type.slug == "provider-deactivated":
            return await deactivated_page(request, language)
        decision = await core.limiter.hit(
            "portal-signin-failed", client, ws.signin_failures, ws.signin_window_minutes * 60
        )
        if not decision.allowed:
            await core.kv.set(
                _blocked_key(client), str(time.time() + decision.retry_after), decision.retry_after
            )
            log.warning("portal_signin_throttled")
            return await _throttled(request, language, decision.retry_after)
        return await signin_page(request, 401, "portal.signin.wrong_key", language)
    session = await sessions_for(request, core.kv).start(provider.provider_id, language)
    log.info("portal_signed_in", provider_id=provider.provider_id)
    response = see_other(BASE + "/")
    set_cookie(response, ws, session_cookie(ws), session.session_id)
    clear_cookie(response, ws, signin_cookie(ws))
    return response


async def _throttled(request: web.Request, language: str, seconds: float) -> web.Response:
    minutes = max(1, math.ceil(seconds / 60))
    w = Wording(language)
    response = await signin_page(
        request, 429, "portal.signin.throttled", language, minutes=w.digits(str(minutes))
    )
    response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


@signed_in
async def sign_out(request: web.Request, visit: Visit) -> web.StreamResponse:
    """End the session and forget its cookie."""
    core = request.config_dict[CORE]
    ws = request.app[PORTAL_SETTINGS]
    await sessions_for(request, core.kv).end(visit.session.session_id)
    response = see_other(BASE + "/")
    clear_cookie(response, ws, session_cookie(ws))
    return response


@signed_in
async def set_language(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Keep the chosen language in the session; back to the page it was chosen on."""
    core = request.config_dict[CORE]
    form = await read_form(request)
    language = field(form, "lang")
    if language not in offered_languages(core.settings):
        raise PortalError(422, "portal.error.language")
    await sessions_for(request, core.kv).set_language(visit.session, language)
    return see_other(local_next(field(form, "next"), BASE))


# --- checks and answers ---------------------------------------------------------------------


def _check_form_values(national_id: str = "", day: str = "", setting: str = "") -> dict[str, str]:
    return {"national_id": national_id, "date": day, "setting": setting or "outpatient"}


async def _check_page(
    request: web.Request,
    visit: Visit,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:
    core = request.config_dict[CORE]
    return render(
        visit.frame,
        "check.html",
        status,
        values=values or _check_form_values(),
        errors=errors or {},
        settings=[s.value for s in core.pack.settings],
    )


@signed_in
async def inquire(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Ask the core on the provider's behalf; show the answer, or the form with what is wrong."""
    core = request.config_dict[CORE]
    ws = request.app[PORTAL_SETTINGS]
    w = visit.frame.wording
    form = await read_form(request)
    values = _check_form_values(
        field(form, "national_id").strip(), field(form, "date").strip(), field(form, "setting")
    )
    errors: dict[str, str] = {}
    day: date | None = None
    if len(values["national_id"]) > _MAX_NATIONAL_ID:
        errors["national_id"] = w.t("error.INVALID_NATIONAL_ID")
    else:
        try:
            core.service.normalise_id(values["national_id"])
        except EligibilityError as exc:
            errors["national_id"] = w.error(exc)
    if values["date"]:
        try:
            day = parse_date(values["date"])
        except EligibilityError as exc:
            errors["date"] = w.error(exc)
    if not errors:
        await within_rate(request, "web-provider", visit.provider, ws.requests_per_minute, 60)
        await national_id_within_rate(request, ws, values["national_id"])
        asker = Asker("portal", "provider", visit.provider.provider_id)
        try:
            answer = await core.service.ask(values["national_id"], asker, day, values["setting"])
        except EligibilityError as exc:
            errors[_FORM_FIELDS.get(exc.field or "", exc.field or "national_id")] = w.error(exc)
        else:
            return see_other(f"{BASE}/answers/{answer.tracking_code.digits}")
    return await _check_page(request, visit, 422, values, errors)


@signed_in
async def show_answer(request: web.Request, visit: Visit) -> web.StreamResponse:
    """One answer this provider was given, as a card (``?print=1``: the printable sheet)."""
    core = request.config_dict[CORE]
    try:
        code = TrackingCode.parse(request.match_info["code"])
    except EligibilityError as exc:
        raise PortalError(422, f"error.{exc.code}") from None
    record = await core.service.recorded(code)
    if (
        record is None
        or record.draft.asker_kind != "provider"
        or record.draft.asker_id != visit.provider.provider_id
    ):
        raise PortalError(404, "portal.error.answer_not_found")
    frame = visit.frame
    if request.query.get("print") == "1":
        frame = replace(frame, print_view=True)
        request[FRAME] = frame
    card = answer_card(record, frame.wording, core)
    return render(
        frame,
        "answer.html",
        card=card,
        values=_check_form_values(),
        errors={},
        settings=[s.value for s in core.pack.settings],
    )


# --- history and the monthly report ---------------------------------------------------------


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock(0), tz)


@signed_in
async def history(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The provider's own checks, newest first: by dates, or found by tracking code."""
    core = request.config_dict[CORE]
    tz = core.settings.tz
    w = visit.frame.wording
    query = request.query
    values = {k: query.get(k, "").strip() for k in ("from", "to", "code")}
    errors: dict[str, str] = {}
    since = until = None
    for name in ("from", "to"):
        if values[name]:
            try:
                day = parse_date(values[name])
            except EligibilityError as exc:
                errors[name] = w.error(exc)
                continue
            if name == "from":
                since = _day_start(day, tz)
            else:
                until = _day_start(day + timedelta(days=1), tz)
    page_text = query.get("page", "1").strip()
    page = int(page_text) if page_text.isascii() and page_text.isdigit() else 0
    if not 1 <= page <= _MAX_PAGE:
        errors["page"] = w.t("portal.error.page")
        page = 1
    cards: list[AnswerCard] = []
    more = False
    searched = bool(values["code"])
    if values["code"] and "code" not in errors:
        try:
            code = TrackingCode.parse(values["code"])
        except EligibilityError as exc:
            errors["code"] = w.error(exc)
        else:
            record = await core.service.recorded(code)
            if (
                record is not None
                and record.draft.asker_kind == "provider"
                and record.draft.asker_id == visit.provider.provider_id
            ):
                cards = [answer_card(record, w, core)]
    elif not errors:
        offset = (page - 1) * HISTORY_PAGE_SIZE
        records = await core.store.answers.by_asker(
            "provider",
            visit.provider.provider_id,
            since,
            until,
            HISTORY_PAGE_SIZE + 1,
            offset,
        )
        more = len(records) > HISTORY_PAGE_SIZE
        cards = [answer_card(r, w, core) for r in records[:HISTORY_PAGE_SIZE]]
    filters = {k: v for k, v in (("from", values["from"]), ("to", values["to"])) if v}
    return render(
        visit.frame,
        "history.html",
        422 if errors else 200,
        cards=cards,
        values=values,
        errors=errors,
        searched=searched,
        page=page,
        more=more,
        filters=filters,
        month=month_of(core.settings.today(), w),
    )


@signed_in
async def report(request: web.Request, visit: Visit) -> web.StreamResponse:
    """``?month=YYYY-MM`` (or a Solar Hijri month): every check of that month, as CSV."""
    core = request.config_dict[CORE]
    tz = core.settings.tz
    text = request.query.get("month", "").strip() or month_of(core.settings.today(), Wording("en"))
    try:
        month = parse_month(text, tz)
    except ValueError:
        raise PortalError(
            422, "portal.error.month", example=month_of(core.settings.today(), Wording("en"))
        ) from None
    records = await month_records(core.store.answers, visit.provider.provider_id, month)
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", visit.provider.provider_id)
    filename = f"activity-{safe_id}-{month.label}.csv"
    return web.Response(
        text=report_csv(records, tz),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def stylesheet(_request: web.Request) -> web.Response:
    """The portal's only stylesheet (no script anywhere)."""
    return stylesheet_response(stylesheet_text())
