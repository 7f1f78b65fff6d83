"""Disputes and corrections: open, move on, record documents and phones, tell the person."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports import RegistryRow
from eligibility_gw.ports.casework import DisputeDraft
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import (
    AGENT,
    REZAEI_PHONE,
    SON,
    SUPERVISOR,
    StaffVisitor,
    dispute_codes_of,
    record_link_for,
)
from tests.channels.sms.support import SHORT_NUMBER


async def provider_code(console: Console, key: str = SON) -> str:
    """A provider's check of a persona; its tracking code's digits."""
    answer = await console.provider_check(key)
    return answer.tracking_code.digits


async def checked(console: Console, national_id: str) -> Disclosure:
    """What the demo pharmacy is answered about ``national_id`` now."""
    return await console.inquiries.ask(await console.provider(), national_id)


async def open_dispute(
    console: Console, agent: StaffVisitor, code: str, **fields: str
) -> tuple[str, str]:
    """Open a dispute from a tracking code; its code's digits and its page."""
    data = {
        "tracking_code": code,
        "caller_channel": "hotline",
        "caller_phone": REZAEI_PHONE,
        "language": "en",
        "summary": "My son studies at the university of Tehran; he brought his certificate.",
    }
    data.update(fields)
    response, body = await agent.post("/console/disputes", {"csrf": await agent.token(), **data})
    assert response.status == 303, body
    digits = response.headers["Location"].rsplit("/", 1)[1]
    _, page = await agent.get(response.headers["Location"])
    return digits, page


async def act(agent: StaffVisitor, digits: str, action: str, note: str = "") -> tuple[int, str]:
    """Press one of the dispute page's status buttons; the status and the page after."""
    response, body = await agent.form(
        f"/console/disputes/{digits}/status", {"action": action, "note": note}
    )
    return response.status, body


async def record_certificate(
    agent: StaffVisitor, page_with_link: str, until: str, dispute: str = ""
) -> tuple[int, str]:
    """Record a student certificate for the son, from a page linking to his record."""
    ref = record_link_for(page_with_link, "Hamid Rezaei")
    response, body = await agent.form(
        f"/console/people/{ref}/documents",
        {
            "kind": "student_certificate",
            "valid_from": "",
            "valid_until": until,
            "note": "University of Tehran certificate seen at branch 12",
            "dispute": dispute,
        },
    )
    return response.status, body


# --- opening --------------------------------------------------------------------------------


async def test_open_a_dispute_from_a_tracking_code(console: Console) -> None:
    code = await provider_code(console)
    agent = await console.agent()
    _, form = await agent.get(f"/console/disputes/new?code={code}")
    assert f'value="{code}"' in form
    assert '<option value="hotline" selected>' in form
    digits, page = await open_dispute(console, agent, code)
    dispute = DisputeCode(digits)
    assert f'id="dispute-code" dir="ltr">{dispute.grouped()}<' in page
    assert 'id="dispute-status">Received' in page
    assert "Hamid Rezaei" in page
    assert "******" + console.ids[SON][-4:] in page  # masked for an agent
    assert console.ids[SON] not in page
    assert TrackingCode(code).grouped() in page  # the answer disputed
    assert "opened the dispute" in page
    stored = await console.store.get_dispute(dispute)
    assert stored is not None
    assert stored.national_id == console.ids[SON]
    assert stored.tracking_code == code
    assert stored.caller_phone == REZAEI_PHONE
    assert stored.opened_by == AGENT
    assert stored.due_at - stored.opened_at == timedelta(hours=48)


async def test_the_service_level_is_a_setting(make_console: MakeConsole) -> None:
    console = await make_console(service_level_hours=4)
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    stored = await console.store.get_dispute(DisputeCode(digits))
    assert stored is not None
    assert stored.due_at - stored.opened_at == timedelta(hours=4)


