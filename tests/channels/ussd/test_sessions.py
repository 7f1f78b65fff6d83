"""Sessions across hops and callers: codes checked later, remembered languages, quotas, retries."""

from __future__ import annotations

import asyncio
import re
import secrets
import socket

import pytest
import structlog
from structlog.testing import capture_logs

from eligibility_gw.domain.errors import QuotaExceeded
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.wording import Wording
from tests.channels.ussd.conftest import MakeUssd
from tests.channels.ussd.support import (
    KARIMI,
    OTHER_PROVIDER,
    PROVIDER,
    REZAEI,
    STRANGER,
    AtSession,
    HubtelSession,
    UssdGateway,
    provider_check,
)

_CODE = re.compile(r"(\d{4}-\d{4}-\d{4})")
OTHER = OTHER_PROVIDER


def code_in(text: str) -> str:
    """The tracking code a screen shows."""
    found = _CODE.search(text)
    assert found, text
    return found.group(1)


async def my_cover_code(gateway: UssdGateway, dialect: str, phone: str = REZAEI) -> str:
    """Ask "my cover" and return the tracking code given."""
    session = gateway.session(dialect, phone)
    await session.dial()
    return code_in((await session.send("1")).text)


async def verify(gateway: UssdGateway, dialect: str, phone: str, code: str) -> str:
    """Check a code through the menu; the last screen."""
    session = gateway.session(dialect, phone)
    home = await session.dial()
    verify_option = next(line for line in home.text.splitlines() if "Verify" in line)
    await session.send(verify_option.split(".")[0])
    screen = await session.send(code)
    assert screen.end
    return screen.text


async def test_codes_are_shown_only_to_the_phone_that_received_them(
    gateway: UssdGateway, dialect: str
) -> None:
    code = await my_cover_code(gateway, dialect)
    today = gateway.inquiries.today().isoformat()
    own = await verify(gateway, dialect, REZAEI, code)
    assert own == f"Code {code}\nCovered on {today}"
    persian_digits = Wording("fa").digits(code.replace("-", " "))
    assert code in await verify(gateway, dialect, REZAEI, persian_digits)
    for other in (STRANGER, KARIMI, PROVIDER):
        assert await verify(gateway, dialect, other, code) == (
            "This code cannot be shown to this phone."
        )


async def test_a_provider_sees_its_own_codes(gateway: UssdGateway, dialect: str) -> None:
    code = code_in((await provider_check(gateway, dialect, gateway.nid("karimi-daughter"))).text)
    assert "Covered on" in await verify(gateway, dialect, PROVIDER, code)
    assert "cannot be shown" in await verify(gateway, dialect, KARIMI, code)
    # Another provider's code is not this provider's to see, nor the other way round.
    other = code_in((await provider_check(gateway, dialect, gateway.nid("rezaei"), OTHER)).text)
    assert "cannot be shown" in await verify(gateway, dialect, PROVIDER, other)
    assert "Covered on" in await verify(gateway, dialect, OTHER, other)


async def test_the_chosen_language_is_remembered(gateway: UssdGateway, dialect: str) -> None:
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    await session.send("4")
    assert "۱ اعتبار من" in (await session.send("2")).text
    again = gateway.session(dialect, REZAEI)
    assert "استعلام درمان" in (await again.dial()).text
    other = gateway.session(dialect, KARIMI)
    assert "Treatment eligibility" in (await other.dial()).text


QUOTA_SCREENS = {
    "asker": "Too many inquiries. Please try again in {minutes} minutes.",
    "provider_national_id": (
        "You checked this person too often. Please try again in {minutes} minutes."
    ),
    "national_id": "This person was checked too often. Please try again in {minutes} minutes.",
}


#: What is left of the hour the pinned clock stands in (30 min 30 s in), rounded up.
HALF_AN_HOUR = 30


@pytest.mark.usefixtures("pinned_clock")
async def test_answers_and_code_checks_of_one_phone_share_the_core_quota(
    make_ussd: MakeUssd, dialect: str
) -> None:
    gateway = await make_ussd(inquiries={"insured_per_hour": 3})
    code = await my_cover_code(gateway, dialect)
    await my_cover_code(gateway, dialect)
    assert "Covered on" in await verify(gateway, dialect, REZAEI, code)
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    screen = await session.send("1")
    assert screen.end
    assert screen.text == QUOTA_SCREENS["asker"].format(minutes=HALF_AN_HOUR)
    assert await gateway.answers() == 2
    # Another phone has a budget of its own.
    assert "Hossein: Eligible" in (await my_cover_answer(gateway, dialect, KARIMI))


async def my_cover_answer(gateway: UssdGateway, dialect: str, phone: str) -> str:
    """The "my cover" screen of ``phone``."""
    session = gateway.session(dialect, phone)
    await session.dial()
    return (await session.send("1")).text


