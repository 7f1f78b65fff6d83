"""The portal's pages: sign-in, checks, answer cards, history, the monthly report.

Signing out, the language, the stylesheet and error pages are the page kit's.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, LIMITER, SETTINGS, STATE
from eligibility_gw.channels.web.auth import active_provider
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.portal.gate import (
    GATE,
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
    render,
    see_other,
)
from eligibility_gw.channels.web.portal.report import (
    month_answers,
    month_of,
    parse_month,
    report_csv,
)
from eligibility_gw.channels.web.portal.sessions import (
    PORTAL_SETTINGS,
)
from eligibility_gw.channels.web.portal.views import AnswerCard, answer_card
from eligibility_gw.channels.web.problems import Problem
from eligibility_gw.domain.errors import EligibilityError, Refused
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.keyvalue import state_key
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
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
    """Check the API key; start a session under a new id, or say why not.

    Failed sign-ins from one client address are counted; past the limit the address is
    refused for the rest of the window, whatever key comes next.
    """
    ws = request.app[PORTAL_SETTINGS]
    state = request.config_dict[STATE]
    form = await GATE.signin_form(request)
    wanted = field(form, "lang")
    language = language_of(request, request.config_dict[SETTINGS], wanted or None)
    client = request.remote or "unknown"
    blocked_until = await state.get(_blocked_key(client))
    if blocked_until is not None:
        return await GATE.throttled_page(request, language, float(blocked_until) - time.time())
    key = field(form, "api_key").strip()
    if not key:
        return await signin_page(request, 422, "portal.signin.empty_key", language)
    try:
        provider = await active_provider(request, key)
    except Problem as refusal:
        if refusal.type.slug == "provider-deactivated":
            return await deactivated_page(request, language)
        decision = await request.config_dict[LIMITER].hit(
            "portal-signin-failed", client, ws.signin_failures, ws.signin_window_minutes * 60
        )
        if not decision.allowed:
            await state.set(
                _blocked_key(client), str(time.time() + decision.retry_after), decision.retry_after
            )
            log.warning("portal_signin_throttled")
            return await GATE.throttled_page(request, language, decision.retry_after)
        return await signin_page(request, 401, "portal.signin.wrong_key", language)
    log.info("portal_signed_in", provider_id=provider.provider_id)
    return await GATE.start_session(request, provider.provider_id, language)


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
    return render(
        visit.frame,
        "check.html",
        status,
        values=values or _check_form_values(),
        errors=errors or {},
        settings=_settings_offered(request),
    )


def _settings_offered(request: web.Request) -> list[str]:
    return [s.value for s in request.config_dict[INQUIRIES].pack.settings]


def _asker(provider: Provider) -> Asker:
    return Asker.for_provider("portal", provider)


@signed_in
async def inquire(request: web.Request, visit: Visit) -> web.StreamResponse:
    """Ask on the provider's behalf; show the answer, or the form with what is wrong."""
    inquiries = request.config_dict[INQUIRIES]
    w = visit.frame.wording
    form = await read_form(request)
    values = _check_form_values(
        field(form, "national_id").strip(), field(form, "date").strip(), field(form, "setting")
    )
    # Every field is read before asking, so that the form names all that is wrong at once.
    errors: dict[str, str] = {}
    day: date | None = None
    if len(values["national_id"]) > _MAX_NATIONAL_ID:
        errors["national_id"] = w.t("error.INVALID_NATIONAL_ID")
    else:
        try:
            inquiries.normalise_id(values["national_id"])
        except EligibilityError as exc:
            errors["national_id"] = w.error(exc)
    if values["date"]:
        try:
            day = parse_date(values["date"])
        except EligibilityError as exc:
            errors["date"] = w.error(exc)
    if not errors:
        try:
            shown = await inquiries.ask(
                _asker(visit.provider), values["national_id"], day, values["setting"]
            )
        except Refused:
            raise  # a page of its own (``signed_in``), not a field of the form
        except EligibilityError as exc:
            errors[_FORM_FIELDS.get(exc.field or "", exc.field or "national_id")] = w.error(exc)
        else:
            return see_other(f"{BASE}/answers/{shown.tracking_code.digits}")
    return await _check_page(request, visit, 422, values, errors)


async def _recorded(request: web.Request, visit: Visit, code: TrackingCode) -> Disclosure | None:
    """The provider's own answer under ``code``; None for another's, as for none at all."""
    return await request.config_dict[INQUIRIES].recorded(_asker(visit.provider), code)


@signed_in
async def show_answer(request: web.Request, visit: Visit) -> web.StreamResponse:
    """One answer this provider was given, as a card (``?print=1``: the printable sheet)."""
    try:
        code = TrackingCode.parse(request.match_info["code"])
    except EligibilityError as exc:
        raise PortalError(422, f"error.{exc.code}") from None
    shown = await _recorded(request, visit, code)
    if shown is None:  # another's answer reads as one never given
        raise PortalError(404, "portal.error.answer_not_found")
    frame = visit.frame
    if request.query.get("print") == "1":
        frame = replace(frame, print_view=True)
        request[FRAME] = frame
    inquiries = request.config_dict[INQUIRIES]
    tz = request.config_dict[SETTINGS].tz
    return render(
        frame,
        "answer.html",
        card=answer_card(shown, frame.wording, inquiries.pack, tz),
        values=_check_form_values(),
        errors={},
        settings=_settings_offered(request),
    )


# --- history and the monthly report ---------------------------------------------------------


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock(0), tz)


@signed_in
async def history(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The provider's own checks, newest first: by dates, or found by tracking code."""
    inquiries = request.config_dict[INQUIRIES]
    settings = request.config_dict[SETTINGS]
    tz = settings.tz
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
            shown = await _recorded(request, visit, code)
            if shown is not None:
                cards = [answer_card(shown, w, inquiries.pack, tz)]
    elif not errors:
        offset = (page - 1) * HISTORY_PAGE_SIZE
        found = await inquiries.provider_history(
            visit.provider, since, until, HISTORY_PAGE_SIZE + 1, offset
        )
        more = len(found) > HISTORY_PAGE_SIZE
        cards = [answer_card(d, w, inquiries.pack, tz) for d in found[:HISTORY_PAGE_SIZE]]
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
        month=month_of(settings.today(), w),
    )


@signed_in
async def report(request: web.Request, visit: Visit) -> web.StreamResponse:
    """``?month=YYYY-MM`` (or a Solar Hijri month): every check of that month, as CSV."""
    settings = request.config_dict[SETTINGS]
    inquiries = request.config_dict[INQUIRIES]
    tz = settings.tz
    this_month = month_of(settings.today(), Wording("en"))
    text = request.query.get("month", "").strip() or this_month
    try:
        month = parse_month(text, tz)
    except ValueError:
        raise PortalError(422, "portal.error.month", example=this_month) from None

    async def page(since: datetime, until: datetime, limit: int, offset: int) -> list[Disclosure]:
        return await inquiries.provider_history(visit.provider, since, until, limit, offset)

    answers = await month_answers(page, month)
    safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", visit.provider.provider_id)
    filename = f"activity-{safe_id}-{month.label}.csv"
    return web.Response(
        text=report_csv(answers, tz),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
