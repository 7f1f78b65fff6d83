"""Render portal pages: Jinja2 templates shipped as package data, error pages, safe headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2
from aiohttp import web

from eligibility_gw.appkeys import SETTINGS
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.pages_common import (
    SECURITY_HEADERS,
    ErrorWords,
    PageError,
    error_pages_for,
    offered_languages,
    package_text,
    security_headers,
    see_other,
    template_environment,
    too_large_page,
)
from eligibility_gw.domain.provider import Provider
from eligibility_gw.wording import Wording

__all__ = [
    "BASE",
    "FRAME",
    "SECURITY_HEADERS",
    "Frame",
    "PortalError",
    "environment",
    "error_page",
    "error_pages",
    "make_frame",
    "offered_languages",
    "refusal_page",
    "render",
    "security_headers",
    "see_other",
    "stylesheet_text",
    "too_large",
    "visitor_frame",
]

PACKAGE = "eligibility_gw.channels.web.portal"
BASE = "/portal"
#: The portal's refusals: a page in words (kept under its historical name).
PortalError = PageError


def environment() -> jinja2.Environment:
    """The portal's template environment (autoescaping, strict about undefined names)."""
    return template_environment(PACKAGE)


def stylesheet_text() -> str:
    """The portal's stylesheet, read once from the package."""
    return package_text(PACKAGE, "static", "portal.css")


@dataclass(frozen=True, slots=True)
class Frame:
    """What every page shows around its content: language, who is signed in, the token."""

    wording: Wording
    languages: tuple[tuple[str, str], ...]
    provider: Provider | None = None
    csrf: str = ""
    here: str = BASE + "/"
    print_view: bool = False

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``."""
        return "rtl" if self.wording.rtl else "ltr"


FRAME = web.RequestKey("portal_frame", Frame)


def make_frame(
    request: web.Request,
    language: str,
    provider: Provider | None = None,
    csrf: str = "",
) -> Frame:
    """The frame for this request, remembered for any error page it ends in."""
    offered = offered_languages(request.config_dict[SETTINGS])
    frame = Frame(
        Wording(language),
        tuple((lang, Wording(lang).t("language.name")) for lang in offered),
        provider,
        csrf,
        request.path_qs if request.method == "GET" else BASE + "/",
    )
    request[FRAME] = frame
    return frame


def visitor_frame(request: web.Request) -> Frame:
    """The frame of a visitor not signed in: language from ``?lang=`` or Accept-Language."""
    settings = request.config_dict[SETTINGS]
    return make_frame(request, language_of(request, settings, request.query.get("lang")))


def render(frame: Frame, template: str, status: int = 200, **context: Any) -> web.Response:
    """The page ``template`` in the frame's language."""
    w = frame.wording
    html = environment().get_template(template).render(frame=frame, w=w, t=w.t, **context)
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": w.language},
    )


def error_page(request: web.Request, status: int, message: str, **params: object) -> web.Response:
    """The error page, in the language of the page that failed (or the visitor's)."""
    frame = request.get(FRAME) or visitor_frame(request)
    return render(frame, "error.html", status, message=frame.wording.t(message, **params))


def refusal_page(request: web.Request, status: int, text: str) -> web.Response:
    """The error page saying ``text``, already in the page's words (the core's refusals)."""
    frame = request.get(FRAME) or visitor_frame(request)
    return render(frame, "error.html", status, message=text)


_WORDS = ErrorWords(
    not_found="portal.error.not_found",
    method="portal.error.method",
    too_large="portal.error.too_large",
    bad_request="portal.error.bad_request",
    bad_form="portal.error.bad_form",
    rate_limited="portal.error.rate_limited",
    unavailable="portal.error.unavailable",
)
#: Every refusal as a page in words with its 4xx status; never a 500.
error_pages = error_pages_for(_WORDS, error_page, "portal_unhandled_error")
#: A body over the limit, refused before it is read: a page in words (413).
too_large = too_large_page(_WORDS, error_page)
