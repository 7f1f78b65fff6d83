"""The FHIR R4 routes: create and ``$submit`` a CoverageEligibilityRequest, read a response,
the CapabilityStatement and the gateway's own definitions.

Business refusals (a national id failing its check digit, a date out of the window) come
back as a response with ``outcome: error`` and coded ``error[]``; a request that cannot be
used at all gets an OperationOutcome, in JSON whatever was asked (406 included), never a 500.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import orjson
import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES
from eligibility_gw.channels.web.api import wording_for
from eligibility_gw.channels.web.auth import active_provider
from eligibility_gw.channels.web.fhir import conformance
from eligibility_gw.channels.web.fhir.negotiation import (
    FHIR_JSON,
    JSON_TYPES,
    NotAcceptable,
    Prefer,
    body_type_ok,
    preference,
    response_type,
)
from eligibility_gw.channels.web.fhir.reading import Unusable, read_request, unwrap_parameters
from eligibility_gw.channels.web.fhir.resources import (
    RESPONSE,
    coverage_response,
    operation_outcome,
    refusal_response,
)
from eligibility_gw.channels.web.inputs import LONE_SURROGATE, holds_lone_surrogate
from eligibility_gw.channels.web.negotiation import content_language
from eligibility_gw.channels.web.problems import UNAVAILABLE_RETRY_SECONDS, Handler, Problem
from eligibility_gw.domain.errors import EligibilityError, QuotaExceeded, Refused
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.wording import Wording

#: The FHIR base URL, ``[server] public_base_url`` + ``/fhir/r4``: canonical URLs live there.
FHIR_BASE = web.AppKey("fhir_base", str)
_ISSUE_OF_STATUS = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    415: "not-supported",
    429: "throttled",
}
log = structlog.get_logger(__name__)


def reply(
    request: web.Request,
    status: int,
    body: dict[str, Any] | None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A FHIR answer in the JSON type the client asked for (``application/fhir+json`` when
    it asked for none, or for one not produced: an OperationOutcome saying so)."""
    try:
        kind = response_type(request)
    except NotAcceptable:
        kind = FHIR_JSON
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type=kind,
        charset="utf-8",
        headers=headers,
    )


def outcome(
    request: web.Request, status: int, code: str, text: str, where: tuple[str, ...] = ()
) -> web.Response:
    """An OperationOutcome of one error issue."""
    return reply(request, status, operation_outcome(code, text, where))


