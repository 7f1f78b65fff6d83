"""Twilio's webhooks under hostile input: validly signed junk gets TwiML or a 4xx, never a 5xx.

Every form is signed with Twilio's own algorithm over the fields the server reads, so the
signature check lets it through and the parsers behind it are what is tested.
"""

from __future__ import annotations

import secrets
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_gw.demo import persona_id
from eligibility_gw.rulepacks import load_rule_pack
from tests.channels.sms.support import twilio_form
from tests.conftest import ir_id, with_bad_check_digit
from tests.hostile.strategies import (
    CONTENT_TYPES,
    encoded,
    field_value,
    header_values,
    nasty_text,
    raw_bodies,
)
from tests.hostile.support import (
    CLOSED_PHONE,
    PROVIDER_PHONE,
    REZAEI_PHONE,
    SMS_PATH,
    SMS_STATUS_PATH,
    STRANGER_PHONE,
    Hostile,
    assert_sound,
    assert_twiml,
    codes_in,
    form_body,
)

PACK = load_rule_pack("ir-tamin")
KNOWN_ID = persona_id(PACK, 5)
FORM = "application/x-www-form-urlencoded"
HOSTILE = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WORDS = (
    KNOWN_ID,
    ir_id(1),
    with_bad_check_digit(KNOWN_ID),
    KNOWN_ID.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    date.today().isoformat(),
    "1404/09/02",
    "14040902",
    "ID",
    "NID",
    "FAMILY",
    "CODE",
    "TRACK",
    "HELP",
    "NO",
    "کد ملی",
    "خانواده",
    "کد رهگیری",
    "راهنما",
    "خیر",
    "4821-0937-5526",
    "*",
    "-",
)
SENDERS = (
    PROVIDER_PHONE,
    PROVIDER_PHONE,
    CLOSED_PHONE,
    REZAEI_PHONE,
    REZAEI_PHONE,
    STRANGER_PHONE,
    "whatsapp:" + REZAEI_PHONE,
    "client:alice",
    "09121110001",
    "۰۹۱۲۱۱۱۰۰۰۱",
    "\u202a+989121110001\u202c",
    "+",
    "+0",
    "0098" + "9" * 40,
)
_SID_CHARS = "0123456789abcdef"


def sids() -> st.SearchStrategy[str]:
    """Message SIDs: mostly well formed and fresh; repeated, or not SIDs at all."""
    fresh = st.text(_SID_CHARS, min_size=32, max_size=32).map(lambda h: "SM" + h)
    return st.one_of(
        fresh,
        fresh,
        fresh,
        st.just("SM" + "a" * 32),
        st.sampled_from(["", "SM", "MM" + "0" * 32, "SM" + "g" * 32, "SM" + "a" * 33]),
        nasty_text(),
    )


def sms_texts() -> st.SearchStrategy[str]:
    """What people text: commands and ids, as typed or with hostile characters around."""
    command = st.builds(
        " ".join,
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    )
    return st.one_of(command, command, field_value(WORDS))


@st.composite
def twilio_fields(draw: st.DrawFn) -> list[tuple[str, str]]:
    """The fields Twilio posts, then fields dropped, repeated, replaced or added."""
    sender = draw(st.one_of(st.sampled_from(SENDERS), field_value(SENDERS)))
    pairs = list(twilio_form(sender, draw(sms_texts()), draw(sids())).items())
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        action = draw(st.sampled_from(["drop", "repeat", "replace", "add"]))
        i = draw(st.integers(0, max(0, len(pairs) - 1)))
        if action == "drop" and pairs:
            del pairs[i]
        elif action == "repeat" and pairs:
            pairs.insert(i, (pairs[i][0], draw(field_value(WORDS))))
        elif action == "replace" and pairs:
            pairs[i] = (pairs[i][0], draw(field_value(WORDS)))
        else:
            pairs.append((draw(nasty_text(12)), draw(field_value(WORDS))))
    return pairs


def bodies(fields: st.SearchStrategy[list[tuple[str, str]]]) -> st.SearchStrategy[bytes]:
    """Mostly a proper form; else the same fields broken, re-encoded or no form at all."""
    proper = fields.map(form_body)
    return st.one_of(
        proper,
        proper,
        proper,
        proper.flatmap(lambda raw: encoded(st.just(raw.decode("ascii")))),
        raw_bodies(),
    )


def content_types() -> st.SearchStrategy[str | None]:
    """Mostly the right content type."""
    return st.one_of(st.just(FORM), st.just(FORM), st.sampled_from(CONTENT_TYPES))


async def test_what_the_fuzzing_signs_gets_past_the_signature(gateway: Hostile) -> None:
    # Else every fuzzed form would be a 403 and nothing behind the door would be tested.
    form = list(twilio_form(PROVIDER_PHONE, KNOWN_ID).items())
    text = assert_twiml(await gateway.sms(form_body(form)))
    assert text is not None and codes_in(text), text
    repeated = [*twilio_form(STRANGER_PHONE, "HELP").items(), ("Body", "again"), ("Extra", "é")]
    latin = form_body(repeated).decode("ascii").encode("latin-1")
    for body, content_type in (
        (form_body(repeated), FORM),
        (latin, FORM + "; charset=latin-1"),
    ):
        answer = await gateway.sms(body, content_type)
        assert answer.status == 200, answer
        assert assert_twiml(answer), answer
    await gateway.assert_nothing_lost()


@HOSTILE
@given(body=bodies(twilio_fields()), content_type=content_types(), again=st.booleans())
async def test_inbound_sms_is_answered_in_twiml_or_refused(
    sqlite_gateway: Hostile, body: bytes, content_type: str | None, again: bool
) -> None:
    gateway = sqlite_gateway  # end to end: the SMS records and the answer log on disk
    answer = await gateway.sms(body, content_type)
    assert_sound(answer, "inbound")
    if answer.status == 200:
        assert_twiml(answer)
        if again:  # Twilio's redelivery of the same message gets the same reply
            assert (await gateway.sms(body, content_type)).text == answer.text
    await gateway.assert_nothing_lost()


@HOSTILE
@given(
    fields=st.lists(
        st.tuples(
            st.sampled_from(["MessageSid", "MessageStatus", "SmsStatus", "ErrorCode", "To"]),
            st.one_of(
                st.sampled_from(["delivered", "failed", "30003", "SM" + "b" * 32]),
                field_value(["delivered", "30003"]),
            ),
        ),
        max_size=6,
    ),
    content_type=content_types(),
)
async def test_status_callbacks_are_recorded_or_refused(
    gateway: Hostile, fields: list[tuple[str, str]], content_type: str | None
) -> None:
    answer = await gateway.sms(form_body(fields), content_type, SMS_STATUS_PATH)
    assert_sound(answer, "status callback")
    assert answer.status in (204, 400, 403, 413, 415), answer


@HOSTILE
@given(
    signature=st.one_of(
        st.just(""),
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=300),
        header_values(60),
    ),
    path=st.sampled_from([SMS_PATH, SMS_STATUS_PATH]),
)
async def test_a_missing_or_forged_signature_is_refused(
    gateway: Hostile, signature: str, path: str
) -> None:
    before = (await gateway.store.answers.verify()).rows
    form = twilio_form(REZAEI_PHONE, KNOWN_ID, "SM" + secrets.token_hex(16))
    answer = await gateway.sms(form_body(list(form.items())), FORM, path, signature=signature)
    assert_sound(answer, "forged signature")
    assert answer.status == 403, answer
    assert (await gateway.store.answers.verify()).rows == before
