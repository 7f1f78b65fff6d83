"""Normalise what people type: Persian and Arabic-Indic digits, spaces, dashes, marks."""

from __future__ import annotations

import re

_DIGIT_MAP = {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}
_DIGIT_MAP.update({ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")})
# Fullwidth digits, as East Asian and some phone keyboards type them.
_DIGIT_MAP.update({ord(c): str(i) for i, c in enumerate("０１２３４５６７８９")})
# Separators people put inside numbers: spaces of all widths, dashes of all kinds, dots,
# and invisible bidi/joiner marks that phones insert around digits.
_SEPARATORS = re.compile(
    "[\\s\u00a0\u2000-\u200f\u2028-\u202f\u2060-\u2064\u2066-\u2069\ufeff\u061c"
    "\\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d._/]+"
)
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")


def ascii_digits(text: str) -> str:
    """Replace Persian (U+06F0..), Arabic-Indic (U+0660..) and fullwidth digits by ASCII ones."""
    return text.translate(_DIGIT_MAP)


def strip_bidi(text: str) -> str:
    """Drop invisible direction marks that right-to-left keyboards insert."""
    return _BIDI_MARKS.sub("", text)


def compact_number(text: str) -> str:
    """Digits only as typed: ASCII digits, separators removed, letters kept (to be refused)."""
    return _SEPARATORS.sub("", ascii_digits(text)).strip()