async def test_open_a_dispute_from_a_person(console: Console) -> None:
    agent = await console.agent()
    _, page = await agent.search(console.ids["karimi-son-lapsed"])
    ref = record_link_for(page, "Mehdi Karimi")
    _, record = await agent.get(f"/console/people/{ref}")
    assert f'href="/console/disputes/new?person={ref}"' in record
    _, form = await agent.get(f"/console/disputes/new?person={ref}")
    assert "Mehdi Karimi" in form
    response, body = await agent.post(
        "/console/disputes",
        {
            "csrf": await agent.token(),
            "person": ref,
            "tracking_code": "",
            "caller_channel": "branch",
            "caller_phone": "",
            "language": "fa",
            "summary": "Came to the branch with a new certificate.",
        },
    )
    assert response.status == 303, body
    _, page = await agent.get(response.headers["Location"])
    assert "Mehdi Karimi" in page
    assert "At the branch" in page or "branch" in page.lower()


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"tracking_code": ""}, "Give the tracking code"),
        ({"tracking_code": "1234-5678-9012"}, "typing error"),
        ({"tracking_code": "999999999999"}, ""),
        ({"caller_channel": "pigeon"}, "Choose how the caller reached us"),
        ({"caller_phone": "call me"}, "cannot be read"),
        ({"language": "xx"}, "not offered"),
        ({"summary": ""}, "Write what the caller says"),
        ({"summary": "x" * 2001}, "At most 2000 characters"),
        ({"tracking_code": "", "person": "f" * 20}, "not valid in this session"),
    ],
)
async def test_opening_refuses_what_is_wrong(
    console: Console, fields: dict[str, str], says: str
) -> None:
    code = await provider_code(console)
    agent = await console.agent()
    data = {
        "tracking_code": code,
        "person": "",
        "caller_channel": "hotline",
        "caller_phone": "",
        "language": "en",
        "summary": "s",
    }
    data.update(fields)
    response, body = await agent.post("/console/disputes", {"csrf": await agent.token(), **data})
    assert response.status == 422, body
    assert says in body
    assert await console.store.count_disputes(list(DisputeStatus)) == 0


async def test_an_unknown_tracking_code_is_refused(console: Console) -> None:
    agent = await console.agent()
    unknown = TrackingCode.new().digits
    response, body = await agent.post(
        "/console/disputes",
        {
            "csrf": await agent.token(),
            "tracking_code": unknown,
            "caller_channel": "hotline",
            "language": "en",
            "summary": "s",
        },
    )
    assert response.status == 422
    assert "No answer was given under this tracking code" in body


# --- moving on ------------------------------------------------------------------------------


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_the_whole_road_with_the_resolution_sms(
    make_console: MakeConsole, store: str
) -> None:
    console = await make_console(store=store)
    son = console.ids[SON]
    code = await provider_code(console)
    agent = await console.agent()
    digits, page = await open_dispute(console, agent, code)
    assert 'value="start"' in page and 'value="reject"' in page
    assert 'value="resolve"' not in page

    status, page = await act(agent, digits, "start")
    assert status == 200
    assert 'id="dispute-status">In progress' in page
    assert "moved it from Received to In progress" in page

    # Put it right: the certificate, for this dispute.
    until = (console.inquiries.today() + timedelta(days=200)).isoformat()
    status, record = await record_certificate(agent, page, until, DisputeCode(digits).grouped())
    assert status == 200, record
    assert "The document is on file" in record
    assert "University of Tehran certificate seen at branch 12" in record
    assert until in record and "branch" in record
    son_row = re.search(r'<tr class="status-(\w+) focus"', record)
    assert son_row and son_row.group(1) == "eligible"  # today's status, already

    # The next inquiry answers accordingly.
    again = await checked(console, son)
    assert again.status.value == "eligible"

    status, page = await act(agent, digits, "resolve", "Certificate recorded; cover restored.")
    assert status == 200, page
    assert 'id="dispute-status">Resolved' in page
    assert "The outcome was sent to the insured person by SMS" in page
    assert "recorded a document" in page

    # The SMS went out through Twilio's REST API, to the phone on file.
    assert len(console.twilio.posts) == 1
    sms = console.twilio.posts[0]
    assert sms["To"] == REZAEI_PHONE
    assert sms["From"] == SHORT_NUMBER
    stored = await console.store.get_dispute(DisputeCode(digits))
    assert stored is not None
    assert stored.status is DisputeStatus.RESOLVED
    assert stored.sms_status == "sent"
    assert stored.sms_message_sid == console.twilio.created[0]
    assert stored.sms_message_sid in page
    assert stored.resolution_code is not None
    fresh = TrackingCode(stored.resolution_code)
    assert fresh.digits not in (code, again.tracking_code.digits)
    assert DisputeCode(digits).grouped() in sms["Body"]
    assert fresh.grouped() in sms["Body"]
    assert f"Hamid: Covered until {until}" in sms["Body"]
    assert "Hamid" in sms["Body"]
    fresh_record = await console.tg.store.answers.find(fresh)
    assert fresh_record is not None
    assert (
        fresh_record.draft.channel,
        fresh_record.draft.asker_kind,
        fresh_record.draft.asker_id,
    ) == ("console", "staff", AGENT)
    assert fresh_record.status.value == "eligible"
    assert fresh.grouped() in page

    status, page = await act(agent, digits, "close")
    assert 'id="dispute-status">Closed' in page
    status, page = await act(agent, digits, "reopen", "The family called again.")
    assert 'id="dispute-status">In progress' in page
    reopened = await console.store.get_dispute(DisputeCode(digits))
    assert reopened is not None
    assert reopened.due_at > stored.due_at  # a new service-level period


