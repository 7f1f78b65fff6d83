"""National id formats as data: a weighted check digit, or a format python-stdnum knows.

A rule pack names its national id format (or several, when a scheme accepts more than one
kind of id: CPF or CNS, SNILS or the OMS policy number). Weights-as-data serve the ids
python-stdnum does not know (the Iranian national code, the CNS, SNILS); ``stdnum = "pl.pesel"``
and the like use its validators, which also check what a weighted sum cannot (PESEL's date).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import mul
from types import ModuleType
from typing import Protocol

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from eligibility_gw.domain.digits import compact_number
from eligibility_gw.domain.errors import (
    InvalidNationalId,
    NationalIdCheckDigit,
    RulePackError,
)


class IdScheme(Protocol):
    """What the gateway needs of a pack's national ids, one format or several."""

    @property
    def label(self) -> str:
        """How people call the id (``national code``, ``CPF or CNS``)."""

    @property
    def example(self) -> str:
        """A valid id, for help texts."""

    @property
    def length(self) -> int:
        """The digits of the first (main) format."""

    @property
    def lengths(self) -> tuple[int, ...]:
        """The digits of each accepted format."""

    def normalise(self, raw: str) -> str:
        """The canonical id for what a person typed, or ``InvalidNationalId`` why not."""

    def is_valid(self, digits: str) -> bool:
        """Say whether ``digits`` (already normalised) is a well-formed id."""

    def complete(self, body: str) -> str:
        """The main format's id of ``body`` with its check digit(s) (test data, the demo)."""

    def sample(self, series: int, n: int) -> str:
        """The ``n``-th valid id of ``series`` (1: demo personas, 3: synthetic families)."""

    def format_of(self, digits: str) -> str | None:
        """The name of the format ``digits`` is a valid id of, or None."""


def _empty_or_letters(digits: str) -> None:
    if not digits:
        raise InvalidNationalId("national id is empty", field="national_id", problem="empty")
    if not digits.isascii() or not digits.isdigit():
        raise InvalidNationalId(
            "national id must contain digits only", field="national_id", problem="digits"
        )


def _wrong_length(length: int, got: int) -> InvalidNationalId:
    return InvalidNationalId(
        f"national id must have {length} digits, not {got}",
        field="national_id",
        length=length,
        problem="length",
    )


def _check_digit_error() -> NationalIdCheckDigit:
    return NationalIdCheckDigit(
        "national id fails its check digit: probably a typing error", field="national_id"
    )


