"""Names as a search compares them: the same name however it was typed or registered.

A hotline caller spells their family name; the registry wrote it once, perhaps with Arabic
letter forms (ي ك) where a Persian keyboard types Persian ones (ی ک), a zero-width joiner
or a space inside a compound name, diacritics (Romanian ș ț ă, Persian harakat) or other
capitals. None of that may make a person unfindable.
"""

from __future__ import annotations

import unicodedata

#: Arabic letter forms read as the Persian letters a Persian keyboard types.
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
        "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
        "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
        "\u0629": "\u0647",  # TEH MARBUTA -> HEH
        "\u06c0": "\u0647",  # HEH WITH YEH ABOVE -> HEH
    }
)
#: Left out altogether: joiners, tatweel, and what separates the parts of a compound name.
_IGNORED = frozenset("\u200c\u200d\u200e\u200f\u0640 -'\u2019.\u00b7")


def name_key(text: str) -> str:
    """``text`` folded to what a name search compares (empty when nothing is left)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    kept = (
        c
        for c in decomposed
        if c not in _IGNORED and not c.isspace() and unicodedata.category(c) != "Mn"
    )
    return unicodedata.normalize("NFC", "".join(kept)).casefold()
