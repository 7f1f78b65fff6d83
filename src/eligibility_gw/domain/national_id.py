"""National id formats as data: length, padding and a weighted check digit from the rule pack."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import mul

from eligibility_gw.domain.digits import compact_number
from eligibility_gw.domain.errors import (
    InvalidNationalId,
    NationalIdCheckDigit,
    RulePackError,
)


@dataclass(frozen=True, slots=True)
class NationalIdFormat:
    """How a rule pack's national ids look and how their check digit is computed.

    The check digit is the last digit: the weighted sum of the digits before it, taken
    modulo ``modulus``, mapped through ``remainder_to_digit`` (one entry per remainder).
    Both the Iranian national code and the Romanian CNP fit this form with other numbers.
    """

    label: str
    length: int
    weights: tuple[int, ...]
    modulus: int
    remainder_to_digit: tuple[int, ...]
    pad_to_length_from: int | None = None
    reject_repeated_digits: bool = False
    example: str = ""
    #: The weighted sum of ASCII codes exceeds that of digit values by this much.
    _ascii_offset: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weights) != self.length - 1:
            raise RulePackError(
                f"national id: {len(self.weights)} weights for {self.length - 1} digits"
            )
        if len(self.remainder_to_digit) != self.modulus:
            raise RulePackError("national id: remainder_to_digit needs one entry per remainder")
        if any(not 0 <= d <= 9 for d in self.remainder_to_digit):
            raise RulePackError("national id: remainder_to_digit entries must be digits")
        object.__setattr__(self, "_ascii_offset", ord("0") * sum(self.weights))

    def check_digit(self, body: str) -> int:
        """Compute the check digit of the first ``length - 1`` digits."""
        total = sum(int(d) * w for d, w in zip(body, self.weights, strict=True))
        return self.remainder_to_digit[total % self.modulus]

    def _check_digit_ok(self, digits: str) -> bool:
        """The check of ``check_digit``, on ``length`` ASCII digits, without a digit loop.

        An import checks two ids a row: summing byte codes in C is several times faster.
        """
        codes = digits.encode("ascii")
        # map() stops at the shorter iterable: the last digit is left out of the sum.
        total: int = sum(map(mul, codes, self.weights)) - self._ascii_offset
        return self.remainder_to_digit[total % self.modulus] == codes[-1] - 48

    def is_valid(self, digits: str) -> bool:
        """Say whether ``digits`` (already normalised) is a well-formed id."""
        if len(digits) != self.length or not digits.isascii() or not digits.isdigit():
            return False
        if self.reject_repeated_digits and len(set(digits)) == 1:
            return False
        return self.check_digit(digits[:-1]) == int(digits[-1])

    def normalise(self, raw: str) -> str:
        """Return the canonical id for what a person typed, or raise why it is not one."""
        # Already canonical and valid, as in most registry files: nothing to translate or strip.
        if (
            len(raw) == self.length
            and raw.isascii()
            and raw.isdigit()
            and not (self.reject_repeated_digits and raw.count(raw[0]) == len(raw))
            and self._check_digit_ok(raw)
        ):
            return raw
        digits = compact_number(raw)
        if not digits:
            raise InvalidNationalId("national id is empty", field="national_id", problem="empty")
        if not digits.isascii() or not digits.isdigit():
            raise InvalidNationalId(
                "national id must contain digits only", field="national_id", problem="digits"
            )
        if (
            self.pad_to_length_from is not None
            and self.pad_to_length_from <= len(digits) < self.length
        ):
            digits = digits.zfill(self.length)
        if len(digits) != self.length:
            raise InvalidNationalId(
                f"national id must have {self.length} digits, not {len(digits)}",
                field="national_id",
                length=self.length,
                problem="length",
            )
        if self.reject_repeated_digits and len(set(digits)) == 1:
            raise InvalidNationalId(
                "national id cannot repeat one digit", field="national_id", problem="repeated"
            )
        if not self._check_digit_ok(digits):
            raise NationalIdCheckDigit(
                "national id fails its check digit: probably a typing error",
                field="national_id",
            )
        return digits

    def complete(self, body: str) -> str:
        """Append the check digit to ``length - 1`` digits (for test data and the demo)."""
        if len(body) != self.length - 1 or not body.isascii() or not body.isdigit():
            raise ValueError(f"need {self.length - 1} digits")
        return body + str(self.check_digit(body))
