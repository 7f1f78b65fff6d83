"""Refusals of the inquiry policy and outages of the store, in the chat's words.

Quotas are the core's, counted for every channel together: a provider's Telegram checks and
its API checks of one person draw on one budget, and past it only that provider is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from eligibility_gw import keyvalue
from eligibility_gw.demo import DEMO_PROVIDER_ID
from eligibility_gw.domain.errors import NotPermitted, QuotaExceeded
from eligibility_gw.domain.provider import Provider
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.wording import Wording
from tests.channels.telegram.conftest import MakeTelegram
from tests.channels.telegram.helpers import codes_in, logged_answers, worded
from tests.channels.telegram.support import (
    ALI_PHONE,
    CROWDED_PHONE,
    PROVIDER_PHONE,
    TelegramGateway,
    only_text,
    texts,
)

LANGS = ["en", "fa"]
OTHER_PROVIDER_PHONE = "+989350000003"
#: 30 s into an hour: quota windows (fixed, on the clock) do not turn over within a test.
QUOTA_CLOCK = 1_800_000_030.0


@pytest.fixture(autouse=True)
def steady_quota_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the rate limiter's clock: a minute's window that ended mid-test would renew a
    quota these tests run out on purpose."""
    monkeypatch.setattr(keyvalue, "time", SimpleNamespace(time=lambda: QUOTA_CLOCK))


async def pharmacy(tg: TelegramGateway) -> Provider:
    """The demo pharmacy, as the API authenticates it."""
    found = await tg.inquiries.provider(DEMO_PROVIDER_ID)
    assert found is not None
    return found


async def api_check(tg: TelegramGateway, provider: Provider, national_id: str) -> None:
    """A check of ``national_id`` by ``provider`` through the JSON API's door."""
    await tg.inquiries.ask(Asker.for_provider("web", provider), national_id)


@pytest.mark.parametrize("lang", LANGS)
async def test_a_providers_telegram_and_api_checks_of_one_person_share_one_quota(
    make_telegram: MakeTelegram, lang: str
) -> None:
    tg = await make_telegram(inquiries={"provider_per_national_id": 3})
    w = Wording(lang)
    user = await tg.linked(PROVIDER_PHONE, lang)
    nid = tg.nid("rezaei")
    api = await pharmacy(tg)
    assert codes_in(only_text(await user.say(nid)))
    await api_check(tg, api, nid)
    assert codes_in(only_text(await user.say(nid)))  # the third check of three
    before = await logged_answers(tg)
    text = only_text(await user.say(nid))
    assert worded(text, w, "error.RATE_LIMITED.provider_national_id"), text
    assert not codes_in(text)
    assert await logged_answers(tg) == before  # refused before anything was logged
    with pytest.raises(QuotaExceeded) as refused:  # the API is refused too now
        await api_check(tg, api, nid)
    assert refused.value.scope == "provider_national_id"
    # Only this provider, only for this person: another provider is still answered about
    # them, and this one about someone else.
    await tg.test.add_provider("second-clinic", phone=OTHER_PROVIDER_PHONE)
    other = await tg.linked(OTHER_PROVIDER_PHONE, lang)
    assert codes_in(only_text(await other.say(nid)))
    assert codes_in(only_text(await user.say(tg.nid("karimi"))))


@dataclass(frozen=True)
class QuotaCase:
    """A quota run out, and the words the chat gets for it."""

    label: str
    inquiries: dict[str, int]
    #: Who asks in Telegram: a provider's phone (about Rezaei) or Ali's (his cover).
    phone: str
    #: Checks of Rezaei before the chat asks: (provider, through the API) first.
    api_checks: tuple[str, ...] = ()
    asked_before: int = 0
    expect_key: str = ""


