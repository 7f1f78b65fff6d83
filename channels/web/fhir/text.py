"""Which strings FHIR R4 lets a resource hold, read as HL7's JSON schema means them.

The schema's patterns (``^[ \\r\\n\\t\\S]+$`` for a string, ``^[^\\s]+(\\s[^\\s]+)*$`` for a
code, ``^\\S*$`` for a uri) are JavaScript regular expressions: there ``\\s`` also matches
U+FEFF (a byte-order mark) and every Unicode space, which Python's ``re`` reads otherwise.
So the checks are written out here, on JavaScript's set of white space, and the gateway echoes
a client's string only when it passes them.
"""

from __future__ import annotations

import re
import unicodedata

#: JavaScript's ``\s``: ECMA-262 WhiteSpace and LineTerminator.
JS_WHITE_SPACE = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
#: The white space a FHIR ``string`` may hold.
_STRING_SPACE = frozenset(" \r\n\t")
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
#: Categories of characters nobody can see: controls, format characters (U+200B, U+FEFF,
#: bidirectional marks), private use, surrogates, unassigned, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def is_string(text: str) -> bool:
    """Say whether ``text`` is a valid FHIR ``string`` (non-empty, no other white space)."""
    return bool(text) and all(c in _STRING_SPACE or c not in JS_WHITE_SPACE for c in text)


def is_code(text: str) -> bool:
    """Say whether ``text`` is a valid FHIR ``code``: words separated by single spaces."""
    return bool(text) and all(
        word and not any(c in JS_WHITE_SPACE for c in word) for word in text.split(" ")
    )


def is_uri(text: str) -> bool:
    """Say whether ``text`` is a valid FHIR ``uri``: not empty, no white space at all."""
    return bool(text) and not any(c in JS_WHITE_SPACE for c in text)


def is_id(text: str) -> bool:
    """Say whether ``text`` is a valid FHIR ``id``."""
    return _ID.fullmatch(text) is not None


def invisible_character(text: str) -> tuple[int, str] | None:
    """The first character of ``text`` nobody can see (its 1-based position), or None.

    Plain spaces are visible enough (national ids are typed with them); every other space,
    control, and format character (a byte-order mark, a zero-width space) is not.
    """
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if category in _INVISIBLE_CATEGORIES or (category == "Zs" and char != " "):
            return position, char
        if char in JS_WHITE_SPACE and char != " ":
            return position, char
    return None


def describe(char: str) -> str:
    """A character as a reader can identify it: ``U+FEFF (ZERO WIDTH NO-BREAK SPACE)``."""
    name = unicodedata.name(char, "")
    if char == "\ufeff":
        name = "ZERO WIDTH NO-BREAK SPACE, a byte-order mark"
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")
