"""The monthly activity report: one provider's checks in one month, as CSV for billing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import jdatetime

from eligibility_gw.channels.web.portal.views import asked_through
from eligibility_gw.domain.digits import ascii_digits, strip_bidi
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.wording import Wording

#: The report's columns. Billing reads them by name; new ones are added at the end.
REPORT_FIELDS = (
    "date",
    "time",
    "tracking_code",
    "masked_member",
    "status",
    "channel",
    "service_date",
    "setting",
    "reason_codes",
    "time_zone",
    "utc_offset",
)
#: Between reason codes in their one cell.
REASON_SEPARATOR = " "
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*$")
#: Years below this are Solar Hijri (as ``textinput.parse_date`` reads them).
_SOLAR_HIJRI_BEFORE = 1700
_READ_BATCH = 1000
#: A spreadsheet would run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month in the gateway's time zone: ``[start, end)``."""

    label: str
    start: datetime
    end: datetime


def parse_month(text: str, tz: ZoneInfo) -> Month:
    """Read ``YYYY-MM`` (Persian digits and Solar Hijri years too); ``ValueError`` otherwise."""
    m = _MONTH.match(ascii_digits(strip_bidi(text)))
    if not m:
        raise ValueError(f"cannot read month {text!r}")
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    if year < _SOLAR_HIJRI_BEFORE:
        first: date = jdatetime.date(year, month, 1).togregorian()
        after = (
            jdatetime.date(year + 1, 1, 1) if month == 12 else jdatetime.date(year, month + 1, 1)
        )
        following: date = after.togregorian()
    else:
        first = date(year, month, 1)
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Month(
        f"{year:04d}-{month:02d}",
        datetime.combine(first, time(0), tz),
        datetime.combine(following, time(0), tz),
    )


def month_of(day: date, w: Wording) -> str:
    """The month ``day`` falls in, in the calendar and digits the reader's dates use.

    Solar Hijri months take a slash: between Persian digits a hyphen would be laid out
    right to left ("08-1404"), a slash keeps the number together.
    """
    if not w.solar_hijri:  # YYYY-MM, as the month field reads it back (dates may not be ISO)
        return f"{day.year:04d}-{day.month:02d}"
    j = jdatetime.date.fromgregorian(date=day)
    return w.digits(f"{j.year:04d}/{j.month:02d}")


#: One page of a provider's answers, newest first: ``(since, until, limit, offset)``.
HistoryPage = Callable[[datetime, datetime, int, int], Awaitable[list[Disclosure]]]


async def month_answers(page: HistoryPage, month: Month) -> list[Disclosure]:
    """Every answer the provider was given in ``month``, oldest first (read page by page)."""
    found: list[Disclosure] = []
    while True:
        chunk = await page(month.start, month.end, _READ_BATCH, len(found))
        found.extend(chunk)
        if len(chunk) < _READ_BATCH:
            break
    found.reverse()
    return found


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _offset(local: datetime) -> str:
    """``+03:30``: the UTC offset of a local time (a zone may change it during the month)."""
    text = local.strftime("%z")
    return f"{text[:3]}:{text[3:]}" if text else ""


def report_csv(answers: Iterable[Disclosure], tz: ZoneInfo) -> str:
    """The report: one line per check, times in ``tz``; a BOM so spreadsheets read UTF-8.

    Each line says which zone its date and time are in (``time_zone``, ``utc_offset``), the
    service date and setting asked about, and the reasons' codes (as providers see them:
    codes only, never a member's date). The channel cell stays empty while the disclosure
    does not say it (``asked_through``).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_FIELDS)
    for shown in answers:
        local = shown.asked_at.astimezone(tz)
        writer.writerow(
            (
                local.date().isoformat(),
                local.strftime("%H:%M:%S"),
                shown.tracking_code.grouped(),
                _cell(shown.member_name or ""),
                shown.status.value,
                asked_through(shown) or "",
                shown.service_date.isoformat(),
                shown.setting.value,
                REASON_SEPARATOR.join(r.code for r in shown.reasons),
                tz.key,
                _offset(local),
            )
        )
    return "\ufeff" + out.getvalue()