QUOTA_CASES = [
    QuotaCase(
        label="insured-phone-per-hour",
        inquiries={"insured_per_hour": 2},
        phone=ALI_PHONE,
        asked_before=2,
        expect_key="error.RATE_LIMITED.asker",
    ),
    QuotaCase(
        label="provider-per-minute",
        inquiries={"provider_per_minute": 2},
        phone=PROVIDER_PHONE,
        asked_before=2,
        expect_key="error.RATE_LIMITED.asker",
    ),
    QuotaCase(
        label="ceiling-per-person-for-all-providers",
        inquiries={"national_id_ceiling": 2, "provider_per_national_id": 5},
        phone=PROVIDER_PHONE,
        api_checks=("second-clinic",),
        asked_before=1,
        expect_key="error.RATE_LIMITED.national_id",
    ),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", QUOTA_CASES, ids=lambda c: c.label)
async def test_each_quota_is_told_in_the_chats_language(
    make_telegram: MakeTelegram, case: QuotaCase, lang: str
) -> None:
    tg = await make_telegram(inquiries=case.inquiries)
    w = Wording(lang)
    for provider_id in case.api_checks:
        other, _ = await tg.test.add_provider(provider_id)
        await api_check(tg, other, tg.nid("rezaei"))
    user = await tg.linked(case.phone, lang)

    async def ask() -> str:
        if case.phone == ALI_PHONE:
            return only_text(await user.command("cover"))
        return only_text(await user.say(tg.nid("rezaei")))

    for _ in range(case.asked_before):
        assert codes_in(await ask())
    text = await ask()
    assert worded(text, w, case.expect_key), text
    assert not codes_in(text)


@pytest.mark.parametrize("lang", LANGS)
async def test_a_tapped_member_over_the_quota_gets_the_refusal_as_its_note_too(
    make_telegram: MakeTelegram, lang: str
) -> None:
    tg = await make_telegram(inquiries={"insured_per_hour": 1})
    w = Wording(lang)
    user = await tg.linked(ALI_PHONE, lang)
    buttons = (await user.command("family"))[0].inline()
    assert codes_in(only_text(await user.tap(buttons[0][0][1])))
    calls = await user.tap(buttons[1][0][1])
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendMessage"]
    assert worded(calls[1].text, w, "error.RATE_LIMITED.asker")
    assert calls[0].text == calls[1].text


async def test_my_cover_shows_what_was_answered_before_the_quota_ran_out(
    make_telegram: MakeTelegram,
) -> None:
    tg = await make_telegram(crowd=5, inquiries={"insured_per_hour": 3})
    user = await tg.linked(CROWDED_PHONE, "en")
    [text] = texts(await user.command("cover"))
    assert len(codes_in(text)) == 3
    answers, refusal = text.rsplit("\n\n", 1)
    assert answers.count("Guarded") == 3
    assert worded(refusal, Wording("en"), "error.RATE_LIMITED.asker")


@pytest.mark.parametrize("lang", LANGS)
async def test_a_refusal_to_tell_about_a_person_reads_not_on_file(
    gateway: TelegramGateway, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The menu lists only people the phone may ask about, so the channel cannot provoke
    # this refusal itself (the registry changing between the list and the tap could).
    user = await gateway.linked(ALI_PHONE, lang)
    buttons = (await user.command("family"))[0].inline()

    async def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise NotPermitted("not on file for this phone")

    monkeypatch.setattr(gateway.inquiries, "ask_member", refuse)
    w = Wording(lang)
    assert only_text(await user.tap(buttons[1][0][1])) == w.t("error.NOT_ON_FILE")
    assert only_text(await user.command("cover")) == w.t("error.NOT_ON_FILE")


@pytest.mark.parametrize("lang", LANGS)
async def test_a_store_that_cannot_answer_is_told_politely(
    gateway: TelegramGateway, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await gateway.linked(ALI_PHONE, lang)
    buttons = (await user.command("family"))[0].inline()
    w = Wording(lang)
    polite = w.t("telegram.unavailable", hotline=w.digits("1420"))

    async def unavailable(*_args: Any, **_kwargs: Any) -> Any:
        raise StoreUnavailable("OperationalError")

    monkeypatch.setattr(gateway.test.store.registry, "people_by_phone", unavailable)
    assert only_text(await user.command("cover")) == polite
    calls = await user.tap(buttons[0][0][1])
    assert [c.method for c in calls] == ["answerCallbackQuery", "sendMessage"]
    assert calls[0].text == calls[1].text == polite
    # The bindings' store failing too: still words, in the language of the Telegram app.
    monkeypatch.setattr(gateway.test.store.chats, "get", unavailable)
    stranger = gateway.user("fa" if lang == "en" else "en")
    other = Wording(stranger.language_code or "en")
    assert only_text(await stranger.command("start")) == other.t(
        "telegram.unavailable", hotline=other.digits("1420")
    )


async def test_an_answer_that_cannot_be_logged_is_not_sent(make_telegram: MakeTelegram) -> None:
    """End to end on SQLite: the answer log refuses to write; nothing goes out unlogged."""
    tg = await make_telegram(store="sqlite")
    user = await tg.linked(PROVIDER_PHONE)
    store: Any = tg.test.store  # the SQLite store's maintenance door
    await store.execute_raw(
        "CREATE TRIGGER refuse_answers BEFORE INSERT ON answer_log"
        " BEGIN SELECT RAISE(ABORT, 'disk is full'); END"
    )
    w = Wording("en")
    before = await logged_answers(tg)
    text = only_text(await user.say(tg.nid("rezaei")))
    assert text == w.t("telegram.unavailable", hotline="1420")
    assert not codes_in(text)
    await store.execute_raw("DROP TRIGGER refuse_answers")
    text = only_text(await user.say(tg.nid("rezaei")))
    assert len(codes_in(text)) == 1
    assert await logged_answers(tg) == before + 1
