"""The frame around every page, and the page set (``Site``) it belongs to.

A page set words the kit's pieces with ids of its own catalog under its name:
``<name>.title``, ``<name>.error.csrf``… (``KIT_TEXTS``), and a principal no longer allowed
with the id it names (``turned_away``). Its address is ``/<name>``, its cookies
``egw-<name>``, ``egw-<name>-signin`` and ``egw-<name>-lang`` (the language chosen), its
stylesheet ``static/<name>.css``.

Every page carries the language switcher: the offered languages in their own names, each
bringing the reader back to the same page (path and query) in that language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from eligibility_gw.appkeys import SETTINGS
from eligibility_gw.channels.pages.tokens import cookie_name
from eligibility_gw.settings import Settings
from eligibility_gw.wording import Wording, available_languages, shipped_language

#: Who is signed in: a provider on the portal, a staff account at the console.
P = TypeVar("P")

#: The pieces of every page set's catalog the kit words its own pages and refusals with.
KIT_TEXTS = (
    "title",
    "language.label",
    "signout",
    "signin.heading",
    "signin.intro",
    "signin.submit",
    "signin.expired",
    "signin.throttled",
    "error.heading",
    "error.back",
    "error.csrf",
    "error.language",
    "error.not_found",
    "error.method",
    "error.too_large",
    "error.bad_request",
    "error.bad_form",
    "error.rate_limited",
    "error.unavailable",
)


class Knobs(Protocol):
    """What the kit reads of a page set's settings."""

    @property
    def cookie_secure(self) -> bool:
        """Whether cookies need HTTPS (``__Host-`` names, the Secure flag)."""

    @property
    def session_minutes(self) -> int:
        """The absolute lifetime of a signed-in session."""


@dataclass(frozen=True, slots=True)
class Site(Generic[P]):
    """One page set configuring the kit: its name, templates, texts and settings."""

    #: ``portal``, ``console``: prefix of its message ids, its address, cookies, log events.
    name: str
    #: The package holding its ``templates/`` and ``static/<name>.css``.
    package: str
    #: The message id telling a principal no longer allowed why (on the sign-in page, 403).
    turned_away: str
    #: The page set's settings for this request.
    knobs: Callable[[web.Request], Knobs]
    #: The frame its pages get (a subclass may name the principal for its templates).
    frame_type: type[Frame[P]]
    #: The reader's language: the one asked for when offered, else from Accept-Language.
    language_of: Callable[[web.Request, Settings, str | None], str]

    @property
    def base(self) -> str:
        """The address every page is under (``/portal``)."""
        return f"/{self.name}"

    @property
    def home(self) -> str:
        """The first page (the sign-in page for a visitor)."""
        return f"/{self.name}/"

    @property
    def stylesheet(self) -> str:
        """The file name of its stylesheet, served under ``<base>/static/``."""
        return f"{self.name}.css"

    def text(self, piece: str) -> str:
        """The message id of one of the kit's pieces in this page set's catalog."""
        return f"{self.name}.{piece}"

    def session_cookie(self, knobs: Knobs) -> str:
        """The name of the session id cookie."""
        return cookie_name(knobs.cookie_secure, f"egw-{self.name}")

    def signin_cookie(self, knobs: Knobs) -> str:
        """The name of the sign-in form's double-submit cookie."""
        return cookie_name(knobs.cookie_secure, f"egw-{self.name}-signin")

    def language_cookie(self, knobs: Knobs) -> str:
        """The name of the cookie remembering the language the reader chose."""
        return cookie_name(knobs.cookie_secure, f"egw-{self.name}-lang")


@dataclass(frozen=True, slots=True)
class Frame(Generic[P]):
    """What every page shows around its content: language, who is signed in, the token."""

    site: Site[P]
    wording: Wording
    #: The languages offered, each as ``(code, its own name)``.
    languages: tuple[tuple[str, str], ...]
    principal: P | None = None
    csrf: str = ""
    #: Where the language switch brings the reader back to.
    here: str = "/"
    #: A printable sheet: the page without the header and its forms.
    print_view: bool = False

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``."""
        return "rtl" if self.wording.rtl else "ltr"

    @property
    def lang(self) -> str:
        """The page's language as HTML names it (BCP 47: ``pt-BR``, not ``pt_BR``)."""
        return html_lang(self.wording.language)

    def language_href(self, language: str) -> str:
        """This page's address with ``?lang=`` set to ``language`` (the visitor's switcher)."""
        path, _, query = self.here.partition("?")
        kept = [(k, v) for k, v in parse_query(query) if k != "lang"]
        return f"{path}?{urlencode([*kept, ('lang', language)])}"

    @property
    def signed_in(self) -> bool:
        """Whether someone is signed in (the header then has navigation and sign-out)."""
        return self.principal is not None

    def say(self, piece: str, **params: object) -> str:
        """One of the kit's pieces in the reader's words."""
        return self.wording.t(self.site.text(piece), **params)


def html_lang(language: str) -> str:
    """A catalog's language as a BCP 47 tag for ``lang``/``hreflang`` (``pt_BR`` → ``pt-BR``)."""
    return language.replace("_", "-")


def parse_query(query: str) -> list[tuple[str, str]]:
    """The fields of a query string, in order (blank values kept)."""
    return parse_qsl(query, keep_blank_values=True)


#: The frame of the page a request is answered with, kept for any error page it ends in.
FRAME: web.RequestKey[Frame[Any]] = web.RequestKey("page_frame", Frame)


def offered_languages(settings: Settings) -> tuple[str, ...]:
    """The configured languages a catalog is shipped for."""
    shipped = available_languages()
    return tuple(lang for lang in settings.gateway.languages if lang in shipped)


def make_frame(
    request: web.Request,
    site: Site[P],
    language: str,
    principal: P | None = None,
    csrf: str = "",
) -> Frame[P]:
    """The frame for this request, remembered for any error page it ends in."""
    offered = offered_languages(request.config_dict[SETTINGS])
    frame = site.frame_type(
        site,
        Wording(language),
        tuple((lang, Wording(lang).t("language.name")) for lang in offered),
        principal,
        csrf,
        request.path_qs if request.method == "GET" else site.home,
    )
    request[FRAME] = frame
    return frame


def _language_cookie(request: web.Request, site: Site[P]) -> str | None:
    """The language cookie's value; None when the page set's knobs are not at hand (a body
    over the limit is refused before the page set's application is reached)."""
    try:
        knobs = site.knobs(request)
    except KeyError:
        return None
    return request.cookies.get(site.language_cookie(knobs))


def chosen_language(request: web.Request, site: Site[P]) -> str | None:
    """The offered language the reader chose: ``?lang=``, else the language cookie; or None."""
    offered = offered_languages(request.config_dict[SETTINGS])
    for tag in (request.query.get("lang"), _language_cookie(request, site)):
        language = shipped_language(tag) if tag else None
        if language is not None and language in offered:
            return language
    return None


def visitor_language(request: web.Request, site: Site[P]) -> str:
    """The language of a visitor not signed in: the one chosen, else Accept-Language."""
    settings = request.config_dict[SETTINGS]
    return chosen_language(request, site) or site.language_of(request, settings, None)


def visitor_frame(request: web.Request, site: Site[P]) -> Frame[P]:
    """The frame of a visitor not signed in."""
    return make_frame(request, site, visitor_language(request, site))
