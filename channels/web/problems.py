"""RFC 9457 problem details: every refusal of the API, with a stable ``type``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web

from eligibility_gw.appkeys import SETTINGS
from eligibility_gw.channels.web.negotiation import content_language, language_of
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)
PROBLEM_JSON = "application/problem+json"
#: Seconds a caller is asked to wait when a store cannot answer (it is usually brief).
UNAVAILABLE_RETRY_SECONDS = 5
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class ProblemType:
    """One kind of refusal: its slug (the stable part of ``type``), status and title."""

    slug: str
    status: int
    title: str
    explanation: str

    @property
    def uri(self) -> str:
        """The ``type`` URI, served by the gateway as a page explaining it."""
        return f"/problems/{self.slug}"


_TYPES = [
    ProblemType(
        "unauthorized",
        401,
        "Missing or unknown API key",
        "Send the provider API key as 'Authorization: Bearer <key>'.",
    ),
    ProblemType(
        "provider-deactivated",
        403,
        "Provider deactivated",
        "This provider is deactivated and may not ask about members. Resend the "
        "establishment's registration data to the insurer; once it is activated again, "
        "the same key works.",
    ),
    ProblemType("not-found", 404, "Not found", "Nothing here for this provider."),
    ProblemType(
        "method-not-allowed",
        405,
        "Method not allowed",
        "This address does not accept that HTTP method.",
    ),
    ProblemType(
        "not-acceptable", 406, "Not acceptable", "The requested representation is not offered."
    ),
    ProblemType(
        "payload-too-large",
        413,
        "Payload too large",
        "The request body or batch is larger than allowed.",
    ),
    ProblemType(
        "unsupported-media-type",
        415,
        "Unsupported media type",
        "Send the body with the content type the operation documents.",
    ),
    ProblemType(
        "malformed-body",
        400,
        "Malformed body",
        "The body could not be parsed in its declared content type.",
    ),
    ProblemType(
        "invalid-input",
        422,
        "Invalid input",
        "One or more fields are invalid; 'errors' names each field and why.",
    ),
    ProblemType(
        "refused",
        403,
        "Refused",
        "The inquiry policy does not let this provider have that answer.",
    ),
    ProblemType(
        "rate-limited",
        429,
        "Too many requests",
        "Too many answers: to this provider ('scope' asker), by this provider about one person "
        "(provider_national_id) or by every provider about one person (national_id); batches "
        "per hour (batches). Retry after 'Retry-After' seconds.",
    ),
    ProblemType(
        "unavailable",
        503,
        "Temporarily unavailable",
        "The gateway cannot answer right now; retry after 'Retry-After' seconds.",
    ),
]
PROBLEM_TYPES: Mapping[str, ProblemType] = {t.slug: t for t in _TYPES}
_BY_STATUS = {t.status: t for t in _TYPES if t.slug != "refused"}


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self, slug: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.type = PROBLEM_TYPES[slug]
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra


def unavailable(request: web.Request, exc: StoreUnavailable) -> Problem:
    """The 503 for a store that cannot answer now, in the caller's language (logged, no 500)."""
    log.warning("store_unavailable", problem=exc.problem)
    w = Wording(language_of(request, request.config_dict[SETTINGS]))
    seconds = UNAVAILABLE_RETRY_SECONDS
    return Problem(
        "unavailable",
        w.n("web.unavailable", seconds, seconds=w.digits(str(seconds))),
        {"Retry-After": str(seconds), "Content-Language": content_language(w.language)},
    )


def problem_response(problem: Problem, instance: str | None = None) -> web.Response:
    """The ``application/problem+json`` response for ``problem``."""
    body: dict[str, Any] = {
        "type": problem.type.uri,
        "title": problem.type.title,
        "status": problem.type.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(problem.extra)
    return web.Response(
        status=problem.type.status,
        text=json.dumps(body, ensure_ascii=False),
        content_type=PROBLEM_JSON,
        headers=problem.headers,
    )


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn ``Problem`` and aiohttp's HTTP errors into problem documents; never a 500."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(problem, request.path)
    except StoreUnavailable as exc:
        return problem_response(unavailable(request, exc), request.path)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = _BY_STATUS.get(exc.status)
        if kind is None:
            kind = (
                PROBLEM_TYPES["invalid-input"] if exc.status < 500 else PROBLEM_TYPES["unavailable"]
            )
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
        detail = (
            exc.text if exc.text and not exc.text.startswith(str(exc.status)) else kind.explanation
        )
        return problem_response(Problem(kind.slug, detail, headers), request.path)
    except Exception:
        # A bug or a failing dependency: the caller gets a retryable answer, the log the cause.
        log.exception("unhandled_error")
        return problem_response(
            Problem(
                "unavailable",
                "The gateway could not answer; try again shortly.",
                {"Retry-After": "5"},
            ),
            request.path,
        )


async def problem_page(request: web.Request) -> web.Response:
    """Explain one problem type in plain words (the ``type`` URI dereferences here)."""
    kind = PROBLEM_TYPES.get(request.match_info["slug"])
    if kind is None:
        raise web.HTTPNotFound
    return web.json_response(
        {
            "type": kind.uri,
            "title": kind.title,
            "status": kind.status,
            "explanation": kind.explanation,
        }
    )
