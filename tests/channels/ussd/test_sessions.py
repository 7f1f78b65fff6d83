"""Sessions across hops and callers: codes checked later, remembered languages, limits, retries."""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
from dataclasses import replace
from pathlib import Path

import pytest
import structlog
from pytest_aiohttp import AiohttpClient
from structlog.testing import capture_logs

from eligibility_gw.app import create_app
from eligibility_gw.demo import Persona
from eligibility_gw.settings import StateSettings
from eligibility_gw.wording import Wording
from tests.channels.ussd.conftest import MakeGateway
from tests.channels.ussd.support import (
    KARIMI,
    PROVIDER,
    REZAEI,
    STRANGER,
    AtSession,
    Gateway,
    HubtelSession,
    fill_registry,
    gateway_settings,
    persona,
)

_CODE = re.compile(r"(\d{4}-\d{4}-\d{4})")


def code_in(text: str) -> str:
    """The tracking code a screen shows."""
    found = _CODE.search(text)
    assert found, text
    return found.group(1)


async def my_cover_code(gateway: Gateway, dialect: str, phone: str = REZAEI) -> str:
    """Ask "my cover" and return the tracking code given."""
    session = gateway.session(dialect, phone)
    await session.dial()
    return code_in((await session.send("1")).text)


async def verify(gateway: Gateway, dialect: str, phone: str, code: str) -> str:
    """Check a code through the menu; the last screen."""
    session = gateway.session(dialect, phone)
    home = await session.dial()
    verify_option = next(line for line in home.text.splitlines() if "Verify" in line)
    await session.send(verify_option.split(".")[0])
    screen = await session.send(code)
    assert screen.end
    return screen.text


async def test_codes_are_shown_only_to_the_phone_that_received_them(
    gateway: Gateway, dialect: str
) -> None:
    code = await my_cover_code(gateway, dialect)
    today = gateway.core.service.today().isoformat()
    own = await verify(gateway, dialect, REZAEI, code)
    assert own == f"Code {code}\nCovered on {today}"
    persian_digits = Wording("fa").digits(code.replace("-", " "))
    assert code in await verify(gateway, dialect, REZAEI, persian_digits)
    for other in (STRANGER, KARIMI, PROVIDER):
        assert await verify(gateway, dialect, other, code) == (
            "This code cannot be shown to this phone."
        )


async def test_a_provider_sees_its_own_codes(
    gateway: Gateway, dialect: str, people: list[Persona]
) -> None:
    session = gateway.session(dialect, PROVIDER)
    await session.dial()
    await session.send("1")
    await session.send(persona(people, "karimi-daughter").row.national_id)
    code = code_in((await session.send("1")).text)
    assert "Covered on" in await verify(gateway, dialect, PROVIDER, code)
    assert "cannot be shown" in await verify(gateway, dialect, KARIMI, code)


async def test_the_chosen_language_is_remembered(gateway: Gateway, dialect: str) -> None:
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    await session.send("4")
    assert "۱ اعتبار من" in (await session.send("2")).text
    again = gateway.session(dialect, REZAEI)
    assert "استعلام درمان" in (await again.dial()).text
    other = gateway.session(dialect, KARIMI)
    assert "Treatment eligibility" in (await other.dial()).text


async def test_answers_per_phone_are_limited(make_gateway: MakeGateway, dialect: str) -> None:
    gateway = await make_gateway(answers_per_hour=2)
    for _ in range(2):
        await my_cover_code(gateway, dialect)
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    screen = await session.send("1")
    assert screen.end
    assert screen.text == "Too many requests from this phone. Please try again later."
    assert await gateway.answers() == 2


async def test_checks_of_one_national_id_are_limited(
    make_gateway: MakeGateway, dialect: str, people: list[Persona]
) -> None:
    gateway = await make_gateway(asks_per_national_id_per_hour=1)
    hamid = persona(people, "rezaei-son-no-cert").row.national_id
    screens = []
    for typed in (hamid, hamid[:3] + " " + hamid[3:]):
        session = gateway.session(dialect, PROVIDER)
        await session.dial()
        await session.send("1")
        await session.send(typed)
        screens.append(await session.send("1"))
    assert "Code " in screens[0].text
    assert screens[1].end
    assert screens[1].text == "This person was checked too often. Please try again later."
    assert await gateway.answers() == 1


async def test_a_retry_racing_the_first_callback_gets_the_same_answer(
    gateway: Gateway, dialect: str
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


async def test_a_session_answers_only_the_phone_that_opened_it(gateway: Gateway) -> None:
    mine = AtSession(gateway.client, REZAEI)
    await mine.dial()
    thief = AtSession(gateway.client, STRANGER, session_id=mine.session_id)
    thief.history = ["1"]
    screen = await thief.post(thief.form("1"))
    assert screen.end
    assert "cannot go on" in screen.text
    assert "Ali" in (await mine.send("1")).text


async def test_a_history_that_does_not_follow_ends_the_session(gateway: Gateway) -> None:
    session = AtSession(gateway.client, REZAEI)
    await session.dial()
    await session.send("2")
    screen = await session.post(session.form("3*1"))
    assert screen.end
    assert screen.text == "This session cannot go on. Please dial again."


async def test_hubtel_repeats_by_sequence(gateway: Gateway) -> None:
    session = HubtelSession(gateway.client, REZAEI)
    home = await session.dial()
    assert (await session.repeat()).text == home.text
    listing = await session.send("2")
    stale = dict(session.last, Sequence=1, Type="Response", Message="1")
    assert (await session.repeat()).text == listing.text
    screen = await session.post(stale)
    assert screen.end
    assert "cannot go on" in screen.text


async def test_hubtel_release_ends_the_session(gateway: Gateway) -> None:
    session = HubtelSession(gateway.client, REZAEI)
    await session.dial()
    session.sequence += 1
    screen = await session.post(session.payload("release", ""))
    assert screen.end
    assert screen.text == "Goodbye."
    assert "expired" in (await session.send("1")).text


async def test_hubtel_numbers_with_or_without_plus(gateway: Gateway) -> None:
    for mobile in ("989121110001", "+989121110001", "09121110001"):
        session = HubtelSession(gateway.client, REZAEI)
        session.sequence = 1
        payload = session.payload("Initiation", "*713#") | {"Mobile": mobile}
        assert "1. My cover" in (await session.post(payload)).text


async def test_logs_hold_no_phone_national_id_or_name(
    gateway: Gateway, dialect: str, people: list[Persona]
) -> None:
    hamid = persona(people, "rezaei-son-no-cert").row
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
    aiohttp_client: AiohttpClient, db_path: Path, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session state is plain JSON in any key-value store: the scale-out store works too."""
    monkeypatch.setenv("ELIGIBILITY_GW_PSEUDONYM_KEY", "shared-by-every-process")
    if not _redis_reachable():
        pytest.skip("no Redis server on 127.0.0.1:6379 (CI runs one)")
    settings = gateway_settings(db_path, ("en", "fa"))
    state = StateSettings("redis://127.0.0.1:6379/15", f"test-ussd-{secrets.token_hex(4)}:")
    settings = replace(settings, state=state)
    await fill_registry(settings)
    gateway = Gateway(await aiohttp_client(create_app(settings)))
    session = gateway.session(dialect, REZAEI)
    await session.dial()
    await session.send("2")
    answer = await session.send("4")
    assert (await session.repeat()).text == answer.text
    assert await gateway.answers() == 1
    assert code_in(answer.text) in await verify(gateway, dialect, REZAEI, code_in(answer.text))
