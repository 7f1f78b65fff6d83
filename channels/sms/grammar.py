"""What an SMS asks: a national id (and a date), FAMILY, CODE, NO, HELP or LANG, in any
shipped script.

Keywords come from the catalogs (``sms.keyword.*``, alternatives separated by ``|``) of English
and of the configured languages; the word for "language" (``LANG``, ``LIMBA``, ``JĘZYK``,
``ЯЗЫК``, ``زبان``...) of every shipped language. Input is read case-insensitively, with Persian
and Arabic-Indic digits, Arabic letter forms, extra spaces and dashes; a keyword written
without its diacritics (``JEZYK``, ``LIMBA``) is read too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from eligibility_gw.domain.digits import ascii_digits, strip_bidi
from eligibility_gw.wording import FALLBACK_LANGUAGE, Wording, catalogs

PERSIAN = "fa"
RUSSIAN = "ru"
#: The longest body read; Twilio's own limit is 1,600 characters.
MAX_BODY_CHARS = 1600

# Arabic script (letters, Arabic-Indic and Persian digits, presentation forms).
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_CYRILLIC_SCRIPT = re.compile("[\u0400-\u04ff]")
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
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}"  # day first, as ro/pl/ru/pt_BR replies show
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


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    """LANG and what follows it: a language's code or name ('' when none followed)."""

    language: str


Command = AskAbout | FamilyList | LookUpCode | DenyCheck | Help | ChooseLanguage


def normalise(body: str) -> str:
    """The body as the grammar reads it: one script form, ASCII digits, lower case."""
    text = unicodedata.normalize("NFKC", body[:MAX_BODY_CHARS])
    text = ascii_digits(strip_bidi(text)).translate(_LETTER_FORMS).casefold()
    text = unicodedata.normalize("NFKC", text)  # case folding can undo the normal form
    text = _SPACES.sub(" ", _DASHES.sub("-", text))
    return text.strip(_EDGE)


def script_language(body: str) -> str | None:
    """What the body's script tells of its writer: Persian for Arabic script (letters,
    Persian digits, keywords), Russian for Cyrillic; None for Latin script and digits."""
    head = body[:MAX_BODY_CHARS]
    if _ARABIC_SCRIPT.search(head):
        return PERSIAN
    if _CYRILLIC_SCRIPT.search(head):
        return RUSSIAN
    return None


def sender_language(body: str, default: str) -> str:
    """The body's script's language (``script_language``), else ``default``."""
    return script_language(body) or default


def without_marks(text: str) -> str:
    """``text`` without combining marks (``jęzuk`` -> ``jezyk``, ``limbă`` -> ``limba``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFKC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


@dataclass(frozen=True, slots=True)
class Keywords:
    """Keyword alternatives by command, normalised, longest first."""

    table: tuple[tuple[str, str], ...]

    @classmethod
    def for_languages(cls, languages: Iterable[str]) -> Keywords:
        """English keywords plus those of ``languages``; the word for "language" of every
        shipped language (a person asks for theirs in their own words); each also without
        its diacritics."""
        found: set[tuple[str, str]] = set()
        configured = (FALLBACK_LANGUAGE, *languages)
        for language in (*configured, *sorted(catalogs())):
            w = Wording(language)
            kinds = ("ask", "family", "code", "help", "no") if language in configured else ()
            for kind in (*kinds, "language"):
                key = f"sms.keyword.{kind}"
                if not w.has(key):
                    continue
                for alternative in w.t(key).split("|"):
                    word = normalise(alternative)
                    if word:
                        found.add((word, kind))
                        found.add((without_marks(word), kind))
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
    found = keywords.match(text) or keywords.match(without_marks(text))
    if found is not None:
        kind, rest = found
        if kind == "language":
            return ChooseLanguage(rest)
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
