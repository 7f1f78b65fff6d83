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
from eligibility_gw.wording import placeholders


def catalog(language: str) -> dict[str, str]:
    """``telegram.po`` of ``language`` as ``{id: text}``."""
    po = resources.files("eligibility_gw.locale").joinpath(language, "LC_MESSAGES", "telegram.po")
    with po.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale=language) if m.id}


def used_keys() -> set[str]:
    """Message ids the channel's code names literally, plus those it builds."""
    source = "".join(p.read_text("utf-8") for p in Path(package.__file__).parent.glob("*.py"))
    keys = set(re.findall(r"""["'](telegram\.[a-z_.]+)["']""", source))
    keys |= {f"telegram.menu.{a.value}" for a in MENU}
    return keys


def test_english_and_persian_hold_the_same_messages() -> None:
    en, fa = catalog("en"), catalog("fa")
    assert set(en) == set(fa)
    assert all(key.startswith("telegram.") for key in en)
    for key in en:
        assert placeholders(en[key]) == placeholders(fa[key]), key
        assert en[key] and fa[key], key


@pytest.mark.parametrize("language", ["en", "fa"])
def test_every_message_the_code_asks_for_exists(language: str) -> None:
    assert used_keys() <= set(catalog(language))


def test_no_message_is_left_over() -> None:
    # The per-national-id limit moved to the core (issue #15): its words went with it.
    assert set(catalog("en")) <= used_keys()


def test_menu_labels_differ_between_languages_and_buttons() -> None:
    en, fa = catalog("en"), catalog("fa")
    labels = [cat[f"telegram.menu.{a.value}"] for cat in (en, fa) for a in MENU]
    assert len(labels) == len(set(labels))
