"""Reported checks (supervisors): NOs to check notices, each one click away from a dispute.

When a provider checks someone's cover, the service tells the person by SMS ("not you?
reply NO"); a NO is kept as a report. The page lists the latest reports with the check each
refers to: when, by which provider, about which member. One button opens a dispute about
that member and that check, as if the person had called, so that it is followed up like any
other (a due time, the overdue list, an outcome by SMS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES, SETTINGS
from eligibility_gw.channels.console.gate import (
    StaffVisit,
    console_settings_of,
    sessions_for,
    supervisor_page,
)
from eligibility_gw.channels.console.looking import find_family, log_looked_up, now
from eligibility_gw.channels.console.rendering import BASE, render
from eligibility_gw.channels.console.views import mask_national_id, mask_phone, person_name
from eligibility_gw.channels.pages.forms import PageError, field, read_form, see_other
from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.domain.disputes import DisputeCode, due_time
from eligibility_gw.domain.model import Person
from eligibility_gw.inquiries import Inquiries, ReportedCheck
from eligibility_gw.policy.askers import AskerKind
from eligibility_gw.ports.casework import DisputeDraft
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: The latest reports the page lists (and the dashboard counts from).
REPORT_LIMIT = 100
#: Days the dashboard counts reports over.
REPORT_DAYS = 7
#: How a dispute opened from a report says the person reached us.
REPORT_CHANNEL = "sms"


async def recent_reports(inquiries: Inquiries, visit: StaffVisit, since: datetime) -> int:
    """How many reports came since ``since`` (counted by the store, however many)."""
    return await inquiries.count_reported_checks(visit.asker, since)


def count_text(count: int, w: Wording) -> str:
    """The count in the reader's digits."""
    return w.digits(str(count))


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One NO as the page lists it, with the check it refers to when that is still logged."""

    #: The inbound message's id: what the "open a dispute" button names the report by.
    report_id: str
    received: str
    phone_text: str
    code: str | None
    #: The rest is None when the check is no longer in the answer log.
    checked: str | None = None
    provider_id: str | None = None
    provider_name: str | None = None
    member_name: str | None = None
    national_id_text: str | None = None
    ref: str | None = None
    #: The dispute opened from this report already, if any.
    dispute_digits: str | None = None
    dispute_code: str | None = None


async def _provider_name(inquiries: Inquiries, provider_id: str) -> str | None:
    provider = await inquiries.provider(provider_id)
    return provider.name if provider is not None else None


async def _report_rows(request: web.Request, visit: StaffVisit) -> list[ReportRow]:
    """The latest reports in words; every member shown is in the access log before the page."""
    inquiries = request.config_dict[INQUIRIES]
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    found = await inquiries.reported_checks(visit.asker, REPORT_LIMIT)
    members = [r.check.draft.national_id for r in found if r.check is not None]
    people: dict[str, Person | None] = {}
    for national_id in dict.fromkeys(members):
        family = await find_family(request, visit, national_id)
        people[national_id] = family.member(national_id) if family else None
    session = await sessions_for(request).remember(visit.session, members)
    await log_looked_up(visit, members, "reports")
    providers: dict[str, str | None] = {}
    rows = []
    for reported in found:
        report, check = reported.report, reported.check
        received = moment_text(report.received_at, w, tz)
        if check is None:
            rows.append(
                ReportRow(
                    report.inbound_sid, received, mask_phone(report.phone), report.tracking_code
                )
            )
            continue
        draft = check.draft
        provider_id = draft.asker_id if draft.asker_kind == AskerKind.PROVIDER else None
        if provider_id is not None and provider_id not in providers:
            providers[provider_id] = await _provider_name(inquiries, provider_id)
        person = people.get(draft.national_id)
        opened = await _dispute_from(visit, reported)
        rows.append(
            ReportRow(
                report_id=report.inbound_sid,
                received=received,
                phone_text=mask_phone(report.phone),
                code=check.tracking_code.grouped(),
                checked=moment_text(check.created_at, w, tz),
                provider_id=provider_id,
                provider_name=providers.get(provider_id) if provider_id else None,
                member_name=person_name(person) if person is not None else None,
                # Masked as agents see ids in lists, whoever reads: the record shows it whole.
                national_id_text=mask_national_id(draft.national_id),
                ref=session.ref_of(draft.national_id),
                dispute_digits=opened.digits if opened else None,
                dispute_code=opened.grouped() if opened else None,
            )
        )
    return rows


async def _dispute_from(visit: StaffVisit, reported: ReportedCheck) -> DisputeCode | None:
    """The dispute already opened about this report's check, if any."""
    check = reported.check
    if check is None:
        return None
    for dispute in await visit.store.disputes_about(check.draft.national_id):
        if (
            dispute.tracking_code == check.tracking_code.digits
            and dispute.caller_channel == REPORT_CHANNEL
        ):
            return dispute.code
    return None


@supervisor_page
async def reported_checks(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """The latest reports of checks nobody asked for, newest first."""
    rows = await _report_rows(request, visit)
    log.info("console_reports_listed", staff=visit.staff.username, reports=len(rows))
    return render(visit.frame, "reports.html", rows=rows, limit=REPORT_LIMIT)


@supervisor_page
async def open_dispute_from_report(request: web.Request, visit: StaffVisit) -> web.StreamResponse:
    """Open a dispute about the member and check a report names; on to the dispute.

    Pressed twice (or by two supervisors), it opens one dispute: the second press goes to
    the dispute the first opened.
    """
    inquiries = request.config_dict[INQUIRIES]
    settings = request.config_dict[SETTINGS]
    s = console_settings_of(request)
    w = visit.frame.wording
    form = await read_form(request)
    wanted = field(form, "report")
    reported = await inquiries.reported_check(visit.asker, wanted) if wanted else None
    if reported is None or reported.check is None:
        raise PageError(404, "console.error.report_not_found")
    opened = await _dispute_from(visit, reported)
    if opened is not None:
        return see_other(f"{BASE}/disputes/{opened.digits}")
    check, report = reported.check, reported.report
    draft = check.draft
    provider = draft.asker_id
    if draft.asker_kind == AskerKind.PROVIDER:
        provider = await _provider_name(inquiries, draft.asker_id) or draft.asker_id
    tz = settings.tz
    summary = w.t(
        "console.reports.summary",
        received=moment_text(report.received_at, w, tz),
        checked=moment_text(check.created_at, w, tz),
        provider=provider,
        code=w.digits(check.tracking_code.grouped()),
    )
    at = now()
    dispute = await visit.store.open_dispute(
        DisputeDraft(
            national_id=draft.national_id,
            tracking_code=check.tracking_code.digits,
            caller_channel=REPORT_CHANNEL,
            caller_phone=report.phone,
            # The notice went out in the gateway's first language: the outcome follows it.
            language=settings.default_language,
            summary=summary,
            opened_by=visit.staff.username,
            opened_at=at,
            due_at=due_time(at, s.service_level_hours),
        )
    )
    log.info(
        "console_dispute_opened",
        staff=visit.staff.username,
        dispute_code=dispute.code.grouped(),
        source="report",
    )
    return see_other(f"{BASE}/disputes/{dispute.code.digits}")
