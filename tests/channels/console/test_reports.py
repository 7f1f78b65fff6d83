"""Reported checks: a NO to a check notice, listed for supervisors, one click from a dispute.

The notice and the NO go through the core as in production: a provider's check with
``[notices] check_notices`` on sends the notice through the gateway's outbound SMS (to the
fake Twilio), and ``Inquiries.report_unasked_check`` records the reply.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.notices import NOTICE_PURPOSE
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports.casework import AccessQuery
from eligibility_gw.ports.messages import OutboundSms
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import AGENT, SUPERVISOR, StaffVisitor, record_links_of
from tests.channels.sms.support import new_sid

AHMADI_PHONE = "+989121110003"
#: The minor son of an uncovered principal: the notice of a check goes to his father's phone.
MINOR = "ahmadi-son"


async def noticed_check(console: Console) -> Disclosure:
    """The demo pharmacy checks the minor; the notice goes out to his father's phone."""
    shown = await console.provider_check(MINOR)
    sender = console.gateway.sms_sender
    assert sender is not None
    await sender.drain()
    return shown


async def with_notices(make_console: MakeConsole, store: str = "memory") -> Console:
    return await make_console(store=store, gateway={"notices": {"check_notices": True}})


async def open_from_report(supervisor: StaffVisitor, sid: str) -> tuple[int, str]:
    """Press a report's "open a dispute" button; the status and where it leads."""
    response, _ = await supervisor.post(
        "/console/reports/dispute", {"csrf": await supervisor.token(), "report": sid}
    )
    return response.status, response.headers.get("Location", "")


async def test_a_no_is_listed_and_one_click_opens_the_dispute(make_console: MakeConsole) -> None:
    console = await with_notices(make_console, store="sqlite")
    shown = await noticed_check(console)
    (notice,) = console.twilio.posts
    assert notice["To"] == AHMADI_PHONE
    sid = new_sid()
    report = await console.inquiries.report_unasked_check(AHMADI_PHONE, sid)
    assert report is not None and report.tracking_code == shown.tracking_code.digits
    minor = console.ids[MINOR]

    supervisor = await console.supervisor()
    _, home = await supervisor.get("/console/")
    assert 'href="/console/reports"' in home  # in the supervisors' navigation
    response, page = await supervisor.get("/console/reports")
    assert response.status == 200, page
    rows = re.findall(r'<tr class="report" data-report="(\w+)">(.*?)</tr>', page, re.S)
    assert [r for r, _ in rows] == [sid]
    row = rows[0][1]
    assert "Demo Pharmacy" in row and "demo-pharmacy" in row
    assert "Arman Ahmadi" in row
    assert "******" + minor[-4:] in row and minor not in page  # masked, as for agents
    assert "+98912***0003" in row and AHMADI_PHONE not in page
    assert shown.tracking_code.grouped() in row
    assert 'class="open-report-dispute"' in row
    # Everyone shown is in the access log, and the link opens the member's record.
    logged = await console.store.access_log(AccessQuery(staff=SUPERVISOR, national_id=minor))
    assert [e.action for e in logged] == ["reports"]
    (ref,) = record_links_of(row)
    response, record = await supervisor.get(f"/console/people/{ref}")
    assert response.status == 200
    assert f'id="national-id" dir="ltr">{minor}<' in record

    # One click: a dispute about him, from that check, as reported by SMS from that phone.
    status, location = await open_from_report(supervisor, sid)
    assert status == 303
    digits = location.rsplit("/", 1)[1]
    assert location == f"/console/disputes/{digits}"
    dispute = await console.store.get_dispute(DisputeCode(digits))
    assert dispute is not None
    assert dispute.national_id == minor
    assert dispute.tracking_code == shown.tracking_code.digits
    assert (dispute.caller_channel, dispute.caller_phone) == ("sms", AHMADI_PHONE)
    assert dispute.status is DisputeStatus.RECEIVED and dispute.opened_by == SUPERVISOR
    assert "did not ask for the check" in dispute.summary
    assert "Demo Pharmacy" in dispute.summary
    assert dispute.language == console.settings.default_language
    _, dispute_page = await supervisor.get(location)
    assert 'id="dispute-status">Received' in dispute_page
    assert shown.tracking_code.grouped() in dispute_page  # the check disputed

    # The list now links to that dispute; pressing again opens no second one.
    _, page = await supervisor.get("/console/reports")
    assert f'href="/console/disputes/{digits}"' in page
    assert 'class="open-report-dispute"' not in page
    assert await open_from_report(supervisor, sid) == (303, location)
    assert await console.store.count_disputes(list(DisputeStatus)) == 1


async def test_the_dashboard_counts_the_last_seven_days(make_console: MakeConsole) -> None:
    console = await with_notices(make_console)
    await noticed_check(console)
    long_ago = datetime.now(UTC) - timedelta(days=8)
    await console.inquiries.report_unasked_check(AHMADI_PHONE, new_sid(), long_ago)
    supervisor = await console.supervisor()
    _, empty = await supervisor.get("/console/dashboard")
    assert 'id="reported-checks">0<' in empty
    await console.inquiries.report_unasked_check(AHMADI_PHONE, new_sid())
    _, dashboard = await supervisor.get("/console/dashboard")
    assert 'id="reported-checks">1<' in dashboard
    assert "last 7 days" in dashboard
    _, page = await supervisor.get("/console/reports")
    assert page.count('<tr class="report"') == 2  # the list keeps the older one too


async def test_a_report_whose_check_is_gone(console: Console) -> None:
    # A notice whose check is not in this log (kept, say, from before a restore).
    gone = "123456789012"
    now = datetime.now(UTC)
    await console.tg.store.sms.record_sent(
        OutboundSms(new_sid(), AHMADI_PHONE, NOTICE_PURPOSE, gone, "delivered", 1, now, now)
    )
    sid = new_sid()
    assert await console.inquiries.report_unasked_check(AHMADI_PHONE, sid) is not None
    supervisor = await console.supervisor()
    response, page = await supervisor.get("/console/reports")
    assert response.status == 200
    assert "The check is no longer in the answer log" in page
    assert gone in page
    assert 'class="open-report-dispute"' not in page
    assert await open_from_report(supervisor, sid) == (404, "")


async def test_opening_from_an_unknown_report_is_a_page_in_words(console: Console) -> None:
    supervisor = await console.supervisor()
    _, page = await supervisor.get("/console/reports")
    assert "No checks have been reported" in page
    for wanted in ("SM" + "0" * 32, ""):
        response, body = await supervisor.post(
            "/console/reports/dispute", {"csrf": await supervisor.token(), "report": wanted}
        )
        assert response.status == 404
        assert "not among the latest reported checks" in body
    assert await console.store.count_disputes(list(DisputeStatus)) == 0


async def test_agents_cannot_open_disputes_from_reports(make_console: MakeConsole) -> None:
    console = await with_notices(make_console)
    await noticed_check(console)
    sid = new_sid()
    await console.inquiries.report_unasked_check(AHMADI_PHONE, sid)
    agent = await console.agent()
    response, body = await agent.post(
        "/console/reports/dispute", {"csrf": await agent.token(), "report": sid}
    )
    assert response.status == 403
    assert "This page is for supervisors" in body
    assert await console.store.count_disputes(list(DisputeStatus)) == 0
    assert await console.store.access_log(AccessQuery(staff=AGENT)) == []
