"""Calendar arithmetic the rules need: full years of age, anniversaries, the service window."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def anniversary(birth: date, years: int) -> date:
    """The day someone born on ``birth`` turns ``years``; 29 February falls on 1 March."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return date(birth.year + years, 3, 1)


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day`` (negative before birth)."""
    years = day.year - birth.year
    if day < anniversary(birth, years):
        years -= 1
    return years


def add_months(day: date, months: int) -> date:
    """Move ``day`` by whole months, clamping to the month's last day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def end_of_month(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def service_window(today: date, months_back: int) -> tuple[date, date]:
    """The first and last service dates answered: ``months_back`` ago to the month's end."""
    return add_months(today, -months_back), end_of_month(today)


def next_day(day: date) -> date:
    """The day after ``day``."""
    return day + timedelta(days=1)
