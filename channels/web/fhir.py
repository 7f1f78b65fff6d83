"""FHIR R4 ``CoverageEligibilityRequest`` in, ``CoverageEligibilityResponse`` out.

Business refusals (a national id failing its check digit, a date out of range) come back as
a response with ``outcome: error`` and coded ``error[]``; a body that is not a usable
request at all gets an ``OperationOutcome``. Reason codes carry an X12 AAA code beside
ours where one exists, so payer-side software can map them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import structlog
from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES
from eligibility_gw.channels.web.api import ask_for, wording_for
from eligibility_gw.channels.web.auth import active_provider
from eligibility_gw.channels.web.inputs import LONE_SURROGATE, InquiryItem, holds_lone_surrogate
from eligibility_gw.channels.web.problems import UNAVAILABLE_RETRY_SECONDS, Handler, Problem
from eligibility_gw.domain.errors import EligibilityError, QuotaExceeded, Refused
from eligibility_gw.domain.model import Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.presenting import present
from eligibility_gw.wording import Wording

FHIR_JSON = "application/fhir+json"
REASON_SYSTEM = "urn:eligibility-gw:reason"
TRACKING_SYSTEM = "urn:eligibility-gw:tracking-code"
X12_AAA_SYSTEM = "https://x12.org/codes/reject-reason-codes"
X12_AAA = {
    "NOT_FOUND": ("75", "Subscriber/Insured Not Found"),
    "INVALID_NATIONAL_ID": ("72", "Invalid/Missing Member ID"),
    "NATIONAL_ID_CHECK_DIGIT": ("72", "Invalid/Missing Member ID"),
    "DATE_OUT_OF_RANGE": ("62", "Date of Service Not Within Allowable Inquiry Period"),
    "INVALID_DATE": ("62", "Date of Service Not Within Allowable Inquiry Period"),
    "REGISTRY_UNAVAILABLE": ("42", "Unable to Respond at Current Time"),
    "STUDENT_REGISTRY_UNAVAILABLE": ("42", "Unable to Respond at Current Time"),
    "CIVIL_REGISTRY_UNAVAILABLE": ("42", "Unable to Respond at Current Time"),
}
log = structlog.get_logger(__name__)


@web.middleware
async def fhir_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer aiohttp's HTTP errors and any failure as an OperationOutcome; never a 500."""
    try:
        return await handler(request)
    except StoreUnavailable as exc:
        log.warning("store_unavailable", problem=exc.problem)
        return unavailable(wording_for(request))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        resp = operation_outcome(
            exc.status, _ISSUE_OF_STATUS.get(exc.status, "processing"), exc.reason
        )
        if "Allow" in exc.headers:
            resp.headers["Allow"] = exc.headers["Allow"]
        return resp
    except Exception:
        # A bug or a failing dependency: the caller gets a retryable answer, the log the cause.
        log.exception("unhandled_error")
        resp = operation_outcome(
            503, "transient", "The gateway could not answer; try again shortly."
        )
        resp.headers["Retry-After"] = "5"
        return resp


def too_large(_request: web.Request, max_bytes: int) -> web.Response:
    """The OperationOutcome for a body over the limit (refused before it is read)."""
    return operation_outcome(413, "too-costly", f"The body may hold at most {max_bytes} bytes.")


async def busy(_request: web.Request, retry_after: int) -> web.StreamResponse:
    """The OperationOutcome for a request shed at capacity."""
    resp = operation_outcome(503, "transient", "The gateway is at capacity; retry shortly.")
    resp.headers["Retry-After"] = str(retry_after)
    return resp


def unavailable(w: Wording) -> web.Response:
    """The OperationOutcome for a store that cannot answer now (``transient``, 503)."""
    seconds = UNAVAILABLE_RETRY_SECONDS
    resp = operation_outcome(
        503, "transient", w.t("web.unavailable", seconds=w.digits(str(seconds)))
    )
    resp.headers["Retry-After"] = str(seconds)
    return resp


_ISSUE_OF_STATUS = {404: "not-found", 405: "not-supported", 413: "too-costly", 415: "not-supported"}


