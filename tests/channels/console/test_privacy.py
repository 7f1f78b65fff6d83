"""The console logs who did what, never whom: no national id, phone or name in any log line."""

from __future__ import annotations

from datetime import timedelta

from structlog.testing import capture_logs

from eligibility_gw.demo import personas
from tests.channels.console.conftest import Console
from tests.channels.console.support import REZAEI_PHONE, SON, record_link_for
from tests.channels.console.test_casework import act, open_dispute, provider_code


async def test_a_whole_case_logs_nothing_personal(console: Console) -> None:
    people = personas(console.inquiries.pack, console.inquiries.today())
    secrets = {p.row.national_id for p in people}
    secrets |= {p.row.given_name for p in people} | {p.row.family_name for p in people}
    secrets |= {p.row.phone for p in people if p.row.phone} | {"+989122220001"}
    code = await provider_code(console)
    with capture_logs() as logs:  # raw events: before any redaction
        agent = await console.agent()
        await agent.search(console.ids[SON])
        _, page = await agent.search(REZAEI_PHONE)
        digits, _ = await open_dispute(console, agent, code)
        await act(agent, digits, "start")
        until = (console.inquiries.today() + timedelta(days=30)).isoformat()
        await agent.form(
            f"/console/people/{record_link_for(page, 'Hamid Rezaei')}/documents",
            {"kind": "student_certificate", "valid_until": until, "note": "seen", "dispute": ""},
        )
        await agent.form(
            f"/console/people/{record_link_for(page, 'Ali Rezaei')}/phone",
            {"phone": "+989122220001", "reason": "new SIM", "dispute": digits},
        )
        await act(agent, digits, "resolve", "Certificate recorded.")
    assert console.twilio.posts  # the case went all the way
    events = {e["event"] for e in logs}
    assert {"console_search", "console_dispute_opened", "console_outcome_notified"} <= events
    for event in logs:
        text = repr(event)
        leaked = [s for s in secrets if s in text]
        assert not leaked, (event["event"], leaked)
