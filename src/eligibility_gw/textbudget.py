"""How much room a text takes on a phone: GSM-7 septets, UCS-2 units, SMS segments."""

from __future__ import annotations

from collections.abc import Sequence

# GSM 03.38 basic character set, and the extension table (each costs an escape + char).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

SMS_GSM7_SINGLE = 160
SMS_GSM7_PART = 153
SMS_UCS2_SINGLE = 70
SMS_UCS2_PART = 67
USSD_GSM7_BUDGET = 182


def is_gsm7(text: str) -> bool:
    """Say whether every character has a GSM-7 encoding."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def gsm7_length(text: str) -> int:
    """Septets a GSM-7 text takes (extension characters count two)."""
    return sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)


def ucs2_length(text: str) -> int:
    """UTF-16 code units a UCS-2 text takes (characters beyond the BMP count two)."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS parts the text is sent as."""
    if is_gsm7(text):
        n, single, part = gsm7_length(text), SMS_GSM7_SINGLE, SMS_GSM7_PART
    else:
        n, single, part = ucs2_length(text), SMS_UCS2_SINGLE, SMS_UCS2_PART
    if n <= single:
        return 1
    return -(-n // part)


def fits_ussd(text: str, ucs2_budget: int = 80, gsm7_budget: int = USSD_GSM7_BUDGET) -> bool:
    """Say whether the text fits one USSD screen."""
    if is_gsm7(text):
        return gsm7_length(text) <= gsm7_budget
    return ucs2_length(text) <= ucs2_budget


#: SMS parts a reply may take at the most (Twilio advises no more than two or three).
MAX_SMS_SEGMENTS = 3
_ELLIPSIS = "..."


def clip(text: str, segments: int = MAX_SMS_SEGMENTS) -> str:
    """Cut ``text`` to at most ``segments`` SMS parts (a last resort: variants should fit)."""
    if sms_segments(text) <= segments:
        return text
    while text and sms_segments(text + _ELLIPSIS) > segments:
        text = text[:-1]
    return text.rstrip() + _ELLIPSIS


def fit(candidates: Sequence[str]) -> str:
    """The candidate sent as the fewest SMS parts; the earliest (richest) among equals."""
    best = min(range(len(candidates)), key=lambda i: (sms_segments(candidates[i]), i))
    return clip(candidates[best])
