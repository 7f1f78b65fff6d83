"""Telegram's limits (4096 units a message, 64 bytes of button data) and the rate limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_gw.channels.telegram.answers import MAX_TEXT, split_message, text_length
from eligibility_gw.channels.telegram.keyboards import (
    MAX_CALLBACK_BYTES,
    Tap,
    callback,
    member_token,
    parse_callback,
)
from eligibility_gw.wording import Wording
from tests.channels.telegram.conftest import MakeGateway
from tests.channels.telegram.fakeapi import Call, FakeBotApi, utf16_units
from tests.channels.telegram.helpers import codes_in, core_of
from tests.channels.telegram.support import (
    CROWDED_PHONE,
    PROVIDER_PHONE,
    TelegramUser,
    only_text,
    texts,
)

ALI_PHONE = "+989121110001"

_text = st.lists(
    st.sampled_from(["a", "ب", "۱", "😀", " ", "\n", "\n\n", "-", "x" * 30]), max_size=300
).map("".join)


@given(text=_text, limit=st.integers(min_value=2, max_value=120))
def test_split_parts_fit_and_lose_nothing_but_spacing(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(1 <= text_length(p) <= limit for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_split_keeps_short_texts_whole_and_prefers_answer_boundaries() -> None:
    assert split_message("one answer") == ["one answer"]
    first, second = "a" * 3000, "b" * 3000
    assert split_message(f"{first}\n\n{second}") == [first, second]
    assert text_length("😀") == 2
    assert split_message("😀" * 3000) == ["😀" * 2048, "😀" * 952]
    with pytest.raises(ValueError, match="limit"):
        split_message("x", 1)


def test_button_data_fits_64_bytes() -> None:
    assert MAX_CALLBACK_BYTES == 64
    token = member_token(b"k" * 32, "0012345678")
    assert len(callback(Tap.MEMBER, token).encode()) <= 64
    assert callback(Tap.PAGE, "9" * 62) == "p:" + "9" * 62
    with pytest.raises(ValueError, match="64 bytes"):
        callback(Tap.PAGE, "9" * 63)
    with pytest.raises(ValueError, match="64 bytes"):
        callback(Tap.LANGUAGE, "ب" * 32)
    assert parse_callback("m:" + token) == (Tap.MEMBER, token)
    for junk in ("", "m:", ":x", "z:1", "m" * 65, "m:" + "1" * 63):
        assert parse_callback(junk) is None


def worded(text: str, w: Wording, key: str) -> bool:
    """Say whether ``text`` is message ``key`` with some number of minutes."""
    before, after = w.t(key, minutes="\0").split("\0")
    minutes = text.removeprefix(before).removesuffix(after)
    return text.startswith(before) and text.endswith(after) and 1 <= len(minutes) <= 2


def _every_button(calls: list[Call]) -> list[str]:
    return [data for c in calls for row in c.inline() for _, data in row]


async def test_a_long_answer_is_sent_as_several_messages_of_at_most_4096(
    make_gateway: MakeGateway, fake_api: FakeBotApi
) -> None:
    client = await make_gateway(crowd=60, inquiries_per_national_id=5)
    user = TelegramUser(client, fake_api, 6001)
    await user.share_contact(CROWDED_PHONE)
    sent = texts(await user.command("cover"))
    assert len(sent) > 1
    assert all(utf16_units(t) <= MAX_TEXT for t in sent)
    codes = [c for t in sent for c in codes_in(t)]
    assert len(codes) == len(set(codes)) == 60
    for text in sent:  # cut between answers, never inside one
        assert text.startswith("Guarded")
        assert text.count("Guarded") == len(codes_in(text))
    identity = await core_of(client).store.registry.people_by_phone(CROWDED_PHONE)
    assert len(identity) == 60


async def test_sixty_family_buttons_page_through_with_short_button_data(
    make_gateway: MakeGateway, fake_api: FakeBotApi
) -> None:
    client = await make_gateway(crowd=60, page_size=7)
    user = TelegramUser(client, fake_api, 6002)
    await user.share_contact(CROWDED_PHONE)
    calls = await user.command("family")
    seen = [label for row in calls[0].inline()[:7] for label, _ in row]
    buttons = _every_button(calls)
    page = 0
    while True:
        nav = calls[-1].inline()[-1] if calls[-1].inline() else []
        forward = [data for label, data in nav if data == f"p:{page + 1}"]
        if not forward:
            break
        page += 1
        calls = await user.tap(forward[0])
        buttons += _every_button(calls)
        seen += [label for row in calls[-1].inline() for label, data in row if data[0] == "m"]
    assert page == 8  # 60 people, 7 a page: 9 pages
    assert len(seen) == len(set(seen)) == 60
    assert all(len(b.encode("utf-8")) <= 64 for b in buttons)


async def test_a_chat_over_its_message_budget_is_told_once_then_ignored(
    make_gateway: MakeGateway, fake_api: FakeBotApi
) -> None:
    client = await make_gateway(updates_per_sender=3)
    user = TelegramUser(client, fake_api, 6003, "fa")
    w = Wording("fa")
    for _ in range(3):
        assert only_text(await user.command("start")).startswith(w.t("telegram.greeting"))
    said = only_text(await user.command("start"))
    assert worded(said, w, "telegram.rate_limited.sender")
    assert texts(await user.command("start")) == []
    calls = await user.tap("l:en")  # a tapped button still gets a note
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].text == said


async def test_a_linked_phone_is_limited_across_its_chats(
    make_gateway: MakeGateway, fake_api: FakeBotApi
) -> None:
    client = await make_gateway(updates_per_sender=4)
    first = TelegramUser(client, fake_api, 6004)
    second = TelegramUser(client, fake_api, 6005)
    await first.share_contact(ALI_PHONE)  # counted for the chat
    await second.share_contact(ALI_PHONE)
    for user in (first, second, first, second):
        assert "Code" not in only_text(await user.command("help"))
    text = only_text(await first.command("help"))
    assert worded(text, Wording("en"), "telegram.rate_limited.sender")


async def test_answers_about_one_national_id_are_limited(
    make_gateway: MakeGateway, fake_api: FakeBotApi
) -> None:
    client = await make_gateway(inquiries_per_national_id=2)
    provider = TelegramUser(client, fake_api, 6006)
    await provider.share_contact(PROVIDER_PHONE)
    people = await core_of(client).store.registry.people_by_phone(ALI_PHONE)
    nid = people[0].national_id
    assert codes_in(only_text(await provider.say(nid)))
    ali = TelegramUser(client, fake_api, 6007)
    await ali.share_contact(ALI_PHONE)
    assert codes_in(only_text(await ali.command("cover")))  # whoever asks counts
    text = only_text(await provider.say(nid))
    assert worded(text, Wording("en"), "telegram.rate_limited.national_id")
    assert not codes_in(text)
    # Another person is still answered.
    other = await core_of(client).store.registry.people_by_phone("+989121110003")
    assert codes_in(only_text(await provider.say(other[0].national_id)))