async def test_the_sms_is_in_the_language_of_the_dispute(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console), language="fa")
    await act(agent, digits, "start")
    await act(agent, digits, "reject", "No certificate was brought.")
    body = console.twilio.posts[0]["Body"]
    assert "درخواست" in body
    assert "فاقد اعتبار" in body  # still not covered
    assert "۱۴۲۰" in body
    grouped = DisputeCode(digits).grouped().translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert grouped in body


async def test_the_sms_says_when_cover_ended(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(
        console,
        agent,
        await provider_code(console, "ahmadi"),
        caller_phone="+989121110003",
        summary="Says his cover was renewed.",
    )
    await act(agent, digits, "reject", "The cover period on file has ended.")
    (sms,) = console.twilio.posts
    assert sms["To"] == "+989121110003"
    fresh = await console.inquiries.ask(Asker.for_staff(AGENT), console.ids["ahmadi"])
    assert fresh.cover_ended is not None
    assert f"Saman: NOT covered ended {fresh.cover_ended.isoformat()}" in sms["Body"]
    assert "until" not in sms["Body"]


async def test_resolving_needs_the_outcome_in_words(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    await act(agent, digits, "start")
    status, page = await act(agent, digits, "resolve", "")
    assert status == 422
    assert "Write the outcome" in page
    assert console.twilio.posts == []


@pytest.mark.parametrize(("action", "says"), [("resolve", "Received"), ("close", "Received")])
async def test_a_step_out_of_order_is_refused(console: Console, action: str, says: str) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    status, page = await act(agent, digits, action, "note")
    assert status == 409
    assert f"This cannot be done to a dispute that is {says}" in page


async def test_an_unknown_action_is_refused(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    status, _ = await act(agent, digits, "explode")
    assert status == 409


async def test_notes(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    response, page = await agent.form(
        f"/console/disputes/{digits}/notes", {"note": "Called back, no answer."}
    )
    assert response.status == 200
    assert "Called back, no answer." in page
    response, page = await agent.form(f"/console/disputes/{digits}/notes", {"note": "  "})
    assert response.status == 422
    assert "Write the note first" in page


async def test_sms_not_configured_is_said_on_the_page(make_console: MakeConsole) -> None:
    console = await make_console(sms=False)
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    await act(agent, digits, "start")
    status, page = await act(agent, digits, "resolve", "Certificate recorded.")
    assert status == 200
    assert 'id="dispute-status">Resolved' in page
    assert "SMS is not configured on this gateway" in page
    assert 'id="notify-again"' in page
    stored = await console.store.get_dispute(DisputeCode(digits))
    assert stored is not None
    assert (stored.sms_status, stored.sms_message_sid) == ("not_configured", None)
    assert stored.resolution_code is not None  # the fresh answer was given all the same


async def test_a_failed_sms_can_be_sent_again(console: Console) -> None:
    console.twilio.fail_with = [400]  # refused for good: no retry
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    await act(agent, digits, "start")
    status, page = await act(agent, digits, "resolve", "Settled by phone.")
    assert status == 200
    assert "The SMS could not be sent" in page
    stored = await console.store.get_dispute(DisputeCode(digits))
    assert stored is not None and stored.sms_status == "failed"
    first = stored.resolution_code
    response, page = await agent.form(f"/console/disputes/{digits}/notify", {})
    assert response.status == 200
    assert "The outcome was sent to the insured person by SMS" in page
    assert 'id="notify-again"' not in page
    again = await console.store.get_dispute(DisputeCode(digits))
    assert again is not None and again.sms_status == "sent"
    assert again.resolution_code != first  # a fresh answer, a fresh code
    assert len(console.twilio.created) == 1


async def test_no_phone_on_file(console: Console) -> None:
    today = console.inquiries.today()
    lone = "0499370899"
    await console.tg.store.registry.upsert_rows(
        [
            RegistryRow(
                national_id=lone,
                given_name="Nima",
                family_name="Tanha",
                birth_date=today - timedelta(days=40 * 365),
                sex="M",
                phone=None,
                relationship="self",
                principal_id=None,
                cover_start=today - timedelta(days=100),
                cover_end=today + timedelta(days=100),
                marital_status="single",
                student_until=None,
                birth_certificate_seen=None,
                disabled=None,
                has_income=None,
                other_insurer=None,
            )
        ]
    )
    answer = await checked(console, lone)
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, answer.tracking_code.digits)
    await act(agent, digits, "start")
    _, page = await act(agent, digits, "resolve", "Nothing to change.")
    assert "No phone is on file" in page
    assert console.twilio.posts == []


async def test_notifying_before_an_outcome_is_refused(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    response, page = await agent.form(f"/console/disputes/{digits}/notify", {})
    assert response.status == 409
    assert "no outcome to send yet" in page


# --- lists ----------------------------------------------------------------------------------


async def _past_due(console: Console, hours_late: int) -> DisputeCode:
    opened = datetime.now(UTC) - timedelta(hours=48 + hours_late)
    dispute = await console.store.open_dispute(
        DisputeDraft(
            console.ids[SON],
            None,
            "hotline",
            None,
            "fa",
            f"late by {hours_late} h",
            AGENT,
            opened,
            opened + timedelta(hours=48),
        )
    )
    return dispute.code


async def test_lists_and_the_overdue_list(console: Console) -> None:
    late = await _past_due(console, 5)
    later = await _past_due(console, 30)
    agent = await console.agent()
    fresh, _ = await open_dispute(console, agent, await provider_code(console))
    _, page = await agent.get("/console/disputes")
    assert dispute_codes_of(page) == [later.digits, late.digits, fresh]  # soonest due first
    assert page.count('class="late"') == 2
    _, home = await agent.get("/console/")
    assert dispute_codes_of(home) == [later.digits, late.digits, fresh]
    supervisor = await console.supervisor()
    _, overdue = await supervisor.get("/console/disputes/overdue")
    assert dispute_codes_of(overdue) == [later.digits, late.digits]
    await act(agent, fresh, "reject", "Duplicate of another call.")
    _, rejected = await agent.get("/console/disputes?status=rejected")
    assert dispute_codes_of(rejected) == [fresh]
    _, everything = await agent.get("/console/disputes?status=all")
    assert len(dispute_codes_of(everything)) == 3
    _, none = await agent.get("/console/disputes?status=closed")
    assert "No disputes here" in none


# --- corrections ----------------------------------------------------------------------------


async def test_a_recorded_document_changes_the_next_answer(console: Console) -> None:
    son = console.ids[SON]
    before = await checked(console, son)
    assert before.status.value == "not_eligible"
    agent = await console.agent()
    _, page = await agent.search(son)
    until = (console.inquiries.today() + timedelta(days=90)).isoformat()
    status, record = await record_certificate(agent, page, until)
    assert status == 200
    assert "The document is on file" in record
    after = await console.inquiries.ask(Asker.for_staff(AGENT), son)
    assert after.status.value == "eligible"
    assert after.cover_end is not None
    assert after.cover_end.isoformat() <= until
    family = await console.tg.store.registry.find_family(son)
    assert family is not None
    member = family.member(son)
    assert member is not None
    assert [(d.kind, d.source) for d in member.documents] == [("student_certificate", "branch")]
    documents = await console.store.documents_of(son)
    assert documents[-1].recorded_by == AGENT
    assert documents[-1].note == "University of Tehran certificate seen at branch 12"


async def test_a_lapsed_certificate_does_not_count(console: Console) -> None:
    agent = await console.agent()
    _, page = await agent.search(console.ids[SON])
    yesterday = (console.inquiries.today() - timedelta(days=1)).isoformat()
    status, record = await record_certificate(agent, page, yesterday)
    assert status == 200
    assert "lapsed" in record
    after = await checked(console, console.ids[SON])
    assert after.status.value == "not_eligible"
    assert after.reasons[0].code == "STUDENT_CERTIFICATE_EXPIRED"


async def test_a_birth_certificate_seen_at_the_branch(console: Console) -> None:
    daughter = console.ids["rezaei-daughter-no-bc"]
    agent = await console.agent()
    _, page = await agent.search(daughter)
    ref = record_link_for(page, "Sara Rezaei")
    response, record = await agent.form(
        f"/console/people/{ref}/documents",
        {"kind": "birth_certificate", "note": "Original seen, unmarried.", "dispute": ""},
    )
    assert response.status == 200, record
    assert "no end" in record
    assert (await checked(console, daughter)).status.value == "eligible"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"kind": "passport"}, "Choose a document from the list"),
        ({"valid_until": "2026-02-30"}, ""),
        ({"valid_from": "2030-01-01", "valid_until": "2029-01-01"}, "cannot end before it starts"),
        ({"note": ""}, "Say why"),
        ({"note": "x" * 2001}, "At most 2000"),
        ({"dispute": "D-0000-0000"}, "not a dispute code"),
        ({"dispute": "D-1234-5679"}, "no dispute with this code"),
    ],
)
async def test_recording_refuses_what_is_wrong(
    console: Console, fields: dict[str, str], says: str
) -> None:
    agent = await console.agent()
    _, page = await agent.search(console.ids[SON])
    ref = record_link_for(page, "Hamid Rezaei")
    data = {
        "kind": "student_certificate",
        "valid_from": "",
        "valid_until": "2099-01-01",
        "note": "seen",
        "dispute": "",
    }
    data.update(fields)
    response, body = await agent.form(f"/console/people/{ref}/documents", data)
    assert response.status == 422, body
    assert says in body
    assert await console.store.documents_of(console.ids[SON]) == []


