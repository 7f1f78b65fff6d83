"""The USSD language menu: every offered language (six) on pages within one screen, the
choice kept for the caller's phone in the store (a real SQLite file), and a new session
starting in it. A phone not on file has its choice remembered only in the short-lived state.
"""

from __future__ import annotations

import re

import pytest

from eligibility_gw.wording import Wording
from tests.channels.ussd.conftest import MakeUssd
from tests.channels.ussd.support import REZAEI, STRANGER, UssdGateway

SIX = ("en", "fa", "ro", "pt_BR", "pl", "ru")
_LINE = re.compile(r"^\s*([0-9۰-۹]+)[.)]?\s+(.*)$")
_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


def numbered(screen: str) -> dict[str, str]:
    """The numbered lines of a screen: label -> number (ASCII digits)."""
    found = {}
    for line in screen.splitlines():
        m = _LINE.match(line)
        if m:
            found[m.group(2)] = m.group(1).translate(_ASCII)
    return found


@pytest.fixture
async def six(make_ussd: MakeUssd) -> UssdGateway:
    return await make_ussd(store="sqlite", languages=SIX)


@pytest.mark.parametrize("language", SIX)
async def test_the_menu_pages_through_all_six_languages(
    six: UssdGateway, dialect: str, language: str
) -> None:
    session = six.session(dialect, REZAEI)
    home = await session.dial()
    option = numbered(home.text)[Wording("en").t("ussd.option.language")]
    screen = await session.send(option)
    seen: dict[str, str] = {}
    pages = 0
    while True:
        pages += 1
        assert not screen.end
        seen.update(numbered(screen.text))
        more = Wording("en").t("ussd.nav.more").split(" ", 1)[0]
        if not any(line.startswith(more) for line in screen.text.splitlines()):
            break
        screen = await session.send(more)
    names = {Wording(lang).t("language.name"): lang for lang in SIX}
    assert set(names) <= set(seen), seen
    assert pages == 2  # three names a page: never one a page
    assert [seen[name] for name in names] == [str(n) for n in range(1, 7)]
    session = six.session(dialect, REZAEI)  # again, to the page that shows the language
    home = await session.dial()
    screen = await session.send(option)
    name = Wording(language).t("language.name")
    while name not in numbered(screen.text):
        screen = await session.send(more)
    home = await session.send(numbered(screen.text)[name])
    assert home.text.startswith(Wording(language).t("ussd.home.title")), home.text
    kept = await six.test.store.languages.get(REZAEI)
    expected = None if language == "en" else (language, "ussd")  # no change, nothing kept
    assert (kept and (kept.language, kept.channel)) == expected
    again = await six.session(dialect, REZAEI).dial()
    assert again.text.startswith(Wording(language).t("ussd.home.title")), again.text


async def test_a_wrong_number_on_the_language_menu_gets_a_short_hint(
    six: UssdGateway, dialect: str
) -> None:
    session = six.session(dialect, REZAEI)
    home = await session.dial()
    await session.send(numbered(home.text)[Wording("en").t("ussd.option.language")])
    screen = await session.send("9")
    assert screen.text.startswith(Wording("en").t("ussd.hint.language")), screen.text
    names = {Wording(lang).t("language.name") for lang in SIX}
    assert len(names & set(numbered(screen.text))) == 3  # the same page again


async def test_a_phone_not_on_file_keeps_its_choice_out_of_the_store(
    six: UssdGateway, dialect: str
) -> None:
    session = six.session(dialect, STRANGER)
    home = await session.dial()
    await session.send(numbered(home.text)[Wording("en").t("ussd.option.language")])
    chosen = await session.send("2")  # فارسی
    assert chosen.text.startswith(Wording("fa").t("ussd.home.title")), chosen.text
    assert await six.test.store.languages.get(STRANGER) is None
    again = await six.session(dialect, STRANGER).dial()
    assert again.text.startswith(Wording("fa").t("ussd.home.title")), again.text


async def test_without_memory_a_choice_lasts_the_session(make_ussd: MakeUssd, dialect: str) -> None:
    gateway = await make_ussd(store="sqlite", languages=SIX, language_memory_days=0)
    session = gateway.session(dialect, REZAEI)
    home = await session.dial()
    await session.send(numbered(home.text)[Wording("en").t("ussd.option.language")])
    chosen = await session.send("2")
    assert chosen.text.startswith(Wording("fa").t("ussd.home.title"))
    assert await gateway.test.store.languages.get(REZAEI) is None
    again = await gateway.session(dialect, REZAEI).dial()
    assert again.text.startswith(Wording("en").t("ussd.home.title"))
