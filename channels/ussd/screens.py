"""Screen kinds: one small class each, saying what the screen shows and how it reads an answer.

Screens are data (``menu.py`` lists them); they render text through the message catalogs and
read the newest input into a move. They know nothing of sessions, dialects or HTTP, and do
no I/O: what they show about the caller comes in through a ``View``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from eligibility_gw.domain.digits import ascii_digits, strip_bidi
from eligibility_gw.domain.errors import (
    InvalidDate,
    InvalidNationalId,
    InvalidTrackingCode,
    NationalIdCheckDigit,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.textbudget import fits_ussd, is_gsm7
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording

#: What people type to move around, whatever the screen (PROTOCOLS.md, "USSD").
BACK = "0"
HOME = "00"
MORE = "98"
#: Typed on the date question for "today".
TODAY = "1"


class Guard(enum.StrEnum):
    """Who may see an option or pass a gate."""

    ANYONE = "anyone"
    INSURED = "insured"
    FAMILY = "family"
    PROVIDER = "provider"
    ACTIVE_PROVIDER = "active provider"
    UNKNOWN = "unknown phone"


class Standing(enum.StrEnum):
    """Whether the phone is a registered provider's, and whether it may ask."""

    NONE = "none"
    ACTIVE = "active"
    INACTIVE = "inactive"


class Source(enum.StrEnum):
    """The people a list offers."""

    SELVES = "people on file for this phone"
    FAMILY = "family members this phone may see"


class Parse(enum.StrEnum):
    """How a question reads its answer."""

    NATIONAL_ID = "national id"
    SERVICE_DATE = "service date (optional)"
    TRACKING_CODE = "tracking code"


class Effect(enum.StrEnum):
    """What an answer screen needs from the core."""

    ANSWER_MEMBER = "insured answer: status, cover end or ended, reason and document, code"
    ANSWER_PROVIDER = "provider answer: status on the date, undated reason, tracking code"
    VERIFY_CODE = "status and date of a code this phone received"


@dataclass(frozen=True, slots=True)
class Entry:
    """One person a list may offer: a reference (never the id itself) and what to show."""

    ref: str
    name: str
    relationship: str


@dataclass(frozen=True, slots=True)
class Caller:
    """What the registry says about the phone that dials."""

    provider: Standing = Standing.NONE
    selves: tuple[Entry, ...] = ()
    family: tuple[Entry, ...] = ()

    def entries(self, source: Source) -> tuple[Entry, ...]:
        """The people ``source`` names."""
        return self.selves if source is Source.SELVES else self.family


def allows(guard: Guard, caller: Caller) -> bool:
    """Say whether ``caller`` passes ``guard``."""
    if guard is Guard.INSURED:
        return bool(caller.selves)
    if guard is Guard.FAMILY:
        return bool(caller.family)
    if guard is Guard.PROVIDER:
        return caller.provider is not Standing.NONE
    if guard is Guard.ACTIVE_PROVIDER:
        return caller.provider is Standing.ACTIVE
    if guard is Guard.UNKNOWN:
        return caller.provider is Standing.NONE and not caller.selves
    return True


@dataclass(frozen=True, slots=True)
class Rules:
    """The pure facts questions are checked against: the rule pack and the date window."""

    pack: RulePack
    today: date
    earliest: date
    latest: date


@dataclass(frozen=True, slots=True)
class Budget:
    """How much text one screen may hold."""

    ucs2: int = 80
    gsm7: int = 182

    def fits(self, text: str) -> bool:
        """Say whether ``text`` fits one screen."""
        return fits_ussd(text, self.ucs2, self.gsm7)


@dataclass(frozen=True, slots=True)
class View:
    """Everything a screen may read while rendering or reading an answer."""

    w: Wording
    caller: Caller
    rules: Rules
    languages: tuple[str, ...]
    budget: Budget
    page_size: int = 7
    page: int = 0
    home: bool = False
    hotline: str = ""

    def t(self, key: str, **params: object) -> str:
        """A message with the parameters every screen may use."""
        return self.w.t(key, hotline=self.w.digits(self.hotline), **params)


@dataclass(frozen=True, slots=True)
class Go:
    """Move to ``target``, remembering ``values``."""

    target: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Invalid:
    """Ask the same question again, with ``hint`` saying what was wrong."""

    hint: str


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """Switch the session's language and move to ``target``."""

    language: str
    target: str


Move = Go | Invalid | SetLanguage


def cleaned(text: str) -> str:
    """The input as a keypad token: ASCII digits, no direction marks, no outer spaces."""
    return ascii_digits(strip_bidi(text)).strip()


def lines(*parts: str | None) -> str:
    """Join the non-empty parts, one a line."""
    return "\n".join(p for p in parts if p)


def numbered(w: Wording, n: int, label: str) -> str:
    """One numbered line of a list."""
    return w.t("ussd.item", n=w.digits(str(n)), label=label)


