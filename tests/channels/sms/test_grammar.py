"""The SMS grammar: what people type, in every shipped language, and what it means."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility_gw.channels.sms.grammar import (
    AskAbout,
    ChooseLanguage,
    Command,
    DenyCheck,
    FamilyList,
    Help,
    Keywords,
    LookUpCode,
    normalise,
    parse,
    sender_language,
)
from eligibility_gw.wording import Wording, available_languages

KEYWORDS = Keywords.for_languages(available_languages())
ENGLISH_ONLY = Keywords.for_languages(["en"])

TABLE: list[tuple[str, Command]] = [
    ("1000000011", AskAbout("1000000011")),
    ("  1000000011\n", AskAbout("1000000011")),
    ("1000-000-011", AskAbout("1000-000-011")),
    ("1000 000 011", AskAbout("1000 000 011")),
    ("1000–000—011", AskAbout("1000-000-011")),  # en and em dashes
    ("۱۰۰۰۰۰۰۰۱۱", AskAbout("1000000011")),
    ("١٠٠٠٠٠٠٠١١", AskAbout("1000000011")),
    ("\u200f۱۰۰۰۰۰۰۰۱۱\u200e", AskAbout("1000000011")),  # direction marks
    ("１０００００００１１", AskAbout("1000000011")),  # full-width digits
    ("1000000011 2026-11-01", AskAbout("1000000011", "2026-11-01")),
    ("1000000011   2026/11/01", AskAbout("1000000011", "2026/11/01")),
    ("1000000011 20261101", AskAbout("1000000011", "20261101")),
    ("۱۰۰۰۰۰۰۰۱۱ ۱۴۰۵/۰۸/۱۰", AskAbout("1000000011", "1405/08/10")),
    ("1000-000-011 1405-08-10", AskAbout("1000-000-011", "1405-08-10")),
    ("10 00000011", AskAbout("10 00000011")),  # 8 digits that are no date stay in the id
    ("ID 1000000011", AskAbout("1000000011")),
    ("nid: 1000000011", AskAbout("1000000011")),
    ("National ID 1000000011 2026-11-01", AskAbout("1000000011", "2026-11-01")),
    ("کد ملی ۱۰۰۰۰۰۰۰۱۱", AskAbout("1000000011")),
    ("كد ملي 1000000011", AskAbout("1000000011")),  # Arabic keyboard letters
    ("کدملی1000000011", AskAbout("1000000011")),
    ("استعلام ۱۰۰۰۰۰۰۰۱۱", AskAbout("1000000011")),
    ("FAMILY", FamilyList()),
    ("family", FamilyList()),
    (" - Family - ", FamilyList()),
    ("FAM", FamilyList()),
    ("family please", FamilyList()),
    ("خانواده", FamilyList()),
    ("خانوار", FamilyList()),
    ("CODE 4821-0937-5526", LookUpCode("4821-0937-5526")),
    ("code:482109375526", LookUpCode("482109375526")),
    ("code482109375526", LookUpCode("482109375526")),
    ("Track 4821 0937 5526", LookUpCode("4821 0937 5526")),
    ("کد ۴۸۲۱-۰۹۳۷-۵۵۲۶", LookUpCode("4821-0937-5526")),
    ("کد رهگیری ۴۸۲۱۰۹۳۷۵۵۲۶", LookUpCode("482109375526")),
    ("CODE", Help(understood=False)),
    ("NO", DenyCheck()),
    ("no.", DenyCheck()),
    ("نه", DenyCheck()),
    ("خیر", DenyCheck()),
    ("HELP", Help()),
    ("help?", Help()),
    ("Info", Help()),
    ("راهنما", Help()),
    ("", Help(understood=False)),
    ("?", Help(understood=False)),
    ("nothing", Help(understood=False)),  # "no" must be a word of its own
    ("notice me", Help(understood=False)),
    ("codex", Help(understood=False)),
    ("familyx", Help(understood=False)),
    ("hello 1000000011", Help(understood=False)),
    ("1000000011 hello", Help(understood=False)),
    ("10000000a1", Help(understood=False)),
    ("ID", Help(understood=False)),
    ("FAMILIE", FamilyList()),
    ("Familia", FamilyList()),
    ("COD 4821-0937-5526", LookUpCode("4821-0937-5526")),
    ("CNP 1960523123451", AskAbout("1960523123451")),
    ("nu", DenyCheck()),
    ("СЕМЬЯ", FamilyList()),
    ("семья", FamilyList()),
    ("КОД 4821 0937 5526", LookUpCode("4821 0937 5526")),
    ("СНИЛС 112-233-445 95", AskAbout("112-233-445 95")),
    ("нет", DenyCheck()),
    ("PESEL 44051401359", AskAbout("44051401359")),
    ("CNP 1960523123451 23.11.2026", AskAbout("1960523123451", "23.11.2026")),
    ("44051401359 3.11.2026", AskAbout("44051401359", "3.11.2026")),
    ("39053344705 23/11/2026", AskAbout("39053344705", "23/11/2026")),
]


@pytest.mark.parametrize(("body", "command"), TABLE, ids=[repr(b) for b, _ in TABLE])
def test_parse(body: str, command: Command) -> None:
    assert parse(body, KEYWORDS) == command


def _typed(language: str, key: str) -> list[str]:
    return [k for k in Wording(language).t(f"sms.keyword.{key}").split("|") if k]


@pytest.mark.parametrize("language", available_languages())
def test_every_keyword_of_every_language_is_read(language: str) -> None:
    """Each language's own words, as its catalog lists them, mean what they say."""
    for word in _typed(language, "family"):
        assert parse(word, KEYWORDS) == FamilyList(), word
        assert parse(word.lower(), KEYWORDS) == FamilyList(), word
    for word in _typed(language, "help"):
        assert parse(word, KEYWORDS) == Help(), word
    for word in _typed(language, "no"):
        assert parse(word, KEYWORDS) == DenyCheck(), word
    for word in _typed(language, "code"):
        assert parse(f"{word} 4821-0937-5526", KEYWORDS) == LookUpCode("4821-0937-5526")
    for word in _typed(language, "ask"):
        assert parse(f"{word} 1000000011", KEYWORDS) == AskAbout("1000000011"), word
    alone = Keywords.for_languages(["en", language])
    for word in _typed(language, "family"):
        assert parse(word, alone) == FamilyList(), word