@pytest.mark.usefixtures("pinned_clock")
async def test_a_provider_checks_one_person_within_one_quota_for_every_channel(
    make_ussd: MakeUssd, dialect: str
) -> None:
    """End to end on SQLite: the count is the core's, whichever channel the checks came by."""
    gateway = await make_ussd(store="sqlite", inquiries={"provider_per_national_id": 3})
    hamid = gateway.nid("rezaei-son-no-cert")
    pharmacy = await gateway.pharmacy()
    web = Asker.for_provider("web", pharmacy)
    for _ in range(2):  # the same provider's checks through the API (or SMS, or the pages)
        await gateway.inquiries.ask(web, hamid)
    third = await provider_check(gateway, dialect, hamid[:3] + " " + hamid[3:])
    assert "Not eligible on" in third.text
    refused = await provider_check(gateway, dialect, hamid)
    assert refused.end
    assert refused.text == QUOTA_SCREENS["provider_national_id"].format(minutes=HALF_AN_HOUR)
    with pytest.raises(QuotaExceeded) as raised:
        await gateway.inquiries.ask(web, hamid)
    assert raised.value.scope == "provider_national_id"
    assert await gateway.answers() == 3
    # Nobody else is locked out: another provider about Hamid, the pharmacy about others.
    assert "Not eligible on" in (await provider_check(gateway, dialect, hamid, OTHER)).text
    ali = gateway.nid("rezaei")
    assert "Eligible on" in (await provider_check(gateway, dialect, ali)).text
    assert await gateway.answers() == 5


@pytest.mark.usefixtures("pinned_clock")
async def test_all_providers_together_stop_at_the_ceiling_for_one_person(
    make_ussd: MakeUssd, dialect: str
) -> None:
    gateway = await make_ussd(inquiries={"provider_per_national_id": 5, "national_id_ceiling": 3})
    hamid = gateway.nid("rezaei-son-no-cert")
    await gateway.inquiries.ask(Asker.for_provider("sms", await gateway.pharmacy()), hamid)
    await gateway.inquiries.ask(Asker.for_provider("web", gateway.other), hamid)
    assert "Code " in (await provider_check(gateway, dialect, hamid)).text
    refused = await provider_check(gateway, dialect, hamid, OTHER)
    assert refused.text == QUOTA_SCREENS["national_id"].format(minutes=HALF_AN_HOUR)
    assert await gateway.answers() == 3
    # The person themself still learns their own cover: the ceiling is on providers.
    assert "Hamid: Not eligible" in await family_answer(gateway, dialect, REZAEI, "4")


async def family_answer(gateway: UssdGateway, dialect: str, phone: str, number: str) -> str:
    """The answer about the family member listed as ``number``."""
    session = gateway.session(dialect, phone)
    await session.dial()
    await session.send("2")
    return (await session.send(number)).text


@pytest.mark.usefixtures("pinned_clock")
async def test_a_provider_past_its_own_budget_is_told_so(make_ussd: MakeUssd, dialect: str) -> None:
    gateway = await make_ussd(inquiries={"provider_per_minute": 2})
    pharmacy = await gateway.pharmacy()
    await gateway.inquiries.ask(Asker.for_provider("web", pharmacy), gateway.nid("rezaei"))
    assert "Code " in (await provider_check(gateway, dialect, gateway.nid("karimi"))).text
    refused = await provider_check(gateway, dialect, gateway.nid("ahmadi"))
    assert refused.text == "Too many inquiries. Please try again in 1 minute."
    # Codes count too: the pharmacy cannot even verify one until the minute is over.
    code = TrackingCode.new().grouped()
    assert await verify(gateway, dialect, PROVIDER, code) == refused.text


async def test_a_deactivated_provider_is_refused_by_the_core(
    gateway: UssdGateway, dialect: str
) -> None:
    """The menu offered the check while active; deactivated since, the core refuses it."""
    pharmacy = await gateway.pharmacy()
    session = gateway.session(dialect, PROVIDER)
    await session.dial()
    await session.send("1")
    await session.send(gateway.nid("rezaei"))
    await gateway.test.store.providers.set_active(pharmacy.provider_id, False)
    screen = await session.send("1")
    assert screen.end
    assert screen.text.startswith("This provider is deactivated")
    assert await gateway.answers() == 0


