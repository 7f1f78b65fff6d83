"""Posted forms, refusals raised as pages, and where a page sends the browser next."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

#: A posted form: text fields (and files, which no page asks for).
Form = Mapping[str, object]


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