def test_persian_keywords_only_when_persian_is_configured() -> None:
    assert parse("خانواده", ENGLISH_ONLY) == Help(understood=False)
    assert parse("FAMILY", ENGLISH_ONLY) == FamilyList()


@pytest.mark.parametrize(
    ("body", "language"),
    [
        ("1000000011", "en"),
        ("FAMILY", "en"),
        ("۱۰۰۰۰۰۰۰۱۱", "fa"),
        ("١٠٠٠٠٠٠٠١١", "fa"),
        ("خانواده", "fa"),
        ("1000000011 ۱۴۰۵/۰۸/۱۰", "fa"),
        ("hello 😀", "en"),
        ("", "en"),
    ],
)
def test_sender_language(body: str, language: str) -> None:
    assert sender_language(body, "en") == language


@given(st.text(max_size=2000))
def test_parse_reads_anything_without_raising(body: str) -> None:
    command = parse(body, KEYWORDS)
    assert isinstance(
        command, AskAbout | FamilyList | LookUpCode | DenyCheck | Help | ChooseLanguage
    )


@given(st.text(max_size=300))
def test_normalise_is_idempotent(body: str) -> None:
    once = normalise(body)
    assert normalise(once) == once


@given(st.from_regex(r"\A[0-9]{10}\Z"), st.sampled_from(["", " ", "-", "  -  "]))
def test_ids_with_any_separator_are_read(digits: str, sep: str) -> None:
    typed = sep.join([digits[:4], digits[4:7], digits[7:]])
    command = parse(typed, KEYWORDS)
    assert isinstance(command, AskAbout)
    assert "".join(ch for ch in command.national_id if ch.isdigit()) == digits
