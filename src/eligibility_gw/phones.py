"""Phone numbers: registry numbers are E.164; senders' numbers are normalised to E.164."""

from __future__ import annotations

import re

import phonenumbers

from eligibility_gw.domain.digits import ascii_digits, strip_bidi

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class InvalidPhone(ValueError):
    """A phone number that cannot be read."""


def is_e164(text: str) -> bool:
    """Say whether ``text`` is written in E.164 form (``+`` and up to 15 digits)."""
    return bool(_E164.match(text))


def normalise_phone(raw: str, region: str = "ZZ") -> str:
    """E.164 for a number as typed or as a carrier sends it (local forms read in ``region``)."""
    text = ascii_digits(strip_bidi(raw)).strip()
    if is_e164(text):
        return text
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, None if region == "ZZ" else region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"cannot read phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone("not a possible phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
