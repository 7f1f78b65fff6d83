"""Calendar arithmetic: full years of age, anniversaries, month steps, the service window."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_gw.domain.dates import (
    add_months,
    age_on,
    anniversary,
    end_of_month,
    next_day,
    service_window,
)


@pytest.mark.parametrize(
    ("birth", "years", "expected"),
    [
        (date(2000, 5, 17), 19, date(2019, 5, 17)),
        (date(2000, 5, 17), 0, date(2000, 5, 17)),
        (date(2000, 5, 17), -3, date(1997, 5, 17)),
        (date(2008, 2, 29), 19, date(2027, 3, 1)),  # no 29 February in 2027
        (date(2008, 2, 29), 20, date(2028, 2, 29)),  # leap year: the day itself
        (date(2008, 2, 29), 92, date(2100, 3, 1)),  # 2100 is not a leap year
        (date(2008, 2, 29), -8, date(2000, 2, 29)),  # 2000 is
        (date(2028, 2, 29), -19, date(2009, 3, 1)),
        (date(2000, 12, 31), 1, date(2001, 12, 31)),
        (date(2000, 3, 1), 1, date(2001, 3, 1)),
    ],
)
def test_anniversary(birth: date, years: int, expected: date) -> None:
    assert anniversary(birth, years) == expected


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2007, 11, 23), date(2026, 11, 22), 18),
        (date(2007, 11, 23), date(2026, 11, 23), 19),
        (date(2007, 11, 23), date(2026, 11, 24), 19),
        (date(2007, 11, 23), date(2007, 11, 23), 0),
        (date(2007, 11, 23), date(2007, 11, 22), -1),
        (date(2007, 11, 23), date(2000, 1, 1), -8),
        (date(2008, 2, 29), date(2027, 2, 28), 18),
        (date(2008, 2, 29), date(2027, 3, 1), 19),
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2000, 1, 1), date(1999, 12, 31), -1),
        (date(2000, 12, 31), date(2001, 12, 30), 0),
        (date(2000, 12, 31), date(2001, 12, 31), 1),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    years=st.integers(min_value=0, max_value=120),
)
def test_age_changes_exactly_on_the_anniversary(birth: date, years: int) -> None:
    day = anniversary(birth, years)
    if day.year > 9998:
        return
    assert age_on(birth, day) == years
    if years > 0:
        assert age_on(birth, day.fromordinal(day.toordinal() - 1)) == years - 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 5, 15), 0, date(2026, 5, 15)),
        (date(2026, 11, 23), -12, date(2025, 11, 23)),
        (date(2026, 11, 23), 14, date(2028, 1, 23)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 8, 31), -36, date(2023, 8, 31)),
    ],
)
def test_add_months_clamps_to_the_months_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2900, 12, 31)),
    months=st.integers(min_value=-600, max_value=600),
)
def test_add_months_moves_by_whole_months(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == min(day.day, end_of_month(moved).day)


@pytest.mark.parametrize(
    ("day", "last"),
    [
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2028, 2, 10), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2026, 12, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
    ],
)
def test_end_of_month(day: date, last: date) -> None:
    assert end_of_month(day) == last


@pytest.mark.parametrize(
    ("today", "months_back", "window"),
    [
        (date(2026, 11, 23), 12, (date(2025, 11, 23), date(2026, 11, 30))),
        (date(2026, 3, 31), 12, (date(2025, 3, 31), date(2026, 3, 31))),
        (date(2028, 2, 29), 12, (date(2027, 2, 28), date(2028, 2, 29))),
        (date(2026, 1, 1), 12, (date(2025, 1, 1), date(2026, 1, 31))),
        (date(2026, 12, 31), 3, (date(2026, 9, 30), date(2026, 12, 31))),
        (date(2026, 5, 31), 3, (date(2026, 2, 28), date(2026, 5, 31))),
        (date(2026, 11, 23), 0, (date(2026, 11, 23), date(2026, 11, 30))),
    ],
)
def test_service_window(today: date, months_back: int, window: tuple[date, date]) -> None:
    assert service_window(today, months_back) == window


def test_next_day() -> None:
    assert next_day(date(2026, 12, 31)) == date(2027, 1, 1)
    assert next_day(date(2028, 2, 28)) == date(2028, 2, 29)
