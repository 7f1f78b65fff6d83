"""The Telegram webhook under hostile updates: a 200 with replies in words, or a 4xx.

Updates carry the configured secret header, so what is tested is what lies behind it: the
reading of the update, the bot's handlers, and the replies they send (none of them the
"something went wrong" apology, which would mean a handler failed).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility_gw.channels.telegram.keyboards import MENU, menu_label
from eligibility_gw.demo import persona_id
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.wording import Wording
from tests.channels.telegram.fakeapi import utf16_units
from tests.conftest import with_bad_check_digit
from tests.hostile.strategies import (
    CONTENT_TYPES,
    encoded,
    field_value,
    header_values,
    json_values,
    nasty_text,
    raw_bodies,
)
from tests.hostile.support import (
    CLOSED_PHONE,
    PROVIDER_PHONE,
    REZAEI_PHONE,
    STRANGER_PHONE,
    TELEGRAM_SECRET,
    Hostile,
    assert_sound,
    codes_in,
)

PACK = load_rule_pack("ir-tamin")
KNOWN_ID = persona_id(PACK, 4)
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COMMANDS = ("start", "cover", "family", "check", "code", "language", "forget", "help", "nope")
WORDS = (
    *(f"/{c}" for c in COMMANDS),
    "/start@egw_test_bot",
    *(menu_label(Wording(lang), action) for lang in ("fa", "en") for action in MENU),
    KNOWN_ID,
    with_bad_check_digit(KNOWN_ID),
    "4821-0937-5526",
    "1404/09/02",
)
PHONES = (PROVIDER_PHONE, CLOSED_PHONE, REZAEI_PHONE, STRANGER_PHONE, "989121110001", "+")
#: The first few users come back example after example: their chats get linked and stay so.
USER_IDS = (424_242_001, 424_242_002, 424_242_003)
#: How the apology for a failed handler starts (up to the hotline it names), in each language.
APOLOGIES = tuple(
    Wording(lang).t("telegram.error", hotline="\0").partition("\0")[0] for lang in ("fa", "en")
)


def anything() -> st.SearchStrategy[Any]:
    """Any JSON value, to put where Telegram sends something specific."""
    return json_values(5)


def user_ids() -> st.SearchStrategy[Any]:
    """Telegram user ids, and values no user id is."""
    return st.one_of(
        st.sampled_from(USER_IDS),
        st.sampled_from(USER_IDS),
        st.integers(min_value=-(2**70), max_value=2**70),
        anything(),
    )


def callback_data() -> st.SearchStrategy[str]:
    """Inline button data: shaped like the bot's own, or forged."""
    return st.one_of(
        st.sampled_from(["p:0", "p:1", "p:-1", "p:٣", "p:" + "9" * 40, "l:fa", "l:en", "l:xx"]),
        st.text("0123456789abcdef", max_size=14).map(lambda h: "m:" + h),
        field_value(["m:", "p:", "l:", ":"]),
    )


@st.composite
def messages(draw: st.DrawFn, user: Any, chat: dict[str, Any]) -> dict[str, Any]:
    """A message: text (maybe a command), a shared contact, a sticker, or odd fields."""
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 2**31)),
        "date": draw(st.one_of(st.just(1_790_000_000), st.integers(-(2**40), 2**40))),
        "chat": chat,
        "from": {
            "id": user,
            "is_bot": False,
            "first_name": draw(nasty_text(10)),
            "language_code": draw(st.sampled_from(["fa", "en", "de", "", "x" * 40])),
        },
    }
    kind = draw(st.sampled_from(["text", "text", "text", "contact", "contact", "sticker", "odd"]))
    if kind == "text":
        text = draw(st.one_of(st.sampled_from(WORDS), field_value(WORDS)))
        message["text"] = text
        if text.startswith("/") and draw(st.booleans()):
            length = draw(st.integers(-3, len(text) + 3))
            offset = draw(st.integers(-3, 3))
            message["entities"] = [{"type": "bot_command", "offset": offset, "length": length}]
    elif kind == "contact":
        owner = draw(st.one_of(st.just(user), st.none(), user_ids()))
        contact: dict[str, Any] = {
            "phone_number": draw(st.one_of(st.sampled_from(PHONES), field_value(PHONES))),
            "first_name": draw(nasty_text(10)),
        }
        if owner is not None:
            contact["user_id"] = owner
        message["contact"] = contact
    elif kind == "sticker":
        message["sticker"] = {"file_id": "st", "file_unique_id": "stu", "type": "regular"}
    else:
        message[draw(nasty_text(10))] = draw(anything())
    return message