async def test_an_answer_that_cannot_be_logged_ends_politely(
    gateway: UssdGateway, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("disk full")

    monkeypatch.setattr(gateway.test.store.answers, "append", broken)
    with capture_logs() as logs:
        screen = await my_cover_answer(gateway, dialect, REZAEI)
    assert screen == "The service is busy. Please try again shortly."
    events = [entry["event"] for entry in logs]
    assert "ussd_store_unavailable" in events
    assert "ussd_hop_failed" not in events  # no traceback: the store's failure is no bug


async def test_a_retry_racing_the_first_callback_gets_the_same_answer(
    gateway: UssdGateway, dialect: str
) -> None:
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    await session.send("2")
    # A retry carries the same history (or sequence) as the hop it repeats.
    if isinstance(session, AtSession):
        session.history.append("4")
        form = session.form("*".join(session.history))
        screens = await asyncio.gather(session.post(form), session.post(form))
    else:
        assert isinstance(session, HubtelSession)
        session.sequence += 1
        payload = session.payload("Response", "4")
        screens = await asyncio.gather(session.post(payload), session.post(payload))
    assert screens[0].text == screens[1].text
    assert screens[0].end and screens[1].end
    assert await gateway.answers() == 1


async def test_a_session_answers_only_the_phone_that_opened_it(gateway: UssdGateway) -> None:
    mine = AtSession(gateway.client, REZAEI)
    await mine.dial()
    thief = AtSession(gateway.client, STRANGER, session_id=mine.session_id)
    thief.history = ["1"]
    screen = await thief.post(thief.form("1"))
    assert screen.end
    assert "cannot go on" in screen.text
    assert "Ali" in (await mine.send("1")).text


async def test_a_history_that_does_not_follow_ends_the_session(gateway: UssdGateway) -> None:
    session = AtSession(gateway.client, REZAEI)
    await session.dial()
    await session.send("2")
    screen = await session.post(session.form("3*1"))
    assert screen.end
    assert screen.text == "This session cannot go on. Please dial again."


async def test_hubtel_repeats_by_sequence(gateway: UssdGateway) -> None:
    session = HubtelSession(gateway.client, REZAEI)
    home = await session.dial()
    assert (await session.repeat()).text == home.text
    listing = await session.send("2")
    stale = dict(session.last, Sequence=1, Type="Response", Message="1")
    assert (await session.repeat()).text == listing.text
    screen = await session.post(stale)
    assert screen.end
    assert "cannot go on" in screen.text


async def test_hubtel_release_ends_the_session(gateway: UssdGateway) -> None:
    session = HubtelSession(gateway.client, REZAEI)
    await session.dial()
    session.sequence += 1
    screen = await session.post(session.payload("release", ""))
    assert screen.end
    assert screen.text == "Goodbye."
    assert "expired" in (await session.send("1")).text


async def test_hubtel_numbers_with_or_without_plus(gateway: UssdGateway) -> None:
    for mobile in ("989121110001", "+989121110001", "09121110001"):
        session = HubtelSession(gateway.client, REZAEI)
        session.sequence = 1
        payload = session.payload("Initiation", "*713#") | {"Mobile": mobile}
        assert "1. My cover" in (await session.post(payload)).text


async def test_logs_hold_no_phone_national_id_or_name(gateway: UssdGateway, dialect: str) -> None:
    hamid = gateway.test.people["rezaei-son-no-cert"].row
    with capture_logs() as logs:
        structlog.contextvars.clear_contextvars()
        await my_cover_code(gateway, dialect)
        session = gateway.session(dialect, PROVIDER)
        await session.dial()
        await session.send("1")
        await session.send(hamid.national_id)
        await session.send("1")
        session = gateway.session(dialect, REZAEI)
        await session.dial()
        await session.send("2")
        await session.send("4")
    assert any(entry["event"] == "ussd_hop" for entry in logs)
    personal = (
        REZAEI,
        REZAEI.removeprefix("+"),
        PROVIDER.removeprefix("+"),
        hamid.national_id,
        hamid.given_name,
        hamid.family_name,
        "Ali",
    )
    for entry in logs:
        flat = repr(entry)
        for value in personal:
            assert value not in flat, entry


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def test_sessions_work_over_redis(
    make_ussd: MakeUssd, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session state is plain JSON in any key-value store: the scale-out store works too."""
    monkeypatch.setenv("ELIGIBILITY_GW_PSEUDONYM_KEY", "shared-by-every-process")
    if not _redis_reachable():
        pytest.skip("no Redis server on 127.0.0.1:6379 (CI runs one)")
    state = {"url": "redis://127.0.0.1:6379/15", "key_prefix": f"test-{secrets.token_hex(4)}:"}
    gateway = await make_ussd(store="sqlite", options={"extra": {"state": state}})
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    await session.send("2")
    answer = await session.send("4")
    assert (await session.repeat()).text == answer.text
    assert await gateway.answers() == 1
    assert code_in(answer.text) in await verify(gateway, dialect, REZAEI, code_in(answer.text))
