"""USSD under hostile input, in both dialects: every answer is a screen the operator can show.

Africa's Talking gets ``CON``/``END`` plain text, Hubtel a ``Response``/``Release`` JSON
object; a request that cannot be read ends the session with a 4xx and a polite last screen,
never a 5xx, a traceback, or a screen too long for a phone.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_gw.demo import persona_id
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.textbudget import fits_ussd
from tests.conftest import ir_id, with_bad_check_digit
from tests.hostile.strategies import (
    CONTENT_TYPES,
    encoded,
    field_value,
    json_values,
    nasty_text,
    raw_bodies,
)
from tests.hostile.support import (
    AT_PATH,
    CLOSED_PHONE,
    HUBTEL_PATH,
    KARIMI_PHONE,
    PROVIDER_PHONE,
    REZAEI_PHONE,
    STRANGER_PHONE,
    Answer,
    Hostile,
    assert_sound,
    form_body,
)

PACK = load_rule_pack("ir-tamin")
KNOWN_ID = persona_id(PACK, 2)
FORM = "application/x-www-form-urlencoded"
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CALLERS = (PROVIDER_PHONE, CLOSED_PHONE, REZAEI_PHONE, KARIMI_PHONE, STRANGER_PHONE)
ODD_CALLERS = ("0912 111 0001", "۰۹۱۲۱۱۱۰۰۰۱", "\u202a+989121110001\u202c", "+", "00", "9" * 200)
INPUTS = (
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "0",
    "00",
    "98",
    "99",
    KNOWN_ID,
    ir_id(2),
    with_bad_check_digit(KNOWN_ID),
    "1404-09-02",
    "2026-01-01",
    "482109375526",
    "*",
    "#",
)


def inputs() -> st.SearchStrategy[str]:
    """What a caller types on one screen."""
    return st.one_of(st.sampled_from(INPUTS), st.sampled_from(INPUTS), field_value(INPUTS))


def callers() -> st.SearchStrategy[str]:
    """The caller's number as the gateway sends it, or garbage."""
    return st.one_of(
        st.sampled_from(CALLERS),
        st.sampled_from(CALLERS),
        st.sampled_from(ODD_CALLERS),
        nasty_text(20),
    )


def session_ids() -> st.SearchStrategy[str]:
    """Gateway session ids: mostly fresh and sane."""
    sane = st.text("abcdefABCDEF0123456789_", min_size=8, max_size=40)
    return st.one_of(sane, sane, sane, nasty_text(), st.just("s" * 500))


def assert_at_screen(answer: Answer) -> None:
    """Africa's Talking reads ``CON text`` or ``END text``; an error ends the session."""
    assert_sound(answer, "africastalking")
    assert answer.content_type == "text/plain", answer
    assert answer.text.startswith(("CON ", "END ")), answer
    if answer.status != 200:
        assert 400 <= answer.status < 500 and answer.text.startswith("END "), answer
    assert fits_ussd(answer.text[4:]), answer.text


def assert_hubtel_screen(answer: Answer) -> None:
    """Hubtel reads ``{"Type": "Response"|"Release", "Message": text}``."""
    assert_sound(answer, "hubtel")
    assert answer.content_type == "application/json", answer
    data = answer.json()
    assert isinstance(data, dict) and set(data) == {"Type", "Message"}, data
    assert data["Type"] in ("Response", "Release"), data
    if answer.status != 200:
        assert 400 <= answer.status < 500 and data["Type"] == "Release", answer
    assert isinstance(data["Message"], str) and fits_ussd(data["Message"]), data


@st.composite
def at_hops(draw: st.DrawFn) -> list[tuple[bytes, str | None]]:
    """One session's hops as Africa's Talking posts them, fields sometimes broken."""
    fields = {
        "sessionId": draw(session_ids()),
        "serviceCode": "*384*1420#",
        "phoneNumber": draw(callers()),
        "networkCode": "63902",
    }
    typed: list[str] = []
    hops = []
    for step in range(draw(st.integers(1, 6))):
        if step:
            typed.append(draw(inputs()))
        pairs = [*fields.items(), ("text", "*".join(typed))]
        if draw(st.integers(0, 5)) == 0:  # a field dropped, repeated or replaced
            i = draw(st.integers(0, len(pairs) - 1))
            name = pairs[i][0]
            pairs[i : i + 1] = draw(
                st.sampled_from([[], [pairs[i], (name, "x")], [(name, draw(field_value(INPUTS)))]])
            )
        body = form_body(pairs)
        content_type: str | None = FORM
        if draw(st.integers(0, 5)) == 0:  # the body or its declared type is wrong
            body = draw(st.one_of(encoded(st.just(body.decode("ascii"))), raw_bodies()))
            content_type = draw(st.sampled_from(CONTENT_TYPES))
        hops.append((body, content_type))
    return hops


@HOSTILE
@given(hops=at_hops())
async def test_africastalking_always_answers_a_screen(
    gateway: Hostile, hops: list[tuple[bytes, str | None]]
) -> None:
    for body, content_type in hops:
        answer = await gateway.send("POST", AT_PATH, body, content_type)
        assert_at_screen(gateway.remember(answer))
    await gateway.assert_nothing_lost()


def hubtel_values() -> st.SearchStrategy[Any]:
    """A value where Hubtel sends a string or a number: anything JSON can hold."""
    return st.one_of(field_value(INPUTS), json_values(4))


@st.composite
def hubtel_hops(draw: st.DrawFn) -> list[bytes]:
    """One session's hops as Hubtel posts them, with fields of any type now and then."""
    mobile = draw(callers()).removeprefix("+")
    session = draw(session_ids())
    hops = []
    for sequence in range(1, draw(st.integers(1, 6)) + 1):
        kind = "Initiation" if sequence == 1 else "Response"
        if draw(st.integers(0, 6)) == 0:
            kind = draw(st.sampled_from(["Release", "Timeout", "release", "Bogus", ""]))
        message = "*713*1420#" if sequence == 1 else draw(inputs())
        data: dict[str, Any] = {
            "Type": kind,
            "Mobile": mobile,
            "SessionId": session,
            "ServiceCode": "713*1420",
            "Message": message,
            "Operator": "mtn",
            "Sequence": sequence,
            "ClientState": "",
        }
        if draw(st.integers(0, 4)) == 0:
            name = draw(st.sampled_from(sorted(data)))
            if draw(st.booleans()):
                data[name] = draw(hubtel_values())
            else:
                del data[name]
        body = json.dumps(data, ensure_ascii=draw(st.booleans())).encode("utf-8")
        if draw(st.integers(0, 6)) == 0:
            body = draw(
                st.one_of(
                    encoded(st.just(body.decode("utf-8"))),
                    json_values().map(lambda v: json.dumps(v).encode("utf-8")),
                    raw_bodies(),
                )
            )
        hops.append(body)
    return hops


@HOSTILE
@given(hops=hubtel_hops(), content_type=st.sampled_from(["application/json"] * 5 + [None, FORM]))
async def test_hubtel_always_answers_a_screen(
    gateway: Hostile, hops: list[bytes], content_type: str | None
) -> None:
    for body in hops:
        answer = await gateway.send("POST", HUBTEL_PATH, body, content_type)
        assert_hubtel_screen(gateway.remember(answer))
    await gateway.assert_nothing_lost()