def _number(token: str) -> int | None:
    return int(token) if token.isascii() and token.isdigit() and len(token) <= 3 else None


def _nav(view: View) -> str | None:
    return None if view.home else view.t("ussd.nav")


@dataclass(frozen=True, slots=True)
class Option:
    """One line of a choice: its label (a message id), where it leads, and who sees it."""

    label: str
    target: str
    when: Guard = Guard.ANYONE


Listed = tuple[str, Move]


def _list_text(view: View, header: str, items: list[str], more: bool) -> str:
    more_line = view.t("ussd.nav.more") if more else None
    return lines(header, *items, more_line, _nav(view))


#: The hint over a list after a number not on it.
CHOICE_HINT = "ussd.hint.choice"


def _list_fits(
    view: View, title: str, items: list[str], more: bool, hint: str = CHOICE_HINT
) -> bool:
    # The hint replaces the title on a second try: leave room for either.
    headers = (title, view.t(hint))
    return all(view.budget.fits(_list_text(view, h, items, more)) for h in headers)


def _shorten(view: View, title: str, item: str, hint: str = CHOICE_HINT) -> str:
    """The longest start of ``item`` that fits, marked as cut (found by bisection)."""
    ellipsis = "..." if is_gsm7(item) else "…"
    low, high = 1, len(item)
    while low < high:
        middle = (low + high + 1) // 2
        if _list_fits(view, title, [item[:middle] + ellipsis], True, hint):
            low = middle
        else:
            high = middle - 1
    return item[:low].rstrip() + ellipsis


def list_pages(
    view: View, title: str, labels: list[str], hint: str = CHOICE_HINT
) -> list[list[str]]:
    """The numbered lines of each page, filled up to the text budget or the page size.

    Numbers run on across pages, so an entry keeps its number; a label too long for any
    page is shortened. The last page has no "more" line, and room for one more entry.
    """
    items = [numbered(view.w, i, label) for i, label in enumerate(labels, start=1)]
    if len(items) <= view.page_size and _list_fits(view, title, items, False, hint):
        return [items]
    pages: list[list[str]] = []
    current: list[str] = []
    for n, item in enumerate(items, start=1):
        candidate = [*current, item]
        more = n < len(items)
        if current and (
            len(candidate) > view.page_size or not _list_fits(view, title, candidate, more, hint)
        ):
            pages.append(current)
            candidate = [item]
        if len(candidate) == 1 and not _list_fits(view, title, candidate, True, hint):
            candidate = [_shorten(view, title, item, hint)]
        current = candidate
    pages.append(current)
    return pages


def _current(view: View, pages: list[list[str]]) -> int:
    return min(max(view.page, 0), len(pages) - 1)


def render_list(
    view: View,
    title: str,
    listed: list[Listed],
    hint: str | None,
    hint_key: str = CHOICE_HINT,
) -> str:
    """The current page of a list."""
    pages = list_pages(view, title, [label for label, _ in listed], hint_key)
    page = _current(view, pages)
    return _list_text(view, hint or title, pages[page], more=page + 1 < len(pages))


def read_list(
    view: View, title: str, listed: list[Listed], text: str, hint_key: str = CHOICE_HINT
) -> Move:
    """The move of the entry chosen among those on the current page."""
    pages = list_pages(view, title, [label for label, _ in listed], hint_key)
    page = _current(view, pages)
    first = sum(len(p) for p in pages[:page]) + 1
    n = _number(cleaned(text))
    if n is None or not first <= n < first + len(pages[page]):
        return Invalid(view.t(hint_key))
    return listed[n - 1][1]


def list_has_more(
    view: View, title: str, listed: list[Listed], hint_key: str = CHOICE_HINT
) -> bool:
    """Say whether a page follows the current one."""
    pages = list_pages(view, title, [label for label, _ in listed], hint_key)
    return _current(view, pages) + 1 < len(pages)


class _Listing:
    """What every list screen shares: paging, rendering and reading a number."""

    __slots__ = ()
    title: str
    #: The hint over the list after a number not on it.
    hint_key: ClassVar[str] = CHOICE_HINT

    def listed(self, view: View) -> list[Listed]:
        """Each entry's label and the move choosing it makes."""
        raise NotImplementedError

    def render(self, view: View, hint: str | None = None) -> str:
        """The current page."""
        return render_list(view, view.t(self.title), self.listed(view), hint, self.hint_key)

    def read(self, text: str, view: View) -> Move:
        """The entry chosen."""
        return read_list(view, view.t(self.title), self.listed(view), text, self.hint_key)

    def has_more(self, view: View) -> bool:
        """Say whether a page follows the current one."""
        return list_has_more(view, view.t(self.title), self.listed(view), self.hint_key)


