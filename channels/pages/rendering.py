"""Render a page set's pages: templates beside the kit's, error pages in words, safe headers.

Every refusal is a page in the reader's words with its 4xx status (a store that cannot
answer, or a failure inside, is a 503 page asking to retry): never a 500, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import jinja2
import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware
from markupsafe import Markup, escape

from eligibility_gw.channels.pages.forms import PageError, UnreadableForm
from eligibility_gw.channels.pages.frame import FRAME, Frame, P, Site, visitor_frame
from eligibility_gw.domain.errors import EligibilityError, QuotaExceeded, Refused
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

KIT_PACKAGE = "eligibility_gw.channels.pages"
#: Seconds a reader is asked to wait when the gateway cannot answer.
RETRY_SECONDS = 5
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: The pages load nothing but their own stylesheet, run no script, and may not be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: The kit's words for refusals aiohttp raises itself, by status.
_FOR_STATUS = {404: "error.not_found", 405: "error.method", 413: "error.too_large"}


@functools.cache
def environment(package: str) -> jinja2.Environment:
    """``package``'s templates, then the kit's as ``kit/…``: autoescaped, strict on undefined."""
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader(package, "templates"),
            jinja2.PrefixLoader({"kit": jinja2.PackageLoader(KIT_PACKAGE, "templates")}),
        ]
    )
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class _Isolated(dict[str, Markup]):
    """A message's fields, each isolated in ``<bdi>``; an unknown field stays visible."""

    def __missing__(self, key: str) -> Markup:
        return Markup("{{{}}}").format(key)


def isolating(w: Wording) -> Callable[..., Markup]:
    """``ti(key, **fields)``: the message with each field isolated in ``<bdi>``.

    A name, a user name, a code or a number filled into a sentence keeps its own direction:
    "Demo Pharmacy (demo-pharmacy)" inside Persian is not reordered by the sentence around it.
    """

    def ti(key: str, **params: object) -> Markup:
        fields = _Isolated({k: Markup("<bdi>{}</bdi>").format(v) for k, v in params.items()})
        return escape(w.t(key)).format_map(fields)

    return ti


def render(frame: Frame[Any], template: str, status: int = 200, **context: Any) -> web.Response:
    """The page ``template`` in the frame's language (``ti``: a message, its fields isolated)."""
    w = frame.wording
    page = environment(frame.site.package).get_template(template)
    html = page.render(frame=frame, w=w, t=w.t, ti=isolating(w), **context)
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Content-Language": w.language},
    )


def _frame_of(request: web.Request, site: Site[P]) -> Frame[Any]:
    return request.get(FRAME) or visitor_frame(request, site)


def error_page(
    request: web.Request, site: Site[P], status: int, message: str, **params: object
) -> web.Response:
    """The error page, in the language of the page that failed (or the visitor's)."""
    frame = _frame_of(request, site)
    return render(frame, "kit/error.html", status, message=frame.wording.t(message, **params))


def refusal_page(
    request: web.Request, site: Site[P], status: int, refusal: EligibilityError
) -> web.Response:
    """The error page saying why the service refused (a quota, an input it cannot read)."""
    frame = _frame_of(request, site)
    return render(frame, "kit/error.html", status, message=frame.wording.error(refusal))


def _refused_by_http(request: web.Request, site: Site[P], exc: web.HTTPException) -> web.Response:
    """A refusal raised as an HTTP exception (by aiohttp, or a helper shared with the API)."""
    if exc.status == web.HTTPTooManyRequests.status_code:
        seconds = exc.headers.get("Retry-After", "60")
        response = error_page(request, site, 429, site.text("error.rate_limited"), seconds=seconds)
        response.headers["Retry-After"] = seconds
        return response
    words = site.text(_FOR_STATUS.get(exc.status, "error.bad_request"))
    response = error_page(request, site, exc.status, words)
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


def _retry_after(response: web.Response, seconds: int) -> web.Response:
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


def error_pages(site: Site[P]) -> Middleware:
    """A middleware answering every refusal as a page in words with its 4xx; never a 500.

    The service's refusals: a quota spent is a 429 saying when to try again, any other
    refusal of the policy a 403, an input it cannot read a 422. A store that cannot answer
    is a 503 with ``Retry-After``; an unexpected exception too, logged with its traceback.
    """
    unavailable = site.text("error.unavailable")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except PageError as exc:
            return error_page(request, site, exc.status, exc.message, **exc.params)
        except UnreadableForm:
            return error_page(request, site, 400, site.text("error.bad_form"))
        except StoreUnavailable as exc:
            log.warning(f"{site.name}_store_unavailable", problem=exc.problem)
            return _retry_after(error_page(request, site, 503, unavailable), RETRY_SECONDS)
        except QuotaExceeded as exc:
            return _retry_after(refusal_page(request, site, 429, exc), exc.retry_after)
        except Refused as exc:
            return refusal_page(request, site, 403, exc)
        except EligibilityError as exc:
            return refusal_page(request, site, 422, exc)
        except web.HTTPException as exc:
            if exc.status < 400:
                return web.Response(status=exc.status, headers=exc.headers)
            return _refused_by_http(request, site, exc)
        except Exception:
            # A bug or a failing dependency: the reader gets a page to retry, the log the cause.
            log.exception(f"{site.name}_unhandled_error")
            return _retry_after(error_page(request, site, 503, unavailable), RETRY_SECONDS)

    return middleware


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No framing, no referrer, no caching of pages that name members."""
    return _secured(await handler(request))


def too_large(site: Site[P]) -> Callable[[web.Request, int], web.Response]:
    """What a body over the limit gets: an error page in words (413), with the pages' headers.

    It answers from the gateway's own body-limit check, before the page set's middlewares.
    """

    def respond(request: web.Request, _max_bytes: int) -> web.Response:
        response = error_page(request, site, 413, site.text("error.too_large"))
        _secured(response)
        return response

    return respond


@functools.cache
def package_text(package: str, *path: str) -> str:
    """A text file shipped in ``package`` (a stylesheet), read once."""
    return resources.files(package).joinpath(*path).read_text("utf-8")


def stylesheet_text(site: Site[P]) -> str:
    """The kit's stylesheet, then the page set's own rules."""
    return package_text(KIT_PACKAGE, "static", "frame.css") + package_text(
        site.package, "static", site.stylesheet
    )


def stylesheet_response(text: str) -> web.Response:
    """A stylesheet, cacheable for an hour."""
    return web.Response(
        text=text,
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


def stylesheet(site: Site[P]) -> Handler:
    """The route of the page set's only stylesheet (no script anywhere)."""

    async def serve(_request: web.Request) -> web.StreamResponse:
        return stylesheet_response(stylesheet_text(site))

    return serve
