"""What every server-rendered page set shares (the provider portal, the call-centre console).

Session and CSRF tokens, cookie flags, Jinja2 environments over templates shipped as package
data, safe response headers, posted forms, and a middleware that turns every refusal into a
page in words with its 4xx status (never a 500).
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources

import jinja2
import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware

from eligibility_gw.channels.web.problems import UNAVAILABLE_RETRY_SECONDS, Handler, Problem
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.settings import Settings
from eligibility_gw.wording import available_languages

log = structlog.get_logger(__name__)

#: The hidden form field every POST form carries.
CSRF_FIELD = "csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

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

#: A posted form: text fields (and files, which no page asks for).
Form = Mapping[str, object]


# --- tokens and cookies ---------------------------------------------------------------------


def new_token() -> str:
    """A fresh unguessable token (session id or CSRF token)."""
    return secrets.token_urlsafe(32)


def well_formed(token: str | None) -> bool:
    """Say whether ``token`` looks like one of ours (checked before any lookup)."""
    return token is not None and _TOKEN.fullmatch(token) is not None


def same_token(given: str | None, expected: str | None) -> bool:
    """Compare a submitted token with the expected one in constant time."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def cookie_name(secure: bool, base: str) -> str:
    """``__Host-`` names bind a Secure cookie to this host and path ``/``."""
    return f"__Host-{base}" if secure else base


def set_cookie(response: web.StreamResponse, secure: bool, name: str, value: str) -> None:
    """Set a browser-session cookie (gone when the browser closes): HttpOnly, SameSite=Strict.

    Secure as configured; the server-side session expires on its own in any case.
    """
    response.set_cookie(name, value, path="/", httponly=True, samesite="Strict", secure=secure)


def clear_cookie(response: web.StreamResponse, secure: bool, name: str) -> None:
    """Tell the browser to forget a cookie (with the flags it was set with)."""
    response.del_cookie(name, path="/", secure=secure, httponly=True, samesite="Strict")


# --- templates, languages, answers ----------------------------------------------------------


@functools.cache
def template_environment(package: str) -> jinja2.Environment:
    """The templates of ``package``: autoescaping everything, failing on undefined names."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def package_text(package: str, *path: str) -> str:
    """A text file shipped in ``package`` (a stylesheet), read once."""
    return resources.files(package).joinpath(*path).read_text("utf-8")


def offered_languages(settings: Settings) -> tuple[str, ...]:
    """The configured languages a catalog is shipped for."""
    shipped = available_languages()
    return tuple(lang for lang in settings.gateway.languages if lang in shipped)


def see_other(location: str) -> web.Response:
    """Send the browser on with a GET (after a form, so reloading does not post it again)."""
    return web.Response(status=303, headers={"Location": location})


def local_next(target: str, base: str) -> str:
    """``target`` when it is a page under ``base``; else ``base``'s home (never elsewhere)."""
    safe = (
        target.startswith(base + "/")
        and "//" not in target
        and "\\" not in target
        and target.isascii()
        and target.isprintable()
        and len(target) <= 2000
    )
    return target if safe else base + "/"


def stylesheet_response(text: str) -> web.Response:
    """A stylesheet, cacheable for an hour."""
    return web.Response(
        text=text,
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


# --- forms and refusals ---------------------------------------------------------------------


class PageError(Exception):
    """Raise to answer with an error page: a status and a message id with its fields."""

    def __init__(self, status: int, message: str, **params: object) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.params = params


class UnreadableForm(Exception):
    """A posted form could not be read (malformed, or past the size limit)."""


async def read_form(request: web.Request) -> Form:
    """The posted form; ``UnreadableForm`` when it cannot be read (a 400 page)."""
    try:
        return await request.post()
    except (ValueError, LookupError, AssertionError, HttpProcessingError):  # LookupError: charset
        raise UnreadableForm from None


def field(form: Form, name: str) -> str:
    """A text field of the form ('' when absent or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class ErrorWords:
    """The message ids a page set uses for refusals that do not come from its own code."""

    not_found: str
    method: str
    too_large: str
    bad_request: str
    bad_form: str
    rate_limited: str
    unavailable: str

    def for_status(self, status: int) -> str:
        """The message for an HTTP refusal raised by aiohttp itself."""
        return {404: self.not_found, 405: self.method, 413: self.too_large}.get(
            status, self.bad_request
        )


#: Render the error page: request, status, message id and its fields.
ErrorPage = Callable[..., web.Response]


def error_pages_for(words: ErrorWords, page: ErrorPage, event: str) -> Middleware:
    """A middleware answering every refusal as ``page`` in words with its 4xx; never a 500.

    A store that cannot answer gets ``unavailable`` (503, ``Retry-After``); an unexpected
    exception too, logged as ``event`` with its traceback.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except PageError as exc:
            return page(request, exc.status, exc.message, **exc.params)
        except UnreadableForm:
            return page(request, 400, words.bad_form)
        except StoreUnavailable as exc:
            log.warning("store_unavailable", problem=exc.problem)
            response = page(request, 503, words.unavailable)
            response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
            return response
        except Problem as problem:
            # Raised by helpers shared with the JSON API.
            if problem.type.slug == "rate-limited":
                seconds = problem.headers.get("Retry-After", "60")
                response = page(request, 429, words.rate_limited, seconds=seconds)
                response.headers["Retry-After"] = seconds
                return response
            return page(request, problem.type.status, words.unavailable)
        except web.HTTPException as exc:
            if exc.status < 400:
                return web.Response(status=exc.status, headers=exc.headers)
            response = page(request, exc.status, words.for_status(exc.status))
            if "Allow" in exc.headers:
                response.headers["Allow"] = exc.headers["Allow"]
            return response
        except Exception:
            # A bug or a failing dependency: the reader gets a page to retry, the log the cause.
            log.exception(event)
            response = page(request, 503, words.unavailable)
            response.headers["Retry-After"] = "5"
            return response

    return middleware


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No framing, no referrer, no caching of pages that name members."""
    return _secured(await handler(request))


def too_large_page(
    words: ErrorWords, page: ErrorPage
) -> Callable[[web.Request, int], web.Response]:
    """What a body over the limit gets: ``page`` in words (413), with the pages' headers.

    It answers from the gateway's own body-limit check, before the page set's middlewares.
    """

    def respond(request: web.Request, _max_bytes: int) -> web.Response:
        response = page(request, 413, words.too_large)
        _secured(response)
        return response

    return respond
