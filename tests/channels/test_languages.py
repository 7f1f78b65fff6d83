"""A phone's language, chosen on one channel, is the one it reads on every other.

SMS ``LANG xx``, the USSD language menu and Telegram's language buttons all keep the choice
for the phone (in the store: a real SQLite file here, PostgreSQL where one listens); the
next SMS reply, USSD session and Telegram chat of that phone are worded in it. A first
Telegram contact without any choice follows the app's ``language_code``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.telegram.keyboards import (
    Tap,
    callback,
    language_keyboard,
    parse_callback,
)
from eligibility_gw.wording import Wording
from tests.channels.sms.support import TOKEN as TWILIO_TOKEN
from tests.channels.sms.support import SmsGateway
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import (
    SECRET,
    SECRET_ENV,
    TOKEN,
    TOKEN_ENV,
    TelegramGateway,
    only_text,
)
from tests.channels.ussd.support import AtSession
from tests.conftest import MakeGateway
from tests.contract.stores import postgres_reachable
from tests.gateway import TestGateway

SIX = ("en", "fa", "ro", "pt_BR", "pl", "ru")
REZAEI = "+989121110001"  # principal of the Rezaei family, on file


@dataclass
class Channels:
    """A gateway with SMS, USSD and Telegram on, and what drives each."""

    test: TestGateway
    bot: TelegramGateway

    @property
    def sms(self) -> SmsGateway:
        return SmsGateway(self.test)


@pytest.fixture
async def bot_api(aiohttp_server: AiohttpServer) -> tuple[FakeBotApi, str]:
    api = FakeBotApi(TOKEN)
    server: TestServer = await aiohttp_server(api.app())
    return api, str(server.make_url("")).rstrip("/")


@pytest.fixture(params=["sqlite", "postgresql"])
async def channels(
    request: pytest.FixtureRequest,
    make_gateway: MakeGateway,
    bot_api: tuple[FakeBotApi, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Channels:
    if request.param == "postgresql" and not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    api, url = bot_api
    test = await make_gateway(
        store=request.param,
        languages=SIX,
        channels={
            "telegram": {
                "token_env": TOKEN_ENV,
                "secret_env": SECRET_ENV,
                "api_base_url": f"{url}/bot",
                "api_file_base_url": f"{url}/file/bot",
            },
            "console": {"enabled": False},
        },
    )
    return Channels(test, TelegramGateway(test, api))


# -- choosing, on each channel ------------------------------------------------------------


async def choose_by_sms(c: Channels, language: str) -> None:
    reply = await c.sms.text(REZAEI, f"LANG {language}")
    assert reply.message is not None
    assert Wording(language).t("language.name") in reply.message


def _number_of(screen: str, label: str) -> str | None:
    for line in screen.splitlines():
        m = re.match(r"\s*([0-9۰-۹]+)[.)]?\s+(.*)", line)
        if m and m.group(2).startswith(label):
            return m.group(1).translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    return None


async def choose_by_ussd(c: Channels, language: str) -> None:
    session = AtSession(c.test.client, REZAEI)
    screen = await session.dial()
    current = _home_language(screen.text)
    option = _number_of(screen.text, Wording(current).t("ussd.option.language"))
    assert option is not None, screen.text
    screen = await session.send(option)
    name = Wording(language).t("language.name")
    for _ in range(3):  # through the pages of the six languages
        number = _number_of(screen.text, name)
        if number is not None:
            break
        screen = await session.send("98")
    assert number is not None, screen.text
    home = await session.send(number)
    assert _home_language(home.text) == language, home.text


async def choose_by_telegram(c: Channels, language: str) -> None:
    user = c.bot.user("en")
    await user.share_contact(REZAEI)
    calls = await user.tap(callback(Tap.LANGUAGE, language))
    assert Wording(language).t("telegram.language.set") in only_text(calls)


Choose = Callable[[Channels, str], Awaitable[None]]

# -- reading, on each channel -------------------------------------------------------------


def _home_language(screen: str) -> str:
    for language in SIX:
        if screen.startswith(Wording(language).t("ussd.home.title")):
            return language
    raise AssertionError(screen)


async def read_by_sms(c: Channels) -> str:
    reply = await c.sms.text(REZAEI, "HELP")
    for language in SIX:
        if reply.message == replies.help_text(Wording(language)):
            return language
    raise AssertionError(reply.message)


async def read_by_ussd(c: Channels) -> str:
    return _home_language((await AtSession(c.test.client, REZAEI).dial()).text)


async def read_by_telegram(c: Channels) -> str:
    user = c.bot.user("en")
    calls = await user.share_contact(REZAEI)
    bound = only_text(calls)
    for language in SIX:
        if bound == Wording(language).t("telegram.contact.bound"):
            return language
    raise AssertionError(bound)


Read = Callable[[Channels], Awaitable[str]]

CHOOSERS: dict[str, Choose] = {
    "sms": choose_by_sms,
    "ussd": choose_by_ussd,
    "telegram": choose_by_telegram,
}
READERS: dict[str, Read] = {
    "sms": read_by_sms,
    "ussd": read_by_ussd,
    "telegram": read_by_telegram,
}
ACROSS = [
    ("sms", "ussd", "ro"),
    ("sms", "telegram", "pl"),
    ("ussd", "sms", "ru"),
    ("ussd", "telegram", "pt_BR"),
    ("telegram", "sms", "fa"),
    ("telegram", "ussd", "pl"),
]


@pytest.mark.parametrize(
    ("chosen_on", "read_on", "language"), ACROSS, ids=[f"{a}-to-{b}" for a, b, _ in ACROSS]
)
async def test_a_choice_on_one_channel_is_read_on_the_others(
    channels: Channels, chosen_on: str, read_on: str, language: str
) -> None:
    assert await READERS[read_on](channels) == "en"  # the default before any choice
    await CHOOSERS[chosen_on](channels, language)
    kept = await channels.test.store.languages.get(REZAEI)
    assert kept is not None
    assert (kept.language, kept.channel) == (language, chosen_on)
    assert await READERS[read_on](channels) == language


async def test_the_latest_choice_wins_whichever_channel_made_it(channels: Channels) -> None:
    await choose_by_sms(channels, "ru")
    await choose_by_ussd(channels, "pl")
    assert await read_by_sms(channels) == "pl"
    await choose_by_telegram(channels, "ro")
    assert await read_by_ussd(channels) == "ro"
    assert await read_by_sms(channels) == "ro"


LANGUAGE_CODES = [
    ("pt-br", "pt_BR"),
    ("pt", "pt_BR"),
    ("ru-RU", "ru"),
    ("fa", "fa"),
    ("de", "en"),
    (None, "en"),
]


@pytest.mark.parametrize(("language_code", "language"), LANGUAGE_CODES)
async def test_a_first_telegram_contact_follows_language_code(
    channels: Channels, language_code: str | None, language: str
) -> None:
    user = channels.bot.user(language_code)
    calls = await user.command("start")
    assert Wording(language).t("telegram.greeting") in only_text(calls)
    bound = only_text(await user.share_contact(REZAEI))
    assert bound == Wording(language).t("telegram.contact.bound")


async def test_a_first_telegram_contact_takes_the_phones_choice(channels: Channels) -> None:
    await choose_by_sms(channels, "ru")
    user = channels.bot.user("pt-BR")
    greeting = only_text(await user.command("start"))
    assert Wording("pt_BR").t("telegram.greeting") in greeting  # no phone yet: the app's
    bound = only_text(await user.share_contact(REZAEI))
    assert bound == Wording("ru").t("telegram.contact.bound")  # the phone's choice


def test_the_telegram_language_buttons_carry_short_data() -> None:
    buttons = [b for row in language_keyboard(SIX).inline_keyboard for b in row]
    assert [b.text for b in buttons] == [Wording(lang).t("language.name") for lang in SIX]
    for button, language in zip(buttons, SIX, strict=True):
        data = str(button.callback_data)
        assert len(data.encode("utf-8")) <= 64
        assert parse_callback(data) == (Tap.LANGUAGE, language)
