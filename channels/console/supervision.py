"""Supervisor pages: overdue disputes, the access log, and the dashboard of recent answers.

The reported checks page is in ``reports``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS
from eligibility_gw.channels.console.casework import page_number
from eligibility_gw.channels.console.chart import Chart, stacked_bars
from eligibility_gw.channels.console.followups import reminder_counts
from eligibility_gw.channels.console.gate import (
    StaffVisit,
    console_settings_of,
    sessions_for,
    supervisor_page,
)
from eligibility_gw.channels.console.looking import now
from eligibility_gw.channels.console.rendering import BASE, render
from eligibility_gw.channels.console.reports import REPORT_DAYS, count_text, recent_reports
from eligibility_gw.channels.console.signin import USERNAME
from eligibility_gw.channels.console.views import dispute_row, staff_words, words_or
from eligibility_gw.channels.pages.forms import field, read_form, see_other
from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.domain.disputes import OPEN_STATUSES
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import Status
from eligibility_gw.ports.casework import AccessQuery, DayCount, DayWindow
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording

STATUSES = tuple(s.value for s in Status)


@supervisor_page
async def overdue(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Open disputes past their due time, the longest overdue first."""
    tz = request.config_dict[SETTINGS].tz
    s = console_settings_of(request)
    page = page_number(request.query.get("page", "1"))
    found = await visit.store.list_disputes(
        sorted(OPEN_STATUSES), now(), s.page_size + 1, (page - 1) * s.page_size
    )
    w = visit.frame.wording
    rows = [dispute_row(d, w, tz, now(), True) for d in found[: s.page_size]]
    return render(
        visit.frame,
        "disputes.html",
        rows=rows,
        chosen="overdue",
        filters=[],
        page=page,
        more=len(found) > s.page_size,
        overdue_only=True,
    )


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz)


_FILTERS = ("staff", "person", "from", "to")


def _read_filters(
    values: dict[str, str], w: Wording, tz: ZoneInfo
) -> tuple[str | None, dict[str, datetime | None], dict[str, str]]:
    """The staff member and the date bounds asked for, and what is wrong with them."""
    errors: dict[str, str] = {}
    staff = values["staff"].lower() or None
    if staff is not None and not USERNAME.match(staff):
        errors["staff"] = w.t("console.access.bad_staff")
    bounds: dict[str, datetime | None] = {"from": None, "to": None}
    for name in bounds:
        if values[name]:
            try:
                day = parse_date(values[name])
            except EligibilityError as exc:
                errors[name] = w.error(exc)
            else:
                bounds[name] = _day_start(day + timedelta(days=int(name == "to")), tz)
    return staff, bounds, errors