@dataclass(frozen=True, slots=True)
class NationalIdFormat:
    """How a rule pack's national ids look and how their check digit is computed.

    The check digit is the last digit: the weighted sum of the digits before it, taken
    modulo ``modulus``, mapped through ``remainder_to_digit`` (one entry per remainder).
    Both the Iranian national code and the Romanian CNP fit this form with other numbers;
    SNILS too, with two check digits (``check_length = 2``: modulo 101, 100 giving 00), and
    the CNS, whose remainder 1 no valid number has (entry ``-1``) and whose first digit is
    one of ``leading_digits``.
    """

    label: str
    length: int
    weights: tuple[int, ...]
    modulus: int
    remainder_to_digit: tuple[int, ...]
    pad_to_length_from: int | None = None
    reject_repeated_digits: bool = False
    example: str = ""
    name: str = "national_id"
    check_length: int = 1
    leading_digits: tuple[str, ...] = ()
    #: The weighted sum of ASCII codes exceeds that of digit values by this much.
    _ascii_offset: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.check_length not in (1, 2):
            raise RulePackError("national id: check_length must be 1 or 2")
        if len(self.weights) != self.length - self.check_length:
            raise RulePackError(
                f"national id: {len(self.weights)} weights for"
                f" {self.length - self.check_length} digits"
            )
        if len(self.remainder_to_digit) != self.modulus:
            raise RulePackError("national id: remainder_to_digit needs one entry per remainder")
        top = 10**self.check_length
        if any(not -1 <= d < top for d in self.remainder_to_digit):
            raise RulePackError(
                "national id: remainder_to_digit entries must be digits (or -1: no id)"
            )
        if any(len(d) != 1 or not d.isdigit() for d in self.leading_digits):
            raise RulePackError("national id: leading_digits must list single digits")
        object.__setattr__(self, "_ascii_offset", ord("0") * sum(self.weights))

    @property
    def lengths(self) -> tuple[int, ...]:
        """The one length of this format."""
        return (self.length,)

    def format_of(self, digits: str) -> str | None:
        """This format's name when ``digits`` is one of its ids."""
        return self.name if self.is_valid(digits) else None

    def check_digit(self, body: str) -> int:
        """Compute the check digit(s) of the body (-1: no id has this body)."""
        total = sum(int(d) * w for d, w in zip(body, self.weights, strict=True))
        return self.remainder_to_digit[total % self.modulus]

    def _check_digit_ok(self, digits: str) -> bool:
        """The check of ``check_digit``, on ``length`` ASCII digits, without a digit loop.

        An import checks two ids a row: summing byte codes in C is several times faster.
        """
        codes = digits.encode("ascii")
        if self.check_length != 1:
            body = self.length - self.check_length
            return self.check_digit(digits[:body]) == int(digits[body:])
        # map() stops at the shorter iterable: the last digit is left out of the sum.
        total: int = sum(map(mul, codes, self.weights)) - self._ascii_offset
        return self.remainder_to_digit[total % self.modulus] == codes[-1] - 48

    def is_valid(self, digits: str) -> bool:
        """Say whether ``digits`` (already normalised) is a well-formed id."""
        if len(digits) != self.length or not digits.isascii() or not digits.isdigit():
            return False
        if self.reject_repeated_digits and len(set(digits)) == 1:
            return False
        if self.leading_digits and digits[0] not in self.leading_digits:
            return False
        return self._check_digit_ok(digits)

    def normalise(self, raw: str) -> str:
        """Return the canonical id for what a person typed, or raise why it is not one."""
        # Already canonical and valid, as in most registry files: nothing to translate or strip.
        if (
            len(raw) == self.length
            and raw.isascii()
            and raw.isdigit()
            and not (self.reject_repeated_digits and raw.count(raw[0]) == len(raw))
            and not (self.leading_digits and raw[0] not in self.leading_digits)
            and self._check_digit_ok(raw)
        ):
            return raw
        digits = compact_number(raw)
        _empty_or_letters(digits)
        if (
            self.pad_to_length_from is not None
            and self.pad_to_length_from <= len(digits) < self.length
        ):
            digits = digits.zfill(self.length)
        if len(digits) != self.length:
            raise _wrong_length(self.length, len(digits))
        if self.reject_repeated_digits and len(set(digits)) == 1:
            raise InvalidNationalId(
                "national id cannot repeat one digit", field="national_id", problem="repeated"
            )
        if self.leading_digits and digits[0] not in self.leading_digits:
            raise InvalidNationalId(
                f"national id must start with {' or '.join(self.leading_digits)}",
                field="national_id",
                problem="component",
            )
        if not self._check_digit_ok(digits):
            raise _check_digit_error()
        return digits

    def complete(self, body: str) -> str:
        """Append the check digit(s) to the body (for test data and the demo)."""
        width = self.length - self.check_length
        if len(body) != width or not body.isascii() or not body.isdigit():
            raise ValueError(f"need {width} digits")
        check = self.check_digit(body)
        if check < 0:
            raise ValueError(f"no {self.label} has the body {body}")
        return body + f"{check:0{self.check_length}d}"

    def sample(self, series: int, n: int) -> str:
        """``series`` then ``n`` and the check digit (ids the README lists stay as they were);
        with a required first digit or bodies no id has, a last body digit that works."""
        width = self.length - self.check_length
        if not self.leading_digits and -1 not in self.remainder_to_digit:
            return self.complete(f"{series}{n:0{width - 1}d}")
        lead = self.leading_digits[-1] if self.leading_digits else ""
        stem = f"{lead}{series}{n:0{width - len(lead) - 2}d}"
        for last in "0123456789":
            check = self.check_digit(stem + last)
            if check >= 0:
                return f"{stem}{last}{check:0{self.check_length}d}"
        raise ValueError(f"no {self.label} starts {stem}")


#: Where each format python-stdnum knows takes its sample ids from (see ``StdnumFormat``).
_PESEL_FIRST_DAY = date(1950, 1, 1)


