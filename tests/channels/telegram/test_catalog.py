"""The channel's catalogs: complete in every shipped language, placeholders alike, and every
message the code asks for present."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import eligibility_gw.channels.telegram as package
from eligibility_gw.channels.telegram.keyboards import MENU
from eligibility_gw.wording import available_languages, placeholders

LANGUAGES = available_languages()


def catalog(language: str) -> dict[str, str]:
    """``telegram.po`` of ``language`` as ``{id: text}`` (a plural message: each form, joined)."""
    po = resources.files("eligibility_gw.locale").joinpath(language, "LC_MESSAGES", "telegram.po")
    with po.open("rb") as fh:
        return {
            m.id if isinstance(m.id, str) else m.id[0]: (
                m.string if isinstance(m.string, str) else " ".join(m.string or ())
            )
            for m in read_po(fh, locale=language)
            if m.id
        }


def used_keys() -> set[str]:
    """Message ids the channel's code names literally, plus those it builds."""
    source = "".join(p.read_text("utf-8") for p in Path(package.__file__).parent.glob("*.py"))
    keys = set(re.findall(r"""["'](telegram\.[a-z_.]+)["']""", source))
    keys |= {f"telegram.menu.{a.value}" for a in MENU}
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_holds_the_english_messages(language: str) -> None:
    en, own = catalog("en"), catalog(language)
    assert set(en) == set(own)
    assert all(key.startswith("telegram.") for key in en)
    for key in en:
        assert placeholders(own[key]) == placeholders(en[key]), (language, key)
        assert en[key] and own[key], (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_the_code_asks_for_exists(language: str) -> None:
    assert used_keys() <= set(catalog(language))


def test_no_message_is_left_over() -> None:
    # The per-national-id limit moved to the core (issue #15): its words went with it.
    assert set(catalog("en")) <= used_keys()


def test_menu_labels_differ_between_languages_and_buttons() -> None:
    """A label read back names one action in one language (``action_of``)."""
    for language in LANGUAGES:
        own = catalog(language)
        labels = [own[f"telegram.menu.{a.value}"] for a in MENU]
        assert len(labels) == len(set(labels)), language
    en = catalog("en")
    for language in LANGUAGES:
        if language != "en":
            own = catalog(language)
            assert all(
                own[f"telegram.menu.{a.value}"] != en[f"telegram.menu.{a.value}"] for a in MENU
            ), language