@supervisor_page
async def access_log(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Who looked at whom: filtered by staff member, person and dates, newest first.

    The person filter is this session's reference to the national id (as record links are),
    never the id itself: addresses end up in the logs of servers and proxies.
    """
    s = console_settings_of(request)
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    values = {k: request.query.get(k, "").strip()[:64] for k in _FILTERS}
    staff, bounds, errors = _read_filters(values, w, tz)
    national_id = None
    if values["person"]:
        national_id = visit.session.national_id_of(values["person"])
        if national_id is None:
            errors["person"] = w.t("console.error.record_link")
    page = page_number(request.query.get("page", "1"))
    entries = []
    more = False
    if not errors:
        query = AccessQuery(staff, national_id, bounds["from"], bounds["to"])
        found = await visit.store.access_log(query, s.page_size + 1, (page - 1) * s.page_size)
        more = len(found) > s.page_size
        entries = [
            {
                "at": moment_text(e.at, w, tz),
                "staff": staff_words(w, e.staff),
                "national_id": e.national_id,
                "action": words_or(w, f"console.access.action.{e.action}", e.action),
            }
            for e in found[: s.page_size]
        ]
    filters = {k: v for k, v in values.items() if v}
    return render(
        visit.frame,
        "access_log.html",
        422 if errors else 200,
        values={**values, "person": national_id or ""},
        errors=errors,
        entries=entries,
        page=page,
        more=more,
        filters=filters,
    )


@supervisor_page
async def filter_access_log(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """The filter form, posted: on to the log at an address that holds no national id."""
    inquiries = request.config_dict[INQUIRIES]
    w = visit.frame.wording
    form = await read_form(request)
    values = {k: field(form, k).strip()[:64] for k in _FILTERS}
    _, _, errors = _read_filters(values, w, request.config_dict[SETTINGS].tz)
    national_id = None
    if values["person"]:
        try:
            national_id = inquiries.normalise_id(values["person"])
        except EligibilityError as exc:
            errors["person"] = w.error(exc)
    if errors:
        return render(
            visit.frame,
            "access_log.html",
            422,
            values=values,
            errors=errors,
            entries=[],
            page=1,
            more=False,
            filters={},
        )
    wanted = {k: v for k, v in values.items() if v and k != "person"}
    if national_id is not None:
        session = await sessions_for(request).remember(visit.session, [national_id])
        wanted["person"] = session.ref_of(national_id)
    return see_other(f"{BASE}/access-log" + (f"?{urlencode(wanted)}" if wanted else ""))


# --- the dashboard --------------------------------------------------------------------------


def day_windows(today: date, days: int, tz: ZoneInfo) -> list[DayWindow]:
    """The last ``days`` local days up to ``today``, each as an instant range."""
    first = today - timedelta(days=days - 1)
    return [
        DayWindow(d, _day_start(d, tz), _day_start(d + timedelta(days=1), tz))
        for d in (first + timedelta(days=i) for i in range(days))
    ]


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    """One channel's answers over the period: a chart, totals, and the share undetermined."""

    channel: str
    name: str
    chart: Chart
    totals: dict[str, int]
    total: int
    undetermined_share: str


def share_text(part: int, whole: int, w: Wording) -> str:
    """``part`` of ``whole`` as a percentage with one decimal ('—' of nothing)."""
    if whole == 0:
        return "—"
    return w.digits(f"{100 * part / whole:.1f}") + "%"


def summarise(
    counts: list[DayCount], windows: list[DayWindow], w: Wording
) -> tuple[ChannelSummary, list[ChannelSummary]]:
    """All channels together, then each channel (busiest first)."""
    days = [d.day for d in windows]
    day_text = {d: w.date(d) for d in days}
    series_text = {s: w.status(Status(s)) for s in STATUSES}
    by_channel: dict[str, dict[tuple[date, str], int]] = defaultdict(dict)
    together: dict[tuple[date, str], int] = defaultdict(int)
    for c in counts:
        by_channel[c.channel][(c.day, c.status)] = c.count
        together[(c.day, c.status)] += c.count

    def summary(channel: str, name: str, grid: dict[tuple[date, str], int]) -> ChannelSummary:
        totals = {s: sum(n for (_, st), n in grid.items() if st == s) for s in STATUSES}
        total = sum(totals.values())
        chart = stacked_bars(
            name, days, STATUSES, grid, day_text, series_text, lambda n: w.digits(str(n))
        )
        share = share_text(totals[Status.UNDETERMINED.value], total, w)
        return ChannelSummary(channel, name, chart, totals, total, share)

    overall = summary("all", w.t("console.dashboard.all_channels"), dict(together))
    channels = [
        summary(ch, words_or(w, f"console.channel.{ch}", ch), grid)
        for ch, grid in by_channel.items()
    ]
    channels.sort(key=lambda c: (-c.total, c.channel))
    return overall, channels


@supervisor_page
async def dashboard(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Answers per day, channel and status over the last days; open and overdue disputes."""
    inquiries = request.config_dict[INQUIRIES]
    s = console_settings_of(request)
    w = visit.frame.wording
    windows = day_windows(inquiries.today(), s.dashboard_days, request.config_dict[SETTINGS].tz)
    counts = await visit.store.answer_counts(windows)
    overall, channels = summarise(counts, windows, w)
    open_statuses = sorted(OPEN_STATUSES)
    open_count = await visit.store.count_disputes(open_statuses)
    overdue_count = await visit.store.count_disputes(open_statuses, now())
    reported = await recent_reports(inquiries, visit, now() - timedelta(days=REPORT_DAYS))
    return render(
        visit.frame,
        "dashboard.html",
        overall=overall,
        channels=channels,
        statuses=STATUSES,
        status_names={st: w.status(Status(st)) for st in STATUSES},
        open_count=w.digits(str(open_count)),
        overdue_count=w.digits(str(overdue_count)),
        has_overdue=overdue_count > 0,
        days=w.digits(str(s.dashboard_days)),
        since=w.date(windows[0].day),
        reports_count=count_text(reported, w),
        has_reports=reported > 0,
        report_days=w.digits(str(REPORT_DAYS)),
        **await reminder_counts(request, visit, windows[0].day, windows[-1].day, s.dashboard_days),
    )
