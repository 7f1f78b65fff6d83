"""Tracking codes: 12 digits, a Verhoeff check digit that catches every typo it promises."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from eligibility_gw.domain.errors import InvalidInput, InvalidTrackingCode
from eligibility_gw.domain.tracking import (
    _D,
    _INV,
    _P,
    TRACKING_CODE_LENGTH,
    TrackingCode,
    verhoeff_check_digit,
    verhoeff_is_valid,
)

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _sample(n: int = 200) -> list[str]:
    rng = random.Random(20261123)
    out = []
    for _ in range(n):
        body = "".join(rng.choice("0123456789") for _ in range(TRACKING_CODE_LENGTH - 1))
        out.append(body + str(verhoeff_check_digit(body)))
    return out


SAMPLE = _sample()


@pytest.mark.parametrize(
    ("body", "check"),
    [
        # Published Verhoeff examples.
        ("236", 3),
        ("12345", 1),
        ("142857", 0),
        ("123456789012", 0),
        ("8473643095483728456789", 2),
    ],
)
def test_verhoeff_matches_published_examples(body: str, check: int) -> None:
    assert verhoeff_check_digit(body) == check
    assert verhoeff_is_valid(body + str(check))
    assert not verhoeff_is_valid(body + str((check + 1) % 10))


def test_verhoeff_tables_have_their_algebraic_structure() -> None:
    # Each permutation row is the next power of the first one ...
    row = tuple(range(10))
    for k in range(8):
        assert _P[k] == row, f"permutation row {k}"
        row = tuple(_P[1][x] for x in row)
    assert row == _P[0], "the permutation has order 8"
    # ... _D is a group table with identity 0 and _INV gives inverses.
    for a in range(10):
        assert _D[0][a] == _D[a][0] == a
        assert _D[a][_INV[a]] == 0
        assert sorted(_D[a]) == list(range(10))


def test_new_codes_are_twelve_valid_digits() -> None:
    for _ in range(500):
        code = TrackingCode.new()
        assert len(code.digits) == TRACKING_CODE_LENGTH == 12
        assert code.digits.isascii()
        assert code.digits.isdigit()
        assert verhoeff_is_valid(code.digits)
        assert TrackingCode.parse(code.digits) == code


def test_new_codes_are_random_not_sequential() -> None:
    codes = [TrackingCode.new() for _ in range(2000)]
    assert len({c.digits for c in codes}) == len(codes)
    bodies = [int(c.digits[:-1]) for c in codes]
    steps = {b - a for a, b in itertools.pairwise(bodies)}
    assert len(steps) > 1900, "consecutive codes must not differ by a fixed step"
    assert sum(1 for a, b in itertools.pairwise(bodies) if b > a) < 1200
    # Leading digits spread over the whole range.
    assert len({c.digits[0] for c in codes}) == 10


@pytest.mark.parametrize(
    "transform",
    [
        lambda d: d,
        lambda d: f"{d[:4]}-{d[4:8]}-{d[8:]}",
        lambda d: f"{d[:4]} {d[4:8]} {d[8:]}",
        lambda d: f"  {d[:4]}  {d[4:8]}\t{d[8:]}  ",
        lambda d: f"{d[:4]}\u2013{d[4:8]}\u2014{d[8:]}",
        lambda d: f"{d[:4]}.{d[4:8]}.{d[8:]}",
        lambda d: d.translate(_PERSIAN),
        lambda d: f"{d[:4]}-{d[4:8]}-{d[8:]}".translate(_PERSIAN),
        lambda d: d.translate(_ARABIC_INDIC),
        lambda d: "\u200f" + d.translate(_PERSIAN) + "\u200e",
        lambda d: "\u2067" + d + "\u2069",
    ],
    ids=[
        "plain",
        "dashed",
        "spaced",
        "loose",
        "unicode-dashes",
        "dotted",
        "persian",
        "persian-dashed",
        "arabic-indic",
        "bidi-marks",
        "bidi-isolates",
    ],
)
def test_parse_accepts_the_forms_people_type(transform: object) -> None:
    assert callable(transform)
    for digits in SAMPLE[:20]:
        typed = transform(digits)
        assert isinstance(typed, str)
        assert TrackingCode.parse(typed).digits == digits


@pytest.mark.parametrize(
    "typed",
    ["", "1234", "12345678901", "1234567890123", "12345678901a", "ABCD-EFGH-IJKL", "+1234567890"],
)
def test_parse_refuses_malformed_codes(typed: str) -> None:
    with pytest.raises(InvalidTrackingCode) as info:
        TrackingCode.parse(typed)
    assert info.value.code == "INVALID_TRACKING_CODE"
    assert info.value.field == "tracking_code"
    assert isinstance(info.value, InvalidInput)
    assert "12 digits" in info.value.message


def test_every_single_substitution_is_refused() -> None:
    refused = 0
    for digits in SAMPLE:
        for i, d in enumerate(digits):
            for other in "0123456789":
                if other == d:
                    continue
                typo = digits[:i] + other + digits[i + 1 :]
                assert not verhoeff_is_valid(typo), (digits, typo)
                refused += 1
    # parse() refuses them through the same check (on a part, to stay fast).
    for digits in SAMPLE[:10]:
        for i in range(len(digits)):
            typo = digits[:i] + str((int(digits[i]) + 3) % 10) + digits[i + 1 :]
            with pytest.raises(InvalidTrackingCode, match="check digit"):
                TrackingCode.parse(typo)
    assert refused == len(SAMPLE) * 12 * 9


def test_every_adjacent_transposition_is_refused() -> None:
    refused = 0
    for digits in SAMPLE:
        for i in range(len(digits) - 1):
            a, b = digits[i], digits[i + 1]
            if a == b:
                continue
            swapped = digits[:i] + b + a + digits[i + 2 :]
            assert not verhoeff_is_valid(swapped), (digits, swapped)
            with pytest.raises(InvalidTrackingCode, match="check digit"):
                TrackingCode.parse(swapped)
            refused += 1
    assert refused > len(SAMPLE) * 9


def test_grouped_shows_three_groups_of_four() -> None:
    code = TrackingCode.parse("482109375526"[:-1] + str(verhoeff_check_digit("48210937552")))
    assert code.grouped() == f"4821-0937-552{code.digits[-1]}"
    assert code.grouped(" ") == f"4821 0937 552{code.digits[-1]}"
    assert str(code) == code.grouped()
    for _ in range(100):
        new = TrackingCode.new()
        assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", new.grouped())
        assert new.grouped().replace("-", "") == new.digits
        assert TrackingCode.parse(new.grouped()) == new


def test_codes_order_and_compare_by_digits() -> None:
    a, b = sorted(TrackingCode.parse(d) for d in SAMPLE[:2])
    assert a.digits < b.digits
    assert TrackingCode.parse(SAMPLE[0]) == TrackingCode(SAMPLE[0])
    assert hash(TrackingCode.parse(SAMPLE[0])) == hash(TrackingCode(SAMPLE[0]))
