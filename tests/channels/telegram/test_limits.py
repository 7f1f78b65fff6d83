"""Telegram's limits (4096 units a message, 64 bytes of button data) and the per-sender flood
guard (answers' quotas are the policy's: ``test_quotas``)."""

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
from tests.channels.telegram.conftest import MakeTelegram
from tests.channels.telegram.fakeapi import Call, utf16_units
from tests.channels.telegram.helpers import codes_in, worded
from tests.channels.telegram.support import ALI_PHONE, CROWDED_PHONE, only_text, texts

#: Enough answers an hour for one phone to hear about sixty people at once.
GENEROUS = {"insured_per_hour": 100}

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


def _every_button(calls: list[Call]) -> list[str]:
    return [data for c in calls for row in c.inline() for _, data in row]


async def test_a_long_answer_is_sent_as_several_messages_of_at_most_4096(
    make_telegram: MakeTelegram,
) -> None:
    tg = await make_telegram(crowd=60, inquiries=GENEROUS)
    user = tg.user()
    await user.share_contact(CROWDED_PHONE)
    sent = texts(await user.command("cover"))
    assert len(sent) > 1
    assert all(utf16_units(t) <= MAX_TEXT for t in sent)
    codes = [c for t in sent for c in codes_in(t)]
    assert len(codes) == len(set(codes)) == 60
    for text in sent:  # cut between answers, never inside one
        assert text.startswith("Guarded")
        assert text.count("Guarded") == len(codes_in(text))
    assert len(await tg.test.store.registry.people_by_phone(CROWDED_PHONE)) == 60


async def test_sixty_family_buttons_page_through_with_short_button_data(
    make_telegram: MakeTelegram,
) -> None:
    tg = await make_telegram(crowd=60, telegram={"page_size": 7})
    user = tg.user()
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
    make_telegram: MakeTelegram,
) -> None:
    tg = await make_telegram(telegram={"updates_per_sender": 3})
    user = tg.user("fa")
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
    make_telegram: MakeTelegram,
) -> None:
    tg = await make_telegram(telegram={"updates_per_sender": 4})
    first, second = tg.user(), tg.user()
    await first.share_contact(ALI_PHONE)  # counted for the chat
    await second.share_contact(ALI_PHONE)
    for user in (first, second, first, second):
        assert "Code" not in only_text(await user.command("help"))
    text = only_text(await first.command("help"))
    assert worded(text, Wording("en"), "telegram.rate_limited.sender")
