"""Every catalog of every domain holds every message, and every plural message every form.

A message missing in one language falls back to English silently; a plural entry lacking a
form falls back too. Both fail here, naming the language, the domain and the message.
"""

from __future__ import annotations

import gettext

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural

from eligibility_gw.wording import (
    FALLBACK_LANGUAGE,
    Wording,
    available_languages,
    catalog_files,
    placeholders,
    plural_categories,
    plural_form,
)

LANGUAGES = available_languages()
DOMAINS = sorted(catalog_files()[FALLBACK_LANGUAGE])


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _plural_ids(catalog: Catalog) -> set[str]:
    return {m.id[0] for m in catalog if isinstance(m.id, tuple)}


def test_the_six_languages_are_shipped() -> None:
    assert set(LANGUAGES) == {"en", "fa", "ro", "pt_BR", "pl", "ru"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_no_message_is_missing(language: str, domain: str) -> None:
    english = catalog_files()[FALLBACK_LANGUAGE][domain]
    own = catalog_files()[language].get(domain)
    assert own is not None, f"{language}: no {domain}.po"
    missing = sorted(_ids(english) - _ids(own))
    extra = sorted(_ids(own) - _ids(english))
    assert not missing, f"{language}/{domain}.po lacks {missing}"
    assert not extra, f"{language}/{domain}.po has messages English lacks: {extra}"
    assert _plural_ids(own) == _plural_ids(english), f"{language}/{domain}.po: plural or not"
    empty = sorted(
        m.id
        for m in own
        if isinstance(m.id, str) and m.id and not (isinstance(m.string, str) and m.string.strip())
    )
    assert not empty, f"{language}/{domain}.po: empty {empty}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_plural_entries_have_every_form(language: str, domain: str) -> None:
    catalog = catalog_files()[language][domain]
    forms = len(plural_categories(language))
    assert catalog.num_plurals == forms, f"{language}/{domain}.po: Plural-Forms nplurals"
    english = {
        m.id[0]: m.string[-1]
        for m in catalog_files()[FALLBACK_LANGUAGE][domain]
        if isinstance(m.id, tuple) and isinstance(m.string, tuple | list)
    }
    for m in catalog:
        if not isinstance(m.id, tuple):
            continue
        strings = [str(s) for s in m.string or ()]
        assert len(strings) == forms, f"{language}/{domain}.po: {m.id[0]} has {len(strings)}"
        lacking = [i for i, s in enumerate(strings) if not s.strip()]
        assert not lacking, f"{language}/{domain}.po: {m.id[0]} lacks form(s) {lacking}"
        allowed = placeholders(english[m.id[0]]) | {"count"}
        for s in strings:
            assert placeholders(s) <= allowed, f"{language}/{domain}.po: {m.id[0]}: {s}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_forms_header_agrees_with_babel(language: str) -> None:
    """The header's gettext expression picks the form Babel's CLDR rules pick."""
    expected = get_plural(language)
    for domain, catalog in catalog_files()[language].items():
        assert catalog.num_plurals == expected.num_plurals, (language, domain)
        chosen = gettext.c2py(catalog.plural_expr)
        for n in (*range(250), 1000, 1001, 1_000_000):
            assert chosen(n) == plural_form(language, n), (language, domain, n)


def test_three_forms_in_polish_and_russian() -> None:
    assert plural_categories("pl") == plural_categories("ru") == ("one", "few", "many")
    w = Wording("ru")
    said = [w.n("sms.family.more", n) for n in (1, 2, 5, 21, 22, 25, 11)]
    assert said[0].split()[2] == said[3].split()[2] != said[1].split()[2]
    assert said[2].split()[2] == said[5].split()[2] == said[6].split()[2]
    assert said[1].split()[2] == said[4].split()[2]
    pl = Wording("pl")
    assert [pl.n("sms.family.more", n).split()[1] for n in (1, 3, 5)] == [
        "osoba",
        "osoby",
        "osób",
    ]
    ro = Wording("ro")
    assert "20 de persoane" in ro.n("sms.family.more", 20)
    assert "3 persoane" in ro.n("sms.family.more", 3)


def test_a_language_without_the_plural_falls_back_to_english_forms() -> None:
    w = Wording("xx")
    assert w.n("sms.family.more", 1) == "+1 more: send a national id"
    assert w.n("no.such.message", 3) == "no.such.message"