async def test_a_phone_correction_is_kept_with_who_when_why(console: Console) -> None:
    principal = console.ids["rezaei"]
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    _, page = await agent.search(principal)
    ref = record_link_for(page, "Ali Rezaei")
    response, record = await agent.form(
        f"/console/people/{ref}/phone",
        {
            "phone": "0912 222 0001",
            "reason": "New SIM card, confirmed by the caller's ID at the branch.",
            "dispute": digits,
        },
    )
    assert response.status == 200, record
    assert "The phone number is corrected" in record
    assert 'id="phone-on-file">+989122220001<' in record
    assert REZAEI_PHONE in record  # the old number, in the change log
    changes = await console.store.phone_changes(principal)
    assert [(c.old_phone, c.new_phone, c.changed_by) for c in changes] == [
        (REZAEI_PHONE, "+989122220001", AGENT)
    ]
    assert changes[0].reason.startswith("New SIM card")
    family = await console.tg.store.registry.find_family(principal)
    assert family is not None and family.principal.phone == "+989122220001"
    _, dispute = await agent.get(f"/console/disputes/{digits}")
    assert "corrected the phone number" in dispute
    # The outcome now goes to the new number.
    await act(agent, digits, "start")
    await act(agent, digits, "resolve", "Phone corrected.")
    assert console.twilio.posts[-1]["To"] == "+989122220001"


@pytest.mark.parametrize(
    ("fields", "says"),
    [({"phone": "not a phone"}, "cannot be read"), ({"reason": ""}, "Say why")],
)
async def test_phone_correction_refuses_what_is_wrong(
    console: Console, fields: dict[str, str], says: str
) -> None:
    agent = await console.agent()
    _, page = await agent.search(console.ids["rezaei"])
    ref = record_link_for(page, "Ali Rezaei")
    data = {"phone": "09122220001", "reason": "r", "dispute": ""} | fields
    response, body = await agent.form(f"/console/people/{ref}/phone", data)
    assert response.status == 422
    assert says in body
    assert await console.store.phone_changes(console.ids["rezaei"]) == []


async def test_the_supervisor_sees_what_agents_did(console: Console) -> None:
    agent = await console.agent()
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    supervisor = await console.supervisor()
    _, page = await supervisor.get(f"/console/disputes/{digits}")
    assert console.ids[SON] in page  # whole, for a supervisor
    assert f"· <bdi>{AGENT}</bdi>" in page
    await act(supervisor, digits, "start")
    stored = await console.store.events(DisputeCode(digits))
    assert [e.staff for e in stored] == [AGENT, SUPERVISOR]
