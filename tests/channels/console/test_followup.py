"""After a dispute: did the outcome SMS arrive? And finding a caller without their id.

Before, a dispute's outcome SMS that Twilio reported undelivered (a status callback with
error 30005) was still shown as "sent", with no way to send it again; and a caller who did
not know their national id could not be found at all.
"""

from __future__ import annotations

import re

import jdatetime
import pytest

from eligibility_gw.domain.disputes import DisputeCode
from eligibility_gw.ports.casework import AccessQuery
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import AGENT, SON, StaffVisitor
from tests.channels.console.test_casework import act, open_dispute, provider_code
from tests.channels.sms.support import ACCOUNT_SID, STATUS, SmsGateway

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


async def _resolved(console: Console, agent: StaffVisitor) -> tuple[str, str]:
    """A dispute resolved and its outcome SMS handed to Twilio; its digits and the SID."""
    digits, _ = await open_dispute(console, agent, await provider_code(console))
    await act(agent, digits, "start")
    status, page = await act(agent, digits, "resolve", "Certificate seen; cover restored.")
    assert status == 200, page
    stored = await console.store.get_dispute(DisputeCode(digits))
    assert stored is not None and stored.sms_status == "sent" and stored.sms_message_sid
    return digits, stored.sms_message_sid


async def _callback(console: Console, sid: str, status: str, error: str = "") -> None:
    """Twilio's status callback for ``sid``, signed as Twilio signs it."""
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
    if error:
        form["ErrorCode"] = error
    reply = await SmsGateway(console.tg).post(form, path=STATUS)
    assert reply.status == 204


def _delivery(page: str) -> str:
    found = re.search(r'<p class="delivery delivery-(\w+)" id="sms-delivery"', page)
    assert found, "no delivery status on the page"
    return found.group(1)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_an_undelivered_outcome_sms_is_flagged_with_call_the_person_and_a_resend(
    make_console: MakeConsole, store: str
) -> None:
    console = await make_console(store=store)
    agent = await console.agent()
    digits, sid = await _resolved(console, agent)
    _, page = await agent.get(f"/console/disputes/{digits}")
    assert _delivery(page) == "pending"
    assert 'id="notify-again"' not in page

    await _callback(console, sid, "sent")
    await _callback(console, sid, "undelivered", "30005")
    _, page = await agent.get(f"/console/disputes/{digits}")
    assert _delivery(page) == "undelivered"
    assert (
        "The SMS did not reach the phone: Twilio reports <bdi>not delivered</bdi>"
        " (error <bdi>30005</bdi>)." in page
    )
    assert "Call the person to tell them the outcome, or send the SMS again." in page
    assert 'id="notify-again"' in page

    # The supervisor's list says so above any list, and lists them on their own.
    supervisor = await console.supervisor()
    _, listing = await supervisor.get("/console/disputes")
    assert 'id="undelivered-outcomes"' in listing
    assert "1 outcome SMS did not reach the person: call them." in listing
    _, flagged = await supervisor.get("/console/disputes?status=undelivered")
    assert 'id="call-list-hint"' in flagged
    assert f'href="/console/disputes/{digits}"' in flagged
    _, as_agent = await agent.get("/console/disputes")
    assert 'id="undelivered-outcomes"' not in as_agent  # agents work from their own lists

    # Sent again, and delivered this time: no longer flagged.
    response, page = await agent.form(f"/console/disputes/{digits}/notify", {})
    assert response.status == 200
    again = await console.store.get_dispute(DisputeCode(digits))
    assert again is not None and again.sms_message_sid not in (None, sid)
    assert again.sms_message_sid is not None
    await _callback(console, again.sms_message_sid, "delivered")
    _, page = await agent.get(f"/console/disputes/{digits}")
    assert _delivery(page) == "delivered"
    assert "Twilio reports the SMS delivered to the phone." in page
    assert 'id="notify-again"' not in page
    _, listing = await supervisor.get("/console/disputes")
    assert 'id="undelivered-outcomes"' not in listing
    _, flagged = await supervisor.get("/console/disputes?status=undelivered")
    assert f'href="/console/disputes/{digits}"' not in flagged


async def test_the_delivery_words_are_persian_for_persian_staff(console: Console) -> None:
    agent = await console.agent()
    digits, sid = await _resolved(console, agent)
    await _callback(console, sid, "failed", "30003")
    persian = await console.agent(**{"Accept-Language": "fa"})
    _, page = await persian.get(f"/console/disputes/{digits}?lang=fa")
    assert _delivery(page) == "undelivered"
    assert "پیامک به گوشی نرسید" in page


# --- finding a caller by family name and birth date -----------------------------------------


async def test_a_caller_is_found_by_family_name_and_birth_date_in_either_calendar(
    console: Console,
) -> None:
    son = console.tg.people[SON].row
    assert son.birth_date is not None
    solar = jdatetime.date.fromgregorian(date=son.birth_date)
    agent = await console.agent()
    searches = [
        f"Rezaei {son.birth_date.isoformat()}",
        f"{son.birth_date.isoformat()} rezaei",
        f"REZAEI {solar.year}/{solar.month:02d}/{solar.day:02d}".translate(PERSIAN_DIGITS),
    ]
    for text in searches:
        response, page = await agent.search(text)
        assert response.status == 200, text
        focused = re.findall(r'<tr class="status-\w+ focus"', page)
        assert len(focused) == 1, text
        assert "<bdi>Hamid Rezaei</bdi>" in page
        assert son.national_id not in page  # masked for agents until the record is opened
    logged = await console.store.access_log(AccessQuery(staff=AGENT, national_id=son.national_id))
    assert len(logged) >= len(searches)

    response, page = await agent.search(f"Karimi {son.birth_date.isoformat()}")
    assert response.status == 200
    assert 'id="nothing-found"' in page


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Rezaei", "Give the family name and the birth date"),
        ("Rezaei 2001-02-30", "The birth date cannot be read"),
    ],
)
async def test_a_name_search_without_a_readable_date_is_refused_in_words(
    console: Console, text: str, says: str
) -> None:
    agent = await console.agent()
    response, page = await agent.search(text)
    assert response.status == 422
    assert says in page