def operation_outcome(status: int, code: str, text: str) -> web.Response:
    """A FHIR OperationOutcome for a request that cannot be processed at all."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": text}],
    }
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type=FHIR_JSON
    )


def _identifier_value(patient: Any, contained: list[Any]) -> str | None:
    if not isinstance(patient, dict):
        return None
    ident = patient.get("identifier")
    if isinstance(ident, dict) and isinstance(ident.get("value"), str):
        return str(ident["value"])
    ref = patient.get("reference")
    if isinstance(ref, str) and ref.startswith("#"):
        for res in contained:
            if (
                isinstance(res, dict)
                and res.get("resourceType") == "Patient"
                and res.get("id") == ref[1:]
            ):
                for i in res.get("identifier") or []:
                    if isinstance(i, dict) and isinstance(i.get("value"), str):
                        return str(i["value"])
    return None


class _Refused(Exception):
    def __init__(self, status: int, code: str, text: str) -> None:
        super().__init__(text)
        self.status, self.code, self.text = status, code, text


def read_request(data: Any) -> tuple[InquiryItem, dict[str, Any]]:
    """The inquiry inside a CoverageEligibilityRequest, and the parts echoed back."""
    if not isinstance(data, dict) or data.get("resourceType") != "CoverageEligibilityRequest":
        raise _Refused(400, "structure", "The body must be a CoverageEligibilityRequest.")
    purpose = data.get("purpose")
    if not isinstance(purpose, list) or "validation" not in purpose:
        raise _Refused(
            422,
            "not-supported",
            "Only purpose 'validation' (is the patient covered?) is supported.",
        )
    contained = data.get("contained") if isinstance(data.get("contained"), list) else []
    nid = _identifier_value(data.get("patient"), contained or [])
    if nid is None:
        raise _Refused(
            422,
            "required",
            "patient must carry the national id as patient.identifier.value "
            "(or reference a contained Patient with an identifier).",
        )
    day: date | None = None
    served = data.get("servicedDate")
    if served is not None:
        if not isinstance(served, str) or len(served) != 10:
            raise _Refused(422, "value", "servicedDate must be a date YYYY-MM-DD.")
        try:
            day = date.fromisoformat(served)
        except ValueError:
            raise _Refused(422, "value", "servicedDate must be a date YYYY-MM-DD.") from None
    setting = "outpatient"
    if isinstance(data.get("extension"), list):
        for ext in data["extension"]:
            if (
                isinstance(ext, dict)
                and str(ext.get("url", "")).endswith("/service-setting")
                and ext.get("valueCode") in ("outpatient", "inpatient")
            ):
                setting = str(ext["valueCode"])
    echo = {
        "patient": data.get("patient"),
        "id": data.get("id"),
        "identifier": data.get("identifier"),
    }
    return InquiryItem(nid, day, setting), echo


def _coding(code: str, text: str) -> dict[str, Any]:
    codings = [{"system": REASON_SYSTEM, "code": code, "display": text}]
    if code in X12_AAA:
        x12, display = X12_AAA[code]
        codings.append({"system": X12_AAA_SYSTEM, "code": x12, "display": display})
    return {"coding": codings, "text": text}


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_FHIR_URI = re.compile(r"\S+")
_FHIR_STRING = re.compile(r"[ \r\n\t\S]+")


def _patient_ref(patient: Any) -> dict[str, Any]:
    """The request's patient identifier, echoed only in parts that are valid FHIR."""
    ident = patient.get("identifier") if isinstance(patient, dict) else None
    value = ident.get("value") if isinstance(ident, dict) else None
    if not isinstance(value, str) or not value.strip() or not _FHIR_STRING.fullmatch(value):
        return {"display": "patient of the request"}
    echoed = {"value": value}
    system = ident.get("system") if isinstance(ident, dict) else None
    if isinstance(system, str) and _FHIR_URI.fullmatch(system):
        echoed["system"] = system
    return {"identifier": echoed}


