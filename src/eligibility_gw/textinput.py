"""Read dates and choices as people type them on any channel."""

from __future__ import annotations

import re
from datetime import date

import jdatetime

from eligibility_gw.domain.digits import ascii_digits, strip_bidi
from eligibility_gw.domain.errors import InvalidDate

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
#: Day first, the year last in four digits: how Romanian, Polish, Russian (23.11.2026) and
#: Brazilian (23/11/2026) dates are shown, so people may type them back that way.
_DAY_FIRST = re.compile(r"^\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})\s*$")
#: Years below this are read as Solar Hijri (1300..1499 covers every living person).
_SOLAR_HIJRI_BEFORE = 1700


def parse_date(text: str) -> date:
    """Read ``YYYY-MM-DD`` (or ``/`` and ``.``, or ``YYYYMMDD``); Solar Hijri years too; or
    ``DD.MM.YYYY`` (``/``, ``-``), the day first, as the locales that show dates so write them.

    Persian and Arabic-Indic digits are accepted; 1404/09/02 is read as Solar Hijri.
    """
    cleaned = ascii_digits(strip_bidi(text))
    day_first = _DAY_FIRST.match(cleaned)
    if day_first:
        d, mo, y = (int(g) for g in day_first.groups())
        if y < _SOLAR_HIJRI_BEFORE:
            raise InvalidDate(f"cannot read date {text!r}", field="date")
        try:
            return date(y, mo, d)
        except ValueError as exc:
            raise InvalidDate(f"no such date {text!r}", field="date") from exc
    m = _DATE.match(cleaned) or _COMPACT.match(cleaned)
    if not m:
        raise InvalidDate(f"cannot read date {text!r}", field="date")
    y, mo, d = (int(g) for g in m.groups())
    try:
        if y < _SOLAR_HIJRI_BEFORE:
            return jdatetime.date(y, mo, d).togregorian()  # type: ignore[no-any-return]
        return date(y, mo, d)
    except ValueError as exc:
        raise InvalidDate(f"no such date {text!r}", field="date") from exc
