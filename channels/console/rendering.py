"""Render console pages: the frame around every page, templates, error pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from eligibility_gw.appkeys import SETTINGS
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.pages_common import (
    ErrorWords,
    error_pages_for,
    offered_languages,
    package_text,
    template_environment,
    too_large_page,
)
from eligibility_gw.domain.errors import EligibilityError, QuotaExceeded
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.casework import StaffAccount
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Seconds a reader is asked to wait when the store cannot answer.
RETRY_SECONDS = 5

PACKAGE = "eligibility_gw.channels.console"
PORTAL_PACKAGE = "eligibility_gw.channels.web.portal"
BASE = "/console"


@dataclass(frozen=True, slots=True)
class Frame:
    """What every page shows around its content: language, who is signed in, the token."""

    wording: Wording
    languages: tuple[tuple[str, str], ...]
    staff: StaffAccount | None = None
    csrf: str = ""
    here: str = BASE + "/"

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``."""
        return "rtl" if self.wording.rtl else "ltr"


FRAME = web.RequestKey("console_frame", Frame)


def make_frame(
    request: web.Request, language: str, staff: StaffAccount | None = None, csrf: str = ""
) -> Frame:
    """The frame for this request, remembered for any error page it ends in."""
    offered = offered_languages(request.config_dict[SETTINGS])
    frame = Frame(
        Wording(language),
        tuple((lang, Wording(lang).t("language.name")) for lang in offered),
        staff,
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
    page = template_environment(PACKAGE).get_template(template)
    html = page.render(frame=frame, w=w, t=w.t, **context)
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


def refusal_page(request: web.Request, status: int, refusal: EligibilityError) -> web.Response:
    """The error page saying why the service refused (a quota, an input it cannot read)."""
    frame = request.get(FRAME) or visitor_frame(request)
    return render(frame, "error.html", status, message=frame.wording.error(refusal))


@web.middleware
async def service_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The service's refusals and an unavailable store as pages in words (never a 500).

    Handlers word the refusals they expect themselves; what reaches this layer is a staff
    quota spent (429, with when to try again), or a store that cannot answer now (503).
    """
    try:
        return await handler(request)
    except StoreUnavailable as exc:
        log.warning("console_store_unavailable", error=exc.problem)
        response = error_page(request, 503, "console.error.unavailable")
        response.headers["Retry-After"] = str(RETRY_SECONDS)
        return response
    except QuotaExceeded as exc:
        response = refusal_page(request, 429, exc)
        response.headers["Retry-After"] = str(max(1, exc.retry_after))
        return response
    except EligibilityError as exc:
        return refusal_page(request, 422, exc)


def stylesheet_text() -> str:
    """The portal's look (shared), then the console's own rules."""
    return package_text(PORTAL_PACKAGE, "static", "portal.css") + package_text(
        PACKAGE, "static", "console.css"
    )


_WORDS = ErrorWords(
    not_found="console.error.not_found",
    method="console.error.method",
    too_large="console.error.too_large",
    bad_request="console.error.bad_request",
    bad_form="console.error.bad_form",
    rate_limited="console.error.rate_limited",
    unavailable="console.error.unavailable",
)
#: Every refusal as a page in words with its 4xx status; never a 500.
error_pages = error_pages_for(_WORDS, error_page, "console_unhandled_error")
#: A body over the limit, refused before it is read: a page in words (413).
too_large = too_large_page(_WORDS, error_page)