def _envelope(pack: RulePack, echo: dict[str, Any], served: date | None) -> dict[str, Any]:
    request_ref: dict[str, Any]
    request_id = echo.get("id")
    if isinstance(request_id, str) and _FHIR_ID.fullmatch(request_id):
        request_ref = {"reference": f"CoverageEligibilityRequest/{request_id}"}
    else:
        request_ref = {"display": "CoverageEligibilityRequest as posted"}
    body: dict[str, Any] = {
        "resourceType": "CoverageEligibilityResponse",
        "status": "active",
        "purpose": ["validation"],
        "patient": _patient_ref(echo.get("patient")),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "request": request_ref,
        "insurer": {"display": pack.title or pack.name},
    }
    if served:
        body["servicedDate"] = served.isoformat()
    return body


def response_for(
    shown: Disclosure, pack: RulePack, w: Wording, echo: dict[str, Any]
) -> dict[str, Any]:
    """The CoverageEligibilityResponse for a logged answer (provider view: no member date)."""
    worded = present(shown, w, pack)
    body = _envelope(pack, echo, shown.service_date)
    body["id"] = shown.tracking_code.digits
    body["identifier"] = [{"system": TRACKING_SYSTEM, "value": worded.tracking_code}]
    body["outcome"] = "complete"
    reasons = "; ".join(r.message for r in worded.reasons)
    body["disposition"] = f"{worded.status_text}" + (f": {reasons}" if reasons else "")
    insurance: dict[str, Any] = {
        "coverage": {"display": f"{pack.title or pack.name} ({worded.rule_pack})"},
    }
    if worded.status is not Status.UNDETERMINED:
        insurance["inforce"] = worded.status is Status.ELIGIBLE
    body["insurance"] = [insurance]
    if worded.reasons:
        body["error"] = [{"code": _coding(r.code, r.message)} for r in worded.reasons]
    return body


def refusal_for(
    exc: EligibilityError, pack: RulePack, w: Wording, echo: dict[str, Any]
) -> dict[str, Any]:
    """A response with ``outcome: error`` for an inquiry refused before lookup."""
    body = _envelope(pack, echo, None)
    body["outcome"] = "error"
    text = w.error(exc)
    body["disposition"] = text
    body["error"] = [{"code": _coding(exc.code, text)}]
    return body


def policy_refusal(exc: Refused, w: Wording) -> web.Response:
    """The OperationOutcome for an inquiry the policy refuses (a quota, a deactivation)."""
    if isinstance(exc, QuotaExceeded):
        resp = operation_outcome(429, "throttled", w.error(exc))
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    return operation_outcome(403, "forbidden", w.error(exc))  # deactivated since its key


async def post_request(request: web.Request) -> web.Response:
    """Answer one CoverageEligibilityRequest."""
    try:
        provider = await active_provider(request)
    except Problem as problem:
        code = {401: "login", 403: "forbidden"}.get(problem.type.status, "processing")
        resp = operation_outcome(problem.type.status, code, problem.detail)
        resp.headers.update(problem.headers)
        return resp
    if request.content_type.lower() not in (FHIR_JSON, "application/json"):
        return operation_outcome(415, "not-supported", f"Send the body as {FHIR_JSON}.")
    raw = await request.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, a number too long, too deep
        return operation_outcome(400, "structure", "The body is not valid JSON.")
    if holds_lone_surrogate(raw, data):
        return operation_outcome(400, "structure", LONE_SURROGATE)
    inquiries = request.config_dict[INQUIRIES]
    w = wording_for(request)
    try:
        item, echo = read_request(data)
    except _Refused as refused:
        return operation_outcome(refused.status, refused.code, refused.text)
    try:
        shown = await ask_for(inquiries, provider, item, "fhir")
    except Refused as exc:
        return policy_refusal(exc, w)
    except EligibilityError as exc:
        body = refusal_for(exc, inquiries.pack, w, echo)
    else:
        body = response_for(shown, inquiries.pack, w, echo)
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        content_type=FHIR_JSON,
        headers={"Content-Language": w.language},
    )
