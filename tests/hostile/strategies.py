"""What careless clients and attackers send, as Hypothesis strategies.

Text with NUL bytes, control characters, bidi and zero-width marks, non-ASCII digits and
very long runs; bodies in the wrong encoding or broken on purpose; JSON of any shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

NUL = "\x00"
#: Direction marks and embeddings right-to-left keyboards and spoofers insert.
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
#: Zero-width and invisible characters.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
CONTROL = "".join(chr(c) for c in (*range(0x01, 0x20), 0x7F, *range(0x80, 0xA0)))
#: Digits people type that are not ASCII: Persian, Arabic-Indic, fullwidth.
OTHER_DIGITS = "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９"
ODD = "\u2028\u2029\ufffd\uffff\U0010ffff\u0301\U0001f600<>&'\"%*#;\\"
NASTY = NUL + BIDI + INVISIBLE + CONTROL + OTHER_DIGITS + ODD

#: Byte sequences no UTF-8 decoder accepts (a lone surrogate, an overlong form, a cut one).
INVALID_UTF8 = (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\x80")
WRONG_ENCODINGS = ("utf-16", "utf-16-le", "utf-32", "latin-1", "cp1256")

#: Content-Type headers, right and wrong; None sends none at all.
CONTENT_TYPES: tuple[str | None, ...] = (
    None,
    "",
    "text/plain",
    "text/plain; charset=utf-16",
    "application/json",
    "application/json; charset=latin-1",
    "application/json; charset=no-such-charset",
    "application/fhir+json",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "text/csv",
    "text/csv; charset=utf-16",
    "application/xml",
    'text/xml; charset="',
    "a/b/c",
    "application/octet-stream",
)


def nasty_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text, with the hostile characters above drawn often."""
    return st.text(
        st.one_of(st.sampled_from(NASTY), st.characters(codec="utf-8")), max_size=max_size
    )


def header_values(max_size: int = 300) -> st.SearchStrategy[str]:
    """What a header may carry on the wire (clients refuse control characters there)."""
    return st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        max_size=max_size,
    )


def long_text() -> st.SearchStrategy[str]:
    """A very long field: one character repeated hundreds to tens of thousands of times."""
    return st.builds(
        lambda char, count: char * count,
        st.sampled_from(["9", "ی", "\u202e", "A", "۱", NUL, "*"]),
        st.integers(300, 6_000),
    )


def sprinkled(words: Sequence[str]) -> st.SearchStrategy[str]:
    """Meaningful words with hostile characters between and inside them."""
    piece = st.one_of(
        st.sampled_from(list(words)),
        st.sampled_from(NASTY),
        st.text(max_size=4),
        st.just(" "),
    )
    return st.lists(piece, max_size=7).map("".join)


def field_value(words: Sequence[str]) -> st.SearchStrategy[str]:
    """What a hostile client puts in one text field."""
    return st.one_of(sprinkled(words), nasty_text(), long_text())


def _spliced(text: str, junk: bytes, at: int) -> bytes:
    raw = text.encode("utf-8")
    at = at % (len(raw) + 1)
    return raw[:at] + junk + raw[at:]


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """``text`` as UTF-8, in a wrong encoding, or with invalid UTF-8 spliced in."""
    return st.one_of(
        text.map(lambda t: t.encode("utf-8")),
        st.builds(
            lambda t, enc: t.encode(enc, errors="replace"), text, st.sampled_from(WRONG_ENCODINGS)
        ),
        st.builds(_spliced, text, st.sampled_from(INVALID_UTF8), st.integers(0, 200)),
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """JSON of any shape (NaN and infinities included: Python's json writes them)."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        nasty_text(),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(nasty_text(12), children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def deeply_nested() -> st.SearchStrategy[bytes]:
    """JSON arrays nested far deeper than any parser's recursion allows."""
    return st.integers(50, 5_000).map(lambda n: b"[" * n + b"]" * n)


def huge_numbers() -> st.SearchStrategy[bytes]:
    """A JSON number of more digits than Python converts to an int (4300)."""
    return st.integers(4301, 6000).map(lambda n: b"7" * n)


#: XML where none is read: TwiML sent back at the gateway, a cut document, entity expansion.
XML_BODIES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Message>1000000011</Message></Response>',
    b"<Response><Message>",
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<l>&b;&b;&b;</l>",
)


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Bytes that are no format in particular: empty, random, huge, broken text, XML."""
    return st.one_of(
        st.just(b""),
        st.sampled_from(XML_BODIES),
        st.binary(max_size=200),
        encoded(nasty_text(200)),
        long_text().map(lambda t: t.encode("utf-8")),
        deeply_nested(),
        huge_numbers(),
    )
