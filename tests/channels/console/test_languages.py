"""Every console and portal page in every shipped language, and the language switcher.

Each page of the walk (``tour``) is opened in each language: the page says its language
and direction on ``<html>``, shows no message id and no ``{placeholder}`` raw, and no
English text where the reader's catalog has its own words. Persian pages keep Latin text,
digits and codes apart from the sentence around them: any Latin word outside ``<bdi>``, an
element with ``dir="ltr"`` or another ``lang``, or a U+2068…U+2069 isolate fails the test
(what staff typed on the walk is Persian: a Latin word is the gateway's own). The switcher
keeps the page (path and query) and remembers the choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from eligibility_gw.demo import DEMO_PROVIDER_KEY
from eligibility_gw.wording import Wording, available_languages, catalogs
from tests.channels.console.conftest import Console, MakeConsole
from tests.channels.console.support import SON
from tests.channels.console.tour import prepare_tour, visit_all
from tests.channels.web.portal.support import Visitor, csrf_of

LANGUAGES = available_languages()
#: Every shipped language offered, English the default (a language added is tested too).
OFFERED = ("en", *sorted(set(LANGUAGES) - {"en"}))
SIX = ("en", "fa", "ro", "pt_BR", "pl", "ru")
_VOID = frozenset({"input", "meta", "link", "br", "img", "hr", "source", "col", "wbr"})
#: Elements whose text is no running text of the page (the tab title is checked apart).
_SKIPPED = frozenset({"title", "style", "script"})
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_DOTTED = re.compile(r"\b[a-z_]+(?:\.[A-Za-z_]+)+\b")
#: A text between U+2066/U+2067/U+2068 and U+2069 is isolated as ``<bdi>`` would.
_ISOLATE = re.compile("[\u2066\u2067\u2068][^\u2069]*\u2069")


@dataclass
class Text:
    """A run of a page's text, and whether it stands isolated from what is around it."""

    text: str
    isolated: bool
    where: str


