"""The HTTP edge every request passes: a request id, the body limit of its route, shedding,
and the count of every request (refusals included) by route, status class and channel.

Channels declare their routes' body limits (``limit_body``) and how a shed request is told
(``SHEDDER``); the application (``app``) runs ``edge`` first on every request.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from eligibility_gw.metrics import observe_request
from eligibility_gw.shedding import SHEDDER

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_LONG_NUMBER = re.compile(r"[0-9]{8,}")


def request_id_of(request: web.Request) -> str:
    """The caller's ``X-Request-Id`` when sane, else a fresh one (a correlation id, no secret).

    Every log line carries it as it is: one holding a run of digits that could be a national
    id or a phone number is not taken.
    """
    given = request.headers.get("X-Request-Id", "")
    if (
        0 < len(given) <= 64
        and given.isascii()
        and given.isprintable()
        and _LONG_NUMBER.search(given) is None
    ):
        return given
    return f"{random.getrandbits(64):016x}"


#: The channel a request belongs to, by path prefix (the names answers are counted under).
CHANNEL_PREFIXES = (
    ("/api/", "web"),
    ("/problems/", "web"),
    ("/fhir/", "fhir"),
    ("/portal", "portal"),
    ("/channels/sms/", "sms"),
    ("/channels/ussd/", "ussd"),
    ("/channels/telegram/", "telegram"),
    ("/console", "console"),
    ("/metrics", "ops"),
    ("/healthz", "ops"),
    ("/readyz", "ops"),
)


def channel_of(path: str) -> str:
    """The channel of a request path ("other" for none)."""
    return next((name for prefix, name in CHANNEL_PREFIXES if path.startswith(prefix)), "other")


def route_of(request: web.Request) -> str:
    """The route template a request matched (``/api/v1/inquiries/{code}``), never its path:
    paths carry codes and references, and would make a label per request."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _count(request: web.Request, status: int | None, started: float) -> None:
    observe_request(
        route_of(request),
        request.method,
        status,
        channel_of(request.path),
        time.perf_counter() - started,
    )


@web.middleware
async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What every request passes, in one middleware layer (each layer costs a call chain).

    A request id is bound to every log line and returned in ``X-Request-Id``; a declared
    body larger than its route allows is refused (413) before it is read; past the load
    bounds the request is shed before anything is accepted. Each request is counted with
    how it ended, however it ended.
    """
    started = time.perf_counter()
    request_id = request_id_of(request)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id, path=request.path)
    try:
        response = too_large(request)
        if response is None:
            response = await request.app[SHEDDER].admit(request, handler)
    except web.HTTPException as exc:  # 404, 405 and other raised answers carry it too
        exc.headers["X-Request-Id"] = request_id
        _count(request, exc.status, started)
        raise
    except asyncio.CancelledError:  # the client went away
        _count(request, None, started)
        raise
    except Exception:  # aiohttp answers it 500
        _count(request, 500, started)
        raise
    response.headers["X-Request-Id"] = request_id
    _count(request, response.status, started)
    return response


BODY_LIMITS = web.AppKey("body_limits", dict[str, int])
DEFAULT_BODY_LIMIT = 64 * 1024
#: Answers a body over ``max_bytes`` in the channel's own format (a FHIR OperationOutcome).
TooLargeResponder = Callable[[web.Request, int], web.StreamResponse]
TOO_LARGE_RESPONDERS = web.AppKey("too_large_responders", dict[str, TooLargeResponder])
SORTED_LIMITS = web.AppKey("sorted_body_limits", list[tuple[str, int]])


def limit_body(
    app: web.Application,
    path_prefix: str,
    max_bytes: int,
    too_large: TooLargeResponder | None = None,
) -> None:
    """Let requests under ``path_prefix`` carry bodies of up to ``max_bytes``.

    ``too_large`` answers a larger one; by default a problem document.
    """
    app[BODY_LIMITS][path_prefix] = max_bytes
    if too_large is not None:
        app[TOO_LARGE_RESPONDERS][path_prefix] = too_large


def too_large(request: web.Request) -> web.StreamResponse | None:
    """Set the route's body limit; the refusal of a declared body larger than it, if any."""
    prefix, allowed = next(
        (
            (prefix, n)
            for prefix, n in request.app[SORTED_LIMITS]
            if request.path.startswith(prefix)
        ),
        ("", DEFAULT_BODY_LIMIT),
    )
    request._client_max_size = allowed  # aiohttp reads its own limit from here
    if (request.content_length or 0) <= allowed:
        return None
    responder = request.app[TOO_LARGE_RESPONDERS].get(prefix)
    if responder is not None:
        return responder(request, allowed)
    body = {
        "type": "/problems/payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": f"The body may hold at most {allowed} bytes.",
    }
    return web.json_response(body, status=413, content_type="application/problem+json")


async def sort_limits(app: web.Application) -> None:
    """Longest prefix first, once, when every channel has declared its limits."""
    app[SORTED_LIMITS] = sorted(app[BODY_LIMITS].items(), key=lambda kv: -len(kv[0]))


def prepare(app: web.Application) -> None:
    """Give ``app`` the tables the edge reads (before any channel declares a limit)."""
    app[BODY_LIMITS] = {}
    app[SORTED_LIMITS] = []
    app[TOO_LARGE_RESPONDERS] = {}
    app.on_startup.append(sort_limits)
