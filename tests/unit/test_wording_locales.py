"""Dates, numbers, lists and plural forms in each locale's own way, through Babel; isolation of
left-to-right text inside Persian SMS."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_gw.domain.errors import InvalidNationalId
from eligibility_gw.wording import FSI, PDI, Wording, plural_form

DAY = date(2026, 11, 3)


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "2026-11-03"),  # ISO 8601: one day for every reader
        ("ro", "03.11.2026"),
        ("ru", "03.11.2026"),
        ("pl", "3.11.2026"),
        ("pt_BR", "03/11/2026"),
        ("fa", "۱۴۰۵/۰۸/۱۲"),  # Solar Hijri, Persian digits
    ],
)
def test_dates_in_each_locale(language: str, written: str) -> None:
    assert Wording(language).date(DAY) == written
    assert Wording(language).date(date.max) == "—"


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "12,345"),
        ("ro", "12.345"),
        ("pt_BR", "12.345"),
        ("pl", "12 345"),  # a plain space: a Polish SMS stays GSM-7
        ("ru", "12 345"),
        ("fa", "۱۲٬۳۴۵"),
    ],
)
def test_numbers_in_each_locale(language: str, written: str) -> None:
    assert Wording(language).number(12345) == written


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "11 or 15"), ("ro", "11 sau 15"), ("ru", "11 или 15"), ("fa", "۱۱ یا ۱۵")],
)
def test_several_id_lengths_are_listed_in_words(language: str, said: str) -> None:
    w = Wording(language)
    assert w.lengths([11, 15]) == said
    assert w.lengths([10]) == w.digits("10")
    refused = w.error(InvalidNationalId("x", problem="lengths", lengths="11 / 15"))
    assert said in refused, refused


def test_plural_forms_follow_babel() -> None:
    assert [plural_form("ru", n) for n in (1, 2, 5, 11, 21, 22, 25, 111)] == [
        0,
        1,
        2,
        2,
        0,
        1,
        2,
        2,
    ]
    assert [plural_form("pl", n) for n in (1, 2, 5, 12, 22, 25)] == [0, 1, 2, 2, 1, 2]
    assert [plural_form("ro", n) for n in (1, 2, 19, 20, 101, 120)] == [0, 1, 1, 2, 1, 2]
    assert [plural_form("en", n) for n in (0, 1, 2)] == [1, 0, 1]
    assert [plural_form("fa", n) for n in (0, 1, 2)] == [0, 0, 1]


def test_minutes_take_their_form() -> None:
    en, ru, pl = Wording("en"), Wording("ru"), Wording("pl")
    key = "sms.rate_limited.sender"
    assert en.n(key, 1, minutes="1").endswith("in 1 minute.")
    assert en.n(key, 5, minutes="5").endswith("in 5 minutes.")
    assert ru.n(key, 1, minutes="1").endswith("1 минуту.")
    assert ru.n(key, 3, minutes="3").endswith("3 минуты.")
    assert ru.n(key, 11, minutes="11").endswith("11 минут.")
    assert pl.n(key, 22, minutes="22").endswith("22 minuty.")
    assert pl.n(key, 25, minutes="25").endswith("25 minut.")


def test_a_count_written_otherwise_keeps_the_form_of_its_number() -> None:
    w = Wording("en")
    assert w.n("console.disputes.undelivered", 50, count="50+").startswith("50+ outcome SMS")
    assert w.t("sms.family.more", count="3") == "+3 more: send a national id"


def test_latin_text_is_isolated_in_persian_only() -> None:
    fa, en = Wording("fa"), Wording("en")
    assert fa.isolate("Maria-Magdalena") == f"{FSI}Maria-Magdalena{PDI}"
    assert fa.isolate("M*** C***") == f"{FSI}M*** C***{PDI}"
    assert fa.isolate("علی") == "علی"
    assert fa.isolate(fa.isolate("Ali")) == fa.isolate("Ali")
    assert en.isolate("Maria") == "Maria"