@dataclass(frozen=True, slots=True)
class StdnumFormat:
    """An id python-stdnum validates (``module``: ``pl.pesel``, ``br.cpf``, ``luhn``).

    Its ``validate`` checks what a weighted sum cannot: PESEL's birth date, CPF's two
    check digits. ``luhn`` checks any Luhn number, here of ``length`` digits.
    """

    label: str
    module: str
    length: int
    example: str = ""
    name: str = "national_id"
    reject_repeated_digits: bool = False

    def __post_init__(self) -> None:
        try:
            found = importlib.import_module(f"stdnum.{self.module}")
        except ImportError as exc:
            raise RulePackError(f"national id: python-stdnum has no {self.module!r}") from exc
        if not callable(getattr(found, "validate", None)):
            raise RulePackError(f"national id: stdnum.{self.module} validates nothing")

    @property
    def _validator(self) -> ModuleType:
        return importlib.import_module(f"stdnum.{self.module}")

    @property
    def lengths(self) -> tuple[int, ...]:
        """The one length of this format."""
        return (self.length,)

    def format_of(self, digits: str) -> str | None:
        """This format's name when ``digits`` is one of its ids."""
        return self.name if self.is_valid(digits) else None

    def is_valid(self, digits: str) -> bool:
        """Say whether ``digits`` (already normalised) is a well-formed id."""
        try:
            return self.normalise(digits) == digits
        except InvalidNationalId:
            return False

    def normalise(self, raw: str) -> str:
        """The canonical id for what a person typed, or ``InvalidNationalId`` why not."""
        digits = compact_number(raw)
        _empty_or_letters(digits)
        if len(digits) != self.length:
            raise _wrong_length(self.length, len(digits))
        if self.reject_repeated_digits and len(set(digits)) == 1:
            raise InvalidNationalId(
                "national id cannot repeat one digit", field="national_id", problem="repeated"
            )
        try:
            self._validator.validate(digits)
        except InvalidChecksum:
            raise _check_digit_error() from None
        except InvalidLength:
            raise _wrong_length(self.length, len(digits)) from None
        except (InvalidComponent, InvalidFormat):
            raise InvalidNationalId(
                f"national id is not a possible {self.label} (a part of it, such as a"
                " birth date, cannot be)",
                field="national_id",
                problem="component",
            ) from None
        return digits

    def complete(self, body: str) -> str:
        """``body`` with the check digit(s) that make it valid (for test data and the demo)."""
        missing = self.length - len(body)
        if not 0 < missing <= 2 or not body.isascii() or not body.isdigit():
            raise ValueError(f"need up to 2 digits fewer than {self.length}")
        for check in range(10**missing):
            candidate = f"{body}{check:0{missing}d}"
            if self.is_valid(candidate):
                return candidate
        raise ValueError(f"no {self.label} starts {body}")

    def sample(self, series: int, n: int) -> str:
        """The ``n``-th id of ``series``; a PESEL's holds a possible birth date."""
        if self.module == "pl.pesel":
            day = _PESEL_FIRST_DAY + timedelta(days=series * 1000 + n // 1000)
            return self.complete(f"{day:%y%m%d}{n % 1000:03d}0")
        width = self.length - (2 if self.module == "br.cpf" else 1)
        return self.complete(f"{series}{n:0{width - 1}d}")


IdFormat = NationalIdFormat | StdnumFormat


@dataclass(frozen=True, slots=True)
class NationalIdScheme:
    """Several kinds of id a pack accepts, each with its own check (CPF or CNS).

    What a person types is read as the format of its length; the first format is the main
    one (``length``, ``complete``).
    """

    label: str
    formats: tuple[IdFormat, ...]

    def __post_init__(self) -> None:
        if not self.formats:
            raise RulePackError("national id: no format")
        names = [f.name for f in self.formats]
        if len(set(names)) != len(names):
            raise RulePackError("national id: two formats share a name")

    @property
    def example(self) -> str:
        """The main format's example."""
        return self.formats[0].example

    @property
    def length(self) -> int:
        """The main format's length."""
        return self.formats[0].length

    @property
    def lengths(self) -> tuple[int, ...]:
        """Every accepted length, main first."""
        return tuple(dict.fromkeys(f.length for f in self.formats))

    def normalise(self, raw: str) -> str:
        """The id in the format of its length; the first such format's error when none."""
        digits = compact_number(raw)
        _empty_or_letters(digits)
        candidates = [f for f in self.formats if f.length == len(digits)]
        if not candidates:
            shown = " / ".join(str(n) for n in self.lengths)
            raise InvalidNationalId(
                f"national id must have {shown} digits, not {len(digits)}",
                field="national_id",
                lengths=shown,
                problem="lengths",
            )
        first: InvalidNationalId | None = None
        for fmt in candidates:
            try:
                return fmt.normalise(digits)
            except InvalidNationalId as exc:
                first = first or exc
        assert first is not None
        raise first

    def is_valid(self, digits: str) -> bool:
        """Say whether ``digits`` is a valid id of any format."""
        return any(f.is_valid(digits) for f in self.formats)

    def format_of(self, digits: str) -> str | None:
        """The name of the format ``digits`` is valid in."""
        return next((f.name for f in self.formats if f.is_valid(digits)), None)

    def complete(self, body: str) -> str:
        """The main format's ``complete``."""
        return self.formats[0].complete(body)

    def sample(self, series: int, n: int) -> str:
        """The main format's ``sample``."""
        return self.formats[0].sample(series, n)

    def sample_of(self, name: str, series: int, n: int) -> str:
        """A sample id of the format called ``name``."""
        return next(f for f in self.formats if f.name == name).sample(series, n)
