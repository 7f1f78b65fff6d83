"""Tracking codes: digits a keypad can type, a Verhoeff check digit, grouped for reading."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from eligibility_gw.domain.digits import compact_number
from eligibility_gw.domain.errors import InvalidTrackingCode

# Verhoeff: the dihedral group D5 multiplication table, the permutation table and inverses.
# It detects every single-digit error and every adjacent transposition.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

TRACKING_CODE_LENGTH = 12
_BODY_LENGTH = TRACKING_CODE_LENGTH - 1


def verhoeff_check_digit(body: str) -> int:
    """Compute the Verhoeff check digit to append to ``body``."""
    c = 0
    for i, ch in enumerate(reversed(body)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return _INV[c]


def verhoeff_is_valid(number: str) -> bool:
    """Say whether ``number`` (check digit last) passes the Verhoeff check."""
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


@dataclass(frozen=True, slots=True, order=True)
class TrackingCode:
    """A 12-digit code: 11 random digits and a Verhoeff check digit."""

    digits: str

    @classmethod
    def new(cls) -> TrackingCode:
        """Draw a fresh unguessable code; the store enforces uniqueness."""
        body = f"{secrets.randbelow(10**_BODY_LENGTH):0{_BODY_LENGTH}d}"
        return cls(body + str(verhoeff_check_digit(body)))

    @classmethod
    def parse(cls, text: str) -> TrackingCode:
        """Read a code as typed (groups, dashes, Persian digits); refuse typos."""
        digits = compact_number(text)
        if len(digits) != TRACKING_CODE_LENGTH or not digits.isascii() or not digits.isdigit():
            raise InvalidTrackingCode(
                f"a tracking code has {TRACKING_CODE_LENGTH} digits", field="tracking_code"
            )
        if not verhoeff_is_valid(digits):
            raise InvalidTrackingCode(
                "tracking code fails its check digit: probably a typing error",
                field="tracking_code",
            )
        return cls(digits)

    def grouped(self, sep: str = "-") -> str:
        """Show the code in groups of four, e.g. ``4821-0937-5526``."""
        d = self.digits
        return sep.join((d[0:4], d[4:8], d[8:12]))

    def __str__(self) -> str:
        return self.grouped()
