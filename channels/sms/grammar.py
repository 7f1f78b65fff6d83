"""What an SMS asks: a national id (and a date), FAMILY, CODE, NO or HELP, in any shipped script.

Keywords come from the catalogs (``sms.keyword.*``, alternatives separated by ``|``) of English
and of the configured languages. Input is read case-insensitively, with Persian and
Arabic-Indic digits, Arabic letter forms, extra spaces and dashes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from eligibility_gw.domain.digits import ascii_digits, strip_bidi
from eligibility_gw.wording import FALLBACK_LANGUAGE, Wording

PERSIAN = "fa"
#: The longest body read; Twilio's own limit is 1,600 characters.
MAX_BODY_CHARS = 1600

# Arabic script (letters, Arabic-Indic and Persian digits, presentation forms).
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Arabic keyboards type these where Persian has its own letters; tatweel and joiners vanish.
_LETTER_FORMS = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ـ": None, "\u200c": None, "\u200d": None}
)
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d_]")
_SPACES = re.compile(r"\s+")
_EDGE = " -.,:;!?،؛؟*#"
_DATE = (
    r"(?:1[34]|19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|(?:1[34]|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
)
_ID_AND_DATE = re.compile(rf"^(?P<id>\d[\d -]*?) +(?P<date>{_DATE})$")
_ID_ONLY = re.compile(r"^\d[\d -]*$")


@dataclass(frozen=True, slots=True)
class AskAbout:
    """Cover of one person, on a date or today."""

    national_id: str
    date_text: str | None = None


@dataclass(frozen=True, slots=True)
class FamilyList:
    """Cover of every family member the phone may see."""


@dataclass(frozen=True, slots=True)
class LookUpCode:
    """The recorded answer behind a tracking code."""

    code_text: str


@dataclass(frozen=True, slots=True)
class DenyCheck:
    """NO: the phone's owner did not ask for the check they were told about."""


@dataclass(frozen=True, slots=True)
class Help:
    """Usage, asked for (``understood``) or because the message could not be read."""

    understood: bool = True


Command = AskAbout | FamilyList | LookUpCode | DenyCheck | Help


def normalise(body: str) -> str:
    """The body as the grammar reads it: one script form, ASCII digits, lower case."""
    text = unicodedata.normalize("NFKC", body[:MAX_BODY_CHARS])
    text = ascii_digits(strip_bidi(text)).translate(_LETTER_FORMS).casefold()
    text = unicodedata.normalize("NFKC", text)  # case folding can undo the normal form
    text = _SPACES.sub(" ", _DASHES.sub("-", text))
    return text.strip(_EDGE)


def sender_language(body: str, default: str) -> str:
    """Persian when the body has Arabic script (letters, Persian digits, keywords), else default."""
    return PERSIAN if _ARABIC_SCRIPT.search(body[:MAX_BODY_CHARS]) else default


@dataclass(frozen=True, slots=True)
class Keywords:
    """Keyword alternatives by command, normalised, longest first."""

    table: tuple[tuple[str, str], ...]

    @classmethod
    def for_languages(cls, languages: Iterable[str]) -> Keywords:
        """English keywords plus those of ``languages``."""
        found: set[tuple[str, str]] = set()
        for language in (FALLBACK_LANGUAGE, *languages):
            w = Wording(language)
            for kind in ("ask", "family", "code", "help", "no"):
                key = f"sms.keyword.{kind}"
                if not w.has(key):
                    continue
                for alternative in w.t(key).split("|"):
                    word = normalise(alternative)
                    if word:
                        found.add((word, kind))
        return cls(tuple(sorted(found, key=lambda wk: (-len(wk[0]), wk))))

    def match(self, text: str) -> tuple[str, str] | None:
        """The command a normalised text starts with, and what follows the keyword."""
        for word, kind in self.table:
            if text == word:
                return kind, ""
            if text.startswith(word):
                after = text[len(word)]
                if after == " " or after in _EDGE or after.isdigit():
                    return kind, text[len(word) :].strip(_EDGE)
        return None


def parse(body: str, keywords: Keywords) -> Command:
    """Read one SMS; anything unreadable is ``Help(understood=False)``."""
    text = normalise(body)
    if not text:
        return Help(understood=False)
    found = keywords.match(text)
    if found is not None:
        kind, rest = found
        if kind == "family":
            return FamilyList()
        if kind == "no":
            return DenyCheck()
        if kind == "help":
            return Help()
        if kind == "code":
            return LookUpCode(rest) if rest else Help(understood=False)
        text = rest  # "ask": a national id (and a date) follows the keyword
    m = _ID_AND_DATE.match(text)
    if m:
        return AskAbout(m.group("id").strip(" -"), m.group("date"))
    if _ID_ONLY.match(text):
        return AskAbout(text)
    return Help(understood=False)