@dataclass(frozen=True, slots=True)
class Choice(_Listing):
    """A numbered menu of options (paged when they do not fit one screen)."""

    id: str
    title: str
    options: tuple[Option, ...]
    kind: ClassVar[str] = "choice"

    def shown(self, caller: Caller) -> tuple[Option, ...]:
        """The options this caller sees, in order (numbered from 1)."""
        return tuple(o for o in self.options if allows(o.when, caller))

    def listed(self, view: View) -> list[Listed]:
        """The options this caller sees."""
        return [(view.t(o.label), Go(o.target)) for o in self.shown(view.caller)]


@dataclass(frozen=True, slots=True)
class Pick(_Listing):
    """A paged, numbered list of people; one entry alone may be chosen without asking."""

    id: str
    title: str
    source: Source
    store: str
    target: str
    skip_single: bool = False
    kind: ClassVar[str] = "pick"

    def listed(self, view: View) -> list[Listed]:
        """The people, named with their relationship."""
        w = view.w
        return [
            (
                view.t(
                    "ussd.member", name=e.name, relationship=w.relationship_short(e.relationship)
                ),
                Go(self.target, {self.store: e.ref}),
            )
            for e in view.caller.entries(self.source)
        ]


@dataclass(frozen=True, slots=True)
class Prompt:
    """One question with a typed answer; the hint goes above the question on a second try."""

    id: str
    question: str
    parse: Parse
    store: str
    target: str
    kind: ClassVar[str] = "question"

    def render(self, view: View, hint: str | None = None) -> str:
        """The question."""
        w = view.w
        text = view.t(
            self.question,
            today=w.date(view.rules.today),
            length=_lengths(view),
        )
        return lines(hint, text, _nav(view))

    def read(self, text: str, view: View) -> Move:
        """The answer, checked; a hint when it cannot be used."""
        value = _PARSERS[self.parse](text, view)
        if isinstance(value, Invalid):
            return value
        return Go(self.target, {self.store: value})


def _lengths(view: View) -> str:
    """The digits a national id has, in the screen's digits (``11/15`` where a pack accepts
    ids of several formats)."""
    return "/".join(view.w.digits(str(n)) for n in view.rules.pack.national_id.lengths)


def _national_id(text: str, view: View) -> str | Invalid:
    fmt = view.rules.pack.national_id
    try:
        return fmt.normalise(text)
    except NationalIdCheckDigit:
        return Invalid(view.t("ussd.hint.check_digit"))
    except InvalidNationalId as exc:
        if exc.params.get("problem") == "component":  # right length, an impossible part
            return Invalid(view.t("ussd.hint.check_digit"))
        return Invalid(view.t("ussd.hint.national_id", length=_lengths(view)))


def _service_date(text: str, view: View) -> str | Invalid:
    rules = view.rules
    if cleaned(text) in ("", TODAY):
        return ""
    try:
        day = parse_date(text)
    except InvalidDate:
        return Invalid(view.t("ussd.hint.date", today=view.w.date(rules.today)))
    if not rules.earliest <= day <= rules.latest:
        return Invalid(
            view.t(
                "ussd.hint.date_range",
                earliest=view.w.date(rules.earliest),
                latest=view.w.date(rules.latest),
            )
        )
    return day.isoformat()


def _tracking_code(text: str, view: View) -> str | Invalid:
    try:
        return TrackingCode.parse(text).digits
    except InvalidTrackingCode:
        return Invalid(view.t("ussd.hint.tracking_code"))


_PARSERS = {
    Parse.NATIONAL_ID: _national_id,
    Parse.SERVICE_DATE: _service_date,
    Parse.TRACKING_CODE: _tracking_code,
}


@dataclass(frozen=True, slots=True)
class LanguageChoice(_Listing):
    """The languages offered, each named in itself; choosing one goes to ``target``.

    Its hint is short: six names in their own scripts make the screen UCS-2 (80 units),
    and a long hint would leave room for one name a page.
    """

    id: str
    title: str
    target: str
    kind: ClassVar[str] = "language"
    hint_key: ClassVar[str] = "ussd.hint.language"

    def listed(self, view: View) -> list[Listed]:
        """The languages."""
        return [
            (Wording(lang).t("language.name"), SetLanguage(lang, self.target))
            for lang in view.languages
        ]


@dataclass(frozen=True, slots=True)
class Gate:
    """No screen of its own: lead to ``then`` when the caller passes, else to ``otherwise``."""

    id: str
    requires: Guard
    then: str
    otherwise: str
    kind: ClassVar[str] = "gate"


@dataclass(frozen=True, slots=True)
class Result:
    """The answer: the core is asked (``effect``), the session ends with what it says."""

    id: str
    effect: Effect
    kind: ClassVar[str] = "answer"


@dataclass(frozen=True, slots=True)
class Info:
    """A fixed text that ends the session."""

    id: str
    text: str
    kind: ClassVar[str] = "info"

    def render(self, view: View) -> str:
        """The text."""
        return view.t(self.text)


Listing = Choice | Pick | LanguageChoice
Asking = Listing | Prompt
Screen = Asking | Gate | Result | Info
