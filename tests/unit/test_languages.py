"""The core's one decision of a person's language: what the deployment offers, what a
person wrote (``LANG pt-BR``, ``română``), ``Accept-Language``, and the order of precedence
(the phone's choice > the channel's signal > the default)."""

from __future__ import annotations

import pytest

from eligibility_gw.adapters.memory.languages import MemoryLanguagePreferences
from eligibility_gw.languages import Languages, fold, offered_languages
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.languages import LanguagePreference

SIX = ("fa", "en", "ro", "pt_BR", "pl", "ru")
PHONE = "+989121110001"


@pytest.mark.parametrize(
    ("configured", "offered"),
    [
        (("fa", "en"), ("fa", "en")),
        (("pt-BR", "en"), ("pt_BR", "en")),
        (("pt", "ro", "pt_br"), ("pt_BR", "ro")),
        (("xx", "ru"), ("ru",)),
        (("xx",), ("en",)),
    ],
)
def test_offered_languages_are_shipped_catalogs_in_order(
    configured: tuple[str, ...], offered: tuple[str, ...]
) -> None:
    assert offered_languages(configured) == offered


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Română", "romana"), ("JĘZYK", "jezyk"), ("Português (Brasil)", "portugues brasil")],
)
def test_fold_leaves_out_case_accents_and_punctuation(text: str, folded: str) -> None:
    assert fold(text) == folded


READ = [
    ("ro", "ro"),
    ("RO", "ro"),
    ("ro-RO", "ro"),
    ("română", "ro"),
    ("ROMANA", "ro"),
    ("pt", "pt_BR"),
    ("pt-BR", "pt_BR"),
    ("PT_br", "pt_BR"),
    ("português", "pt_BR"),
    ("Portugues (Brasil)", "pt_BR"),
    ("polski", "pl"),
    ("Русский", "ru"),
    ("русскии", "ru"),
    ("فارسی", "fa"),
    ("fa-IR", "fa"),
    ("english", "en"),
    ("de", None),
    ("deutsch", None),
    ("", None),
    ("r", None),
    ("pt br", "pt_BR"),
    ("ro ro ro", None),
]


@pytest.mark.parametrize(("text", "language"), READ)
def test_a_language_is_read_by_code_or_by_its_own_name(text: str, language: str | None) -> None:
    assert Languages(None, SIX).read(text) == language


def test_a_language_not_offered_is_not_read() -> None:
    two = Languages(None, ("en", "ro"))
    assert two.read("pl") is None
    assert two.read("polski") is None
    assert two.read("ro") == "ro"


ACCEPT = [
    # header, offered, chosen
    ("", SIX, "fa"),
    ("pl", SIX, "pl"),
    ("pt-BR;q=0.9, en;q=0.8", SIX, "pt_BR"),
    ("en;q=0.8, pt-BR;q=0.9", SIX, "pt_BR"),
    ("pt", SIX, "pt_BR"),
    ("pt-PT", SIX, "pt_BR"),
    ("en-GB,en;q=0.9", SIX, "en"),
    ("de-DE, ru;q=0.5", SIX, "ru"),
    ("de, fr", SIX, "fa"),
    ("*", SIX, "fa"),
    ("fa;q=0, *;q=0.5", SIX, "en"),
    ("ro;q=0.2, *;q=0.1", SIX, "ro"),
    ("ro;q=0, pl;q=0", SIX, "fa"),
    ("ru;q=1.0, pl;q=1", SIX, "ru"),
    ("pl;q=abc, ru;q=0.1", SIX, "ru"),
    ("pl;q=1.5, ru;q=0.1", SIX, "ru"),
    ("pl ; q = 0.7 , ru ; q = 0.6", SIX, "pl"),
    (",,;,", SIX, "fa"),
    ("pl", ("en", "ro"), "en"),
    ("*", ("ro", "en"), "ro"),
]


@pytest.mark.parametrize(("header", "offered", "chosen"), ACCEPT)
def test_accept_language_with_weights_and_regional_tags(
    header: str, offered: tuple[str, ...], chosen: str
) -> None:
    assert Languages(None, offered).negotiate(header) == chosen


def test_only_the_first_twenty_entries_are_read() -> None:
    header = ", ".join(["de"] * 20 + ["pl"])
    assert Languages(None, SIX).negotiate(header) == "fa"


async def test_the_phones_choice_comes_before_the_signal_and_the_default() -> None:
    kept = MemoryLanguagePreferences()
    languages = Languages(kept, ("en", "fa", "ru"))
    assert await languages.for_phone(PHONE) == "en"
    assert await languages.for_phone(PHONE, "fa-IR") == "fa"
    assert await languages.for_phone(PHONE, "de") == "en"
    assert await languages.choose(PHONE, "русский", "sms") == "ru"
    assert await languages.for_phone(PHONE, "fa") == "ru"
    assert await languages.for_phone(None, "fa") == "fa"
    found = await kept.get(PHONE)
    assert found is not None
    assert (found.language, found.channel) == ("ru", "sms")


async def test_a_failing_store_leaves_the_choice_to_the_signal() -> None:
    class Failing(MemoryLanguagePreferences):
        async def get(self, phone: str) -> LanguagePreference | None:
            raise StoreUnavailable("down")

    languages = Languages(Failing(), ("en", "fa"))
    assert await languages.for_phone(PHONE, "fa") == "fa"
    assert await languages.for_phone(PHONE) == "en"