@dataclass
class PageReader(HTMLParser):
    """The running text of a page, each run marked isolated or not."""

    language: str = ""
    runs: list[Text] = field(default_factory=list)
    html_attrs: dict[str, str] = field(default_factory=dict)
    title: str = ""

    def __post_init__(self) -> None:
        super().__init__()
        self._open: list[tuple[str, bool, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_attrs = a
            return
        if tag in _VOID:
            return
        lang = a.get("lang", "").replace("-", "_")
        isolated = (
            tag in ("bdi", "code", "kbd", "samp", "svg")
            or a.get("dir") == "ltr"
            or (bool(lang) and lang != self.language)
        )
        self._open.append((tag, isolated, tag in _SKIPPED))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not data.strip():
            return
        if any(skipped for _, _, skipped in self._open):
            if self._open and self._open[-1][0] == "title":
                self.title += data
            return
        isolated = any(i for _, i, _ in self._open)
        where = "/".join(t for t, _, _ in self._open[-3:])
        self.runs.append(Text(data, isolated, where))


def read_page(html: str, language: str) -> PageReader:
    reader = PageReader(language)
    reader.feed(html)
    reader.close()
    return reader


def latin_outside_isolation(reader: PageReader) -> list[str]:
    """Latin words of the running text that are not isolated from the Persian around them."""
    found = []
    for run in reader.runs:
        if run.isolated:
            continue
        for word in _LATIN_WORD.findall(_ISOLATE.sub(" ", run.text)):
            found.append(f"{word!r} in <{run.where}>: {run.text.strip()[:80]!r}")
    return found


def raw_ids_and_placeholders(reader: PageReader) -> list[str]:
    """Message ids and ``{placeholders}`` the page shows as they are."""
    ids = set(catalogs()["en"])
    found = []
    for text in [r.text for r in reader.runs] + [reader.title]:
        found += [f"placeholder {p}" for p in _PLACEHOLDER.findall(text)]
        found += [f"message id {d}" for d in _DOTTED.findall(text) if d in ids]
    return found


def english_left(reader: PageReader, language: str) -> list[str]:
    """English sentences of the catalog on a page in another language that has its own."""
    own, english = catalogs()[language], catalogs()["en"]
    sentences = {
        text
        for key, text in english.items()
        if len(text.split()) >= 3 and not _PLACEHOLDER.search(text) and own.get(key) != text
    }
    return [r.text.strip() for r in reader.runs if r.text.strip() in sentences]


@pytest.fixture
async def six(make_console: MakeConsole) -> Console:
    """A gateway offering every shipped language, checks on the SMS notices.

    The pages only: the phone channels are off (their screen budgets are their own tests').
    """
    off = {name: {"enabled": False} for name in ("sms", "ussd", "telegram")}
    return await make_console(
        languages=OFFERED,
        gateway={"notices": {"check_notices": True}, "extra": {"channels": {"console": {}, **off}}},
    )


def test_the_six_languages_are_shipped() -> None:
    assert set(SIX) <= set(LANGUAGES)


@pytest.mark.parametrize("language", OFFERED)
async def test_every_page_in_every_language(six: Console, language: str) -> None:
    tour = await prepare_tour(six)
    pages = await visit_all(six, tour, language)
    assert len(pages) >= 20
    rtl = Wording(language).rtl
    problems: dict[str, list[str]] = {}
    for name, html in pages.items():
        reader = read_page(html, language)
        assert reader.html_attrs.get("lang") == language.replace("_", "-"), name
        assert reader.html_attrs.get("dir") == ("rtl" if rtl else "ltr"), name
        found = raw_ids_and_placeholders(reader)
        if language != "en":
            found += [f"English: {s!r}" for s in english_left(reader, language)]
        if rtl:
            found += latin_outside_isolation(reader)
        if found:
            problems[name] = found
    assert not problems


def test_the_latin_check_finds_what_is_not_isolated() -> None:
    """The Persian check itself: it fails on bare Latin, passes once it is isolated."""
    bare = '<html lang="fa" dir="rtl"><p>وارد شده با نام sara (سرپرست)</p></html>'
    assert latin_outside_isolation(read_page(bare, "fa"))
    # Free text keeps its own direction, but English there is still English.
    assert latin_outside_isolation(read_page('<p dir="auto">sent SM0123</p>', "fa"))
    for isolated in (
        "<p>وارد شده با نام <bdi>sara</bdi> (سرپرست)</p>",
        '<p>کد <span dir="ltr">D-1234-5678</span></p>',
        '<select><option lang="ro">Română</option></select>',
        "<p>کلید \u2068API\u2069</p>",
    ):
        assert not latin_outside_isolation(read_page(isolated, "fa")), isolated
    assert raw_ids_and_placeholders(read_page("<p>console.search.heading {name}</p>", "fa"))
    english = "<p>No document is waiting for review.</p>"
    assert english_left(read_page(english, "ro"), "ro")
    assert not english_left(read_page(english, "en"), "en")


# --- the switcher ---------------------------------------------------------------------------


async def test_a_visitor_switch_keeps_the_page_and_is_remembered(six: Console) -> None:
    visitor = six.visitor()
    _, page = await visitor.get("/console/?next=x")
    links = dict(re.findall(r'<a href="([^"]+)" lang="([^"]+)" hreflang', page))
    # Every offered language but the current one, in its own name, back to this page.
    assert sorted(links.values()) == sorted(lang.replace("_", "-") for lang in OFFERED[1:])
    assert links and all(href.startswith("/console/?next=x&amp;lang=") for href in links)
    assert 'lang="pt-BR" hreflang="pt-BR" dir="auto">Português (Brasil)</a>' in page
    response, page = await visitor.get("/console/?next=x&lang=pl")
    assert response.status == 200
    assert '<html lang="pl" dir="ltr">' in page
    cookie = visitor.cookies["__Host-egw-console-lang"]
    assert cookie.value == "pl"
    assert cookie["max-age"] and int(cookie["max-age"]) > 30 * 24 * 3600
    # Remembered: the next page without ``?lang=`` is still Polish, whatever the browser says.
    _, page = await visitor.get("/console/", {"Accept-Language": "ru"})
    assert '<html lang="pl" dir="ltr">' in page
    # A language not offered is no choice: the browser's language counts.
    _, page = await six.visitor(**{"Accept-Language": "ru"}).get("/console/?lang=xx")
    assert '<html lang="ru" dir="ltr">' in page


async def test_signing_in_keeps_the_language_chosen_before(six: Console) -> None:
    visitor = Visitor(six.client)
    _, page = await visitor.get("/portal/?lang=fa")
    response, _ = await visitor.post(
        "/portal/signin", {"csrf": csrf_of(page), "api_key": DEMO_PROVIDER_KEY, "lang": "fa"}
    )
    assert response.status == 303
    _, page = await visitor.get("/portal/")
    assert '<html lang="fa" dir="rtl">' in page


@pytest.mark.parametrize("language", OFFERED[1:])
async def test_a_signed_in_switch_keeps_the_page(six: Console, language: str) -> None:
    staff = await six.supervisor()
    _, results = await staff.search(six.ids[SON])
    here = "/console/disputes?status=all"
    _, page = await staff.get(here)
    assert f'<input type="hidden" name="next" value="{here.replace("&", "&amp;")}">' in page
    response, _ = await staff.post(
        "/console/language", {"csrf": csrf_of(page), "lang": language, "next": here}
    )
    assert response.status == 303
    assert response.headers["Location"] == here
    assert staff.cookies["__Host-egw-console-lang"].value == language
    _, page = await staff.get(here)
    tag = language.replace("_", "-")
    assert f'<html lang="{tag}" dir="{"rtl" if language == "fa" else "ltr"}">' in page
    assert f'<span class="current" lang="{tag}" dir="auto" aria-current="true">' in page
    assert results  # the search before kept its page too


async def test_a_switch_never_leads_off_the_pages(six: Console) -> None:
    staff = await six.supervisor()
    _, page = await staff.get("/console/")
    for target in ("https://evil.example/", "//evil.example/", "/portal/"):
        response, _ = await staff.post(
            "/console/language", {"csrf": csrf_of(page), "lang": "ro", "next": target}
        )
        assert response.headers["Location"] == "/console/"
    response, _ = await staff.post(
        "/console/language", {"csrf": csrf_of(page), "lang": "de", "next": "/console/"}
    )
    assert response.status == 422
    assert "__Host-egw-console-lang" not in response.cookies


# --- the catalogs ---------------------------------------------------------------------------

_LATIN_PUNCTUATION = re.compile(r"[,;?]")
_NOT_PROSE = re.compile(r"\{[a-z_]+\}|https?://\S+|[A-Za-z0-9_.-]+\?[A-Za-z0-9_=&-]+")


def test_persian_texts_use_persian_punctuation() -> None:
    """، ؛ ؟ in every Persian text; a Latin mark only inside a placeholder, address or code."""
    wrong = {
        key: text
        for key, text in catalogs()["fa"].items()
        if _LATIN_PUNCTUATION.search(_NOT_PROSE.sub("", _ISOLATE.sub("", text)))
    }
    assert not wrong


def test_persian_page_texts_isolate_their_latin_words() -> None:
    """What the pages say in Persian keeps acronyms and formats (API, CSV…) isolated."""
    bare = {}
    for key, text in catalogs()["fa"].items():
        if not key.startswith(("console.", "portal.")):
            continue
        left = _LATIN_WORD.findall(_ISOLATE.sub("", _PLACEHOLDER.sub("", text)))
        if left:
            bare[key] = left
    assert not bare