@web.middleware
async def fhir_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Negotiate the format first (406 when none fits), then answer every failure as an
    OperationOutcome: aiohttp's HTTP errors, refusals of the request, a store that cannot
    answer; a bug gets a retryable 503, never a 500."""
    try:
        response_type(request)
    except NotAcceptable as exc:
        return outcome(request, 406, "not-supported", str(exc))
    try:
        return await handler(request)
    except Unusable as exc:
        return outcome(request, exc.status, exc.code, exc.text, exc.where)
    except Problem as problem:
        status = problem.type.status
        resp = outcome(request, status, _ISSUE_OF_STATUS.get(status, "processing"), problem.detail)
        resp.headers.update(problem.headers)
        return resp
    except StoreUnavailable as exc:
        log.warning("store_unavailable", problem=exc.problem)
        return unavailable(request, wording_for(request))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        resp = outcome(
            request, exc.status, _ISSUE_OF_STATUS.get(exc.status, "processing"), exc.reason
        )
        if "Allow" in exc.headers:
            resp.headers["Allow"] = exc.headers["Allow"]
        return resp
    except Exception:
        # A bug or a failing dependency: the caller gets a retryable answer, the log the cause.
        log.exception("unhandled_error")
        resp = outcome(
            request, 503, "transient", "The gateway could not answer; try again shortly."
        )
        resp.headers["Retry-After"] = "5"
        return resp


def too_large(request: web.Request, max_bytes: int) -> web.Response:
    """The OperationOutcome for a body over the limit (refused before it is read)."""
    return outcome(request, 413, "too-costly", f"The body may hold at most {max_bytes} bytes.")


async def busy(request: web.Request, retry_after: int) -> web.StreamResponse:
    """The OperationOutcome for a request shed at capacity."""
    resp = outcome(request, 503, "transient", "The gateway is at capacity; retry shortly.")
    resp.headers["Retry-After"] = str(retry_after)
    return resp


def unavailable(request: web.Request, w: Wording) -> web.Response:
    """The OperationOutcome for a store that cannot answer now (``transient``, 503)."""
    seconds = UNAVAILABLE_RETRY_SECONDS
    resp = outcome(
        request,
        503,
        "transient",
        w.n("web.unavailable", seconds, seconds=w.digits(str(seconds))),
    )
    resp.headers["Retry-After"] = str(seconds)
    resp.headers["Content-Language"] = content_language(w.language)
    return resp


def policy_refusal(request: web.Request, exc: Refused, w: Wording) -> web.Response:
    """The OperationOutcome for an inquiry the policy refuses (a quota, a deactivation)."""
    if isinstance(exc, QuotaExceeded):
        resp = outcome(request, 429, "throttled", w.error(exc))
        resp.headers["Retry-After"] = str(exc.retry_after)
    else:
        resp = outcome(request, 403, "forbidden", w.error(exc))  # deactivated since its key
    resp.headers["Content-Language"] = content_language(w.language)
    return resp


# -- asking -----------------------------------------------------------------------------------


async def create(request: web.Request) -> web.StreamResponse:
    """``POST [base]/CoverageEligibilityRequest``: answer it at once."""
    return await _answer(request, operation=False)


async def submit(request: web.Request) -> web.StreamResponse:
    """``POST [base]/CoverageEligibilityRequest/$submit``: the same answer as create."""
    return await _answer(request, operation=True)


async def _answer(request: web.Request, operation: bool) -> web.StreamResponse:
    provider = await active_provider(request)
    if not body_type_ok(request):
        return outcome(
            request,
            415,
            "not-supported",
            f"Send the body as FHIR R4 JSON ({', '.join(JSON_TYPES)}); XML is not read here.",
        )
    data = _json_body(await request.read())
    if operation:
        data = unwrap_parameters(data)
    base = request.app[FHIR_BASE]
    asked = read_request(data, base)
    inquiries = request.config_dict[INQUIRIES]
    w = wording_for(request)
    asker = Asker.for_provider("fhir", provider)
    shown: Disclosure | None = None
    try:
        shown = await inquiries.ask(
            asker, asked.national_id, asked.served, asked.setting, asked.until
        )
    except Refused as exc:
        return policy_refusal(request, exc, w)
    except EligibilityError as exc:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        body = refusal_response(exc, inquiries.pack, w, asked, created)
    else:
        body = coverage_response(shown, inquiries.pack, w, base, asked)
    return _preferred(request, body, shown, w)


def _json_body(raw: bytes) -> Any:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Unusable(400, "structure", "The body is not valid UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise Unusable(
            400,
            "structure",
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
        ) from None
    except (ValueError, RecursionError):  # a number too long to read, nesting too deep
        raise Unusable(400, "structure", "The body is not valid JSON.") from None
    if holds_lone_surrogate(raw, data):
        raise Unusable(400, "structure", LONE_SURROGATE)
    return data


def _preferred(
    request: web.Request, body: dict[str, Any], shown: Disclosure | None, w: Wording
) -> web.Response:
    """The answer as ``Prefer: return=`` asks: the response, an OperationOutcome, or none."""
    headers = {"Content-Language": content_language(w.language)}
    if shown is not None:
        headers.update(_version_headers(request, shown))
    wanted = preference(request)
    if wanted is Prefer.MINIMAL:
        return reply(request, 200, None, headers)
    if wanted is Prefer.OPERATION_OUTCOME:
        return reply(request, 200, _as_outcome(body), headers)
    return reply(request, 200, body, headers)


def _as_outcome(body: dict[str, Any]) -> dict[str, Any]:
    """What a response says, as an OperationOutcome (``Prefer: return=OperationOutcome``)."""
    if body.get("outcome") == "complete":
        issue = {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"{RESPONSE}/{body['id']}: {body['disposition']}",
        }
    else:
        issue = {
            "severity": "error",
            "code": "value",
            "details": body["error"][0]["code"],
            "diagnostics": body["disposition"],
        }
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def _version_headers(request: web.Request, shown: Disclosure) -> dict[str, str]:
    """Where the answer can be read again, and its (only) version."""
    return {
        "Location": f"{request.app[FHIR_BASE]}/{RESPONSE}/{shown.tracking_code.digits}",
        "ETag": 'W/"1"',
        "Last-Modified": format_datetime(shown.asked_at.astimezone(UTC), usegmt=True),
    }


# -- reading ----------------------------------------------------------------------------------


async def read(request: web.Request) -> web.StreamResponse:
    """``GET [base]/CoverageEligibilityResponse/[id]``: only to the provider that asked."""
    provider = await active_provider(request)
    inquiries = request.config_dict[INQUIRIES]
    w = wording_for(request)
    shown = await _recorded(request, provider, request.match_info["id"], w)
    if isinstance(shown, web.Response):
        return shown
    body = coverage_response(shown, inquiries.pack, w, request.app[FHIR_BASE])
    headers = {"Content-Language": content_language(w.language), **_version_headers(request, shown)}
    headers.pop("Location")
    return reply(request, 200, body, headers)


async def _recorded(
    request: web.Request, provider: Provider, ident: str, w: Wording
) -> Disclosure | web.Response:
    """The answer under ``ident``, or the 404 (the same whether it exists or not)."""
    missing = outcome(
        request,
        404,
        "not-found",
        f"No {RESPONSE} with this id was given to you: ids are the 12-digit tracking codes "
        "of your own answers.",
    )
    if len(ident) != 12 or not ident.isascii() or not ident.isdigit():
        return missing
    try:
        code = TrackingCode.parse(ident)
    except EligibilityError:
        return missing
    try:
        shown = await request.config_dict[INQUIRIES].recorded(
            Asker.for_provider("fhir", provider), code
        )
    except Refused as exc:
        return policy_refusal(request, exc, w)
    return missing if shown is None else shown


# -- what the server publishes ----------------------------------------------------------------


async def metadata(request: web.Request) -> web.StreamResponse:
    """``GET [base]/metadata``: the CapabilityStatement (no key needed)."""
    pack = request.config_dict[INQUIRIES].pack
    body = conformance.capability_statement(request.app[FHIR_BASE], pack.title or pack.name)
    return reply(request, 200, body)


async def definition(request: web.Request) -> web.StreamResponse:
    """``GET [base]/[type]/[id]`` of the gateway's own definitions (no key needed)."""
    kind = request.match_info["kind"]
    found = conformance.definition(request.app[FHIR_BASE], kind, request.match_info["id"])
    if found is None:
        return outcome(request, 404, "not-found", f"No {kind} with this id is published here.")
    return reply(request, 200, found)


__all__ = [
    "FHIR_BASE",
    "busy",
    "create",
    "definition",
    "fhir_errors",
    "metadata",
    "read",
    "submit",
    "too_large",
]
