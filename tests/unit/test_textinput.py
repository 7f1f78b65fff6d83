"""Reading what people type: digits of three scripts, separators, marks and dates."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_gw.domain.digits import ascii_digits, compact_number, strip_bidi
from eligibility_gw.domain.errors import InvalidDate, InvalidInput
from eligibility_gw.textinput import parse_date


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("abc ۱٢3", "abc 123"),
        ("", ""),
    ],
)
def test_ascii_digits(typed: str, expected: str) -> None:
    assert ascii_digits(typed) == expected


def test_strip_bidi_drops_every_direction_mark() -> None:
    marks = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\ufeff"
    assert strip_bidi(f"{marks}12{marks}34{marks}") == "1234"
    assert strip_bidi("a b-c") == "a b-c"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12 34\t56\n78", "12345678"),
        ("  ۰۹۱۲ ۳۴۵ ٦٧٨٩  ", "09123456789"),
        ("\u200f+98 912\u200e", "+98912"),
        ("", ""),
        ("-- . _ /", ""),
    ],
)
def test_compact_number(typed: str, expected: str) -> None:
    assert compact_number(typed) == expected


@pytest.mark.parametrize(
    "separator",
    [
        " ",
        "\t",
        "\u00a0",
        "\u2002",
        "\u2009",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u200e",
        "\u200f",
        "\u2028",
        "\u202a",
        "\u202c",
        "\u202f",
        "\u2060",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\ufeff",
        "\u061c",
        "-",
        "\u2010",
        "\u2013",
        "\u2014",
        "\u2015",
        "\u2212",
        "\ufe58",
        "\ufe63",
        "\uff0d",
        ".",
        "_",
        "/",
    ],
)
def test_compact_number_removes_each_separator(separator: str) -> None:
    assert compact_number(f"{separator}12{separator}{separator}34{separator}") == "1234"


@pytest.mark.parametrize("kept", ["a", "+", "#", "*", ",", "(", "०"])
def test_compact_number_keeps_what_it_cannot_read(kept: str) -> None:
    assert kept in compact_number(f"12{kept}34")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-23", date(2026, 11, 23)),
        ("2026/11/23", date(2026, 11, 23)),
        ("2026.11.23", date(2026, 11, 23)),
        ("2026-1-5", date(2026, 1, 5)),
        (" 2026 - 11 - 23 ", date(2026, 11, 23)),
        ("20261123", date(2026, 11, 23)),
        ("2028-02-29", date(2028, 2, 29)),
        ("۲۰۲۶-۱۱-۲۳", date(2026, 11, 23)),
        ("٢٠٢٦/١١/٢٣", date(2026, 11, 23)),
        # Solar Hijri
        ("1405/09/02", date(2026, 11, 23)),
        ("1405-9-2", date(2026, 11, 23)),
        ("۱۴۰۵/۰۹/۰۲", date(2026, 11, 23)),
        ("\u200f۱۴۰۵/۰۹/۰۲\u200e", date(2026, 11, 23)),
        ("\u2067۱۴۰۵/۰۹/۰۲\u2069", date(2026, 11, 23)),
        ("14050902", date(2026, 11, 23)),
        ("1405/01/01", date(2026, 3, 21)),
        ("1403/12/30", date(2025, 3, 20)),  # 1403 is a leap year
        ("1399/12/30", date(2021, 3, 20)),
        # Day first, the year last: as Romanian, Polish, Russian and Brazilian replies show it
        ("23.11.2026", date(2026, 11, 23)),
        ("3.11.2026", date(2026, 11, 3)),
        ("23/11/2026", date(2026, 11, 23)),
        ("23-11-2026", date(2026, 11, 23)),
        ("۲۳.۱۱.۲۰۲۶", date(2026, 11, 23)),
    ],
)
def test_parse_date_reads_iso_and_solar_hijri(typed: str, expected: date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "tomorrow",
        "11-23-2026",  # month first is no form any shipped language shows
        "31.02.2026",
        "02.09.1405",  # a Solar Hijri date is written year first
        "2026-11",
        "26-11-23",
        "2026-11-23T10:00",
        "2026-11-23 x",
        "2026--11-23",
        "202611230",
        "2026-13-01",
        "2026-02-29",
        "2026-11-31",
        "2026-00-10",
        "1405/13/01",
        "1404/12/30",  # 1404 is not a leap year
        "1405/07/31",  # the seventh month has 30 days
        "0000-01-01",
        "1700-02-29",  # a Gregorian year: 1700 is not a leap year
    ],
)
def test_parse_date_refuses_garbage(typed: str) -> None:
    with pytest.raises(InvalidDate) as info:
        parse_date(typed)
    assert isinstance(info.value, InvalidInput)
    assert info.value.code == "INVALID_DATE"
    assert info.value.field == "date"


def test_years_from_1700_are_gregorian() -> None:
    assert parse_date("1700-03-01") == date(1700, 3, 1)
    assert parse_date("1699/01/01") != date(1699, 1, 1)