@st.composite
def updates(draw: st.DrawFn, update_id: int) -> dict[str, Any]:
    """One update from a user (or from no one in particular)."""
    user = draw(user_ids())
    chat_type = draw(st.sampled_from(["private", "private", "private", "group", "channel", "?"]))
    chat = {"id": user, "type": chat_type}
    kind = draw(st.sampled_from(["message", "message", "callback_query", "edited_message", "?"]))
    update: dict[str, Any] = {"update_id": update_id}
    if kind == "callback_query":
        update[kind] = {
            "id": "cq1",
            "from": {"id": user, "is_bot": False, "first_name": "T"},
            "chat_instance": "ci-1",
            "data": draw(callback_data()),
            "message": draw(messages(user, chat)),
        }
    elif kind == "?":
        update[draw(nasty_text(10))] = draw(anything())
    else:
        update[kind] = draw(messages(user, chat))
    if draw(st.integers(0, 5)) == 0:  # one field of the wrong type, or gone
        path = update[kind] if kind in update and isinstance(update[kind], dict) else update
        name = draw(st.sampled_from(sorted(path)))
        if draw(st.booleans()):
            path[name] = draw(anything())
        else:
            del path[name]
    return update


def bodies() -> st.SearchStrategy[bytes]:
    """Mostly an update as Telegram sends it; else JSON of another shape, or no JSON."""
    proper = st.integers(1, 2**31).flatmap(updates).map(lambda u: json.dumps(u).encode())
    return st.one_of(
        proper,
        proper,
        proper,
        proper,
        anything().map(lambda v: json.dumps(v).encode("utf-8")),
        proper.flatmap(lambda raw: encoded(st.just(raw.decode("utf-8")))),
        raw_bodies(),
    )


@HOSTILE
@given(
    body=bodies(),
    content_type=st.one_of(st.just("application/json"), st.sampled_from(CONTENT_TYPES)),
)
async def test_updates_get_replies_in_words_or_a_4xx(
    gateway: Hostile, body: bytes, content_type: str | None
) -> None:
    mark = len(gateway.telegram_api.calls)
    answer = await gateway.telegram(body, content_type)
    assert_sound(answer, "telegram")
    assert answer.status in (200, 400, 413, 415), answer
    for call in gateway.telegram_api.since(mark):
        if call.method == "sendMessage":
            assert 1 <= utf16_units(call.text) <= 4096, call
            assert not call.text.startswith(APOLOGIES), "a handler failed on this update"
            gateway.answered.extend(codes_in(call.text))
    await gateway.assert_nothing_lost()


@HOSTILE
@given(secret=st.one_of(st.just(""), header_values(300)))
async def test_a_wrong_secret_is_refused(gateway: Hostile, secret: str) -> None:
    mark = len(gateway.telegram_api.calls)
    update = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": USER_IDS[0], "type": "private"},
            "from": {"id": USER_IDS[0], "is_bot": False, "first_name": "T"},
            "text": "/start",
        },
    }
    answer = await gateway.telegram(json.dumps(update).encode(), secret=secret)
    assert_sound(answer, "telegram secret")
    if secret != TELEGRAM_SECRET:
        assert answer.status == 403, answer
        assert gateway.telegram_api.since(mark) == []


async def test_what_the_fuzzing_sends_gets_past_the_secret(gateway: Hostile) -> None:
    # Else every fuzzed update would be a 403 and no handler behind the door would be tested.
    answer = await gateway.chat(USER_IDS[0], "en", "/start")
    assert answer.status == 200 and answer.text, answer
    assert not answer.text.startswith(APOLOGIES), answer.text
