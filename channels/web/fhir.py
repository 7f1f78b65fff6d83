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

from eligibility_gw.appkeys import CORE
from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.web.auth import (
    active_provider,
    national_id_decision,
    national_id_refusal,
    within_rate,
)
from eligibility_gw.channels.web.inputs import LONE_SURROGATE, InquiryItem, holds_lone_surrogate
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.problems import Handler, Problem
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import Status
from eligibility_gw.presenting import Audience, present
from eligibility_gw.service import Asker
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
FHIR_WEB_SETTINGS = web.AppKey("fhir_web_settings", WebSettings)
log = structlog.get_logger(__name__)


@web.middleware
async def fhir_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer aiohttp's HTTP errors and any failure as an OperationOutcome; never a 500."""
    try:
        return await handler(request)
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


def _envelope(core: Core, echo: dict[str, Any], served: date | None) -> dict[str, Any]:
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
        "insurer": {"display": core.pack.title or core.pack.name},
    }
    if served:
        body["servicedDate"] = served.isoformat()
    return body


def response_for(
    record: AnswerRecord, core: Core, w: Wording, echo: dict[str, Any]
) -> dict[str, Any]:
    """The CoverageEligibilityResponse for a logged answer (provider view: no end date)."""
    shown = present(record, w, core.pack, Audience.PROVIDER)
    body = _envelope(core, echo, record.draft.service_date)
    body["id"] = record.tracking_code.digits
    body["identifier"] = [{"system": TRACKING_SYSTEM, "value": shown.tracking_code}]
    body["outcome"] = "complete"
    reasons = "; ".join(r.message for r in shown.reasons)
    body["disposition"] = f"{shown.status_text}" + (f": {reasons}" if reasons else "")
    insurance: dict[str, Any] = {
        "coverage": {"display": f"{core.pack.title or core.pack.name} ({shown.rule_pack})"},
    }
    if shown.status is not Status.UNDETERMINED:
        insurance["inforce"] = shown.status is Status.ELIGIBLE
    body["insurance"] = [insurance]
    if shown.reasons:
        body["error"] = [{"code": _coding(r.code, r.message)} for r in shown.reasons]
    return body


def refusal_for(
    exc: EligibilityError, core: Core, w: Wording, echo: dict[str, Any]
) -> dict[str, Any]:
    """A response with ``outcome: error`` for an inquiry refused before lookup."""
    body = _envelope(core, echo, None)
    body["outcome"] = "error"
    text = w.error(exc)
    body["disposition"] = text
    body["error"] = [{"code": _coding(exc.code, text)}]
    return body


async def post_request(request: web.Request) -> web.Response:
    """Answer one CoverageEligibilityRequest."""
    ws = request.app[FHIR_WEB_SETTINGS]
    try:
        provider = await active_provider(request)
        await within_rate(request, "web-provider", provider, ws.requests_per_minute, 60)
    except Problem as problem:
        code = {401: "login", 403: "forbidden", 429: "throttled"}.get(
            problem.type.status, "processing"
        )
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
    core = request.config_dict[CORE]
    w = Wording(language_of(request, core.settings))
    try:
        item, echo = read_request(data)
    except _Refused as refused:
        return operation_outcome(refused.status, refused.code, refused.text)
    decision = await national_id_decision(core, ws, item.national_id)
    if decision is not None and not decision.allowed:
        resp = operation_outcome(429, "throttled", national_id_refusal(w, decision))
        resp.headers["Retry-After"] = str(decision.retry_after)
        return resp
    try:
        answer = await core.service.ask(
            item.national_id,
            Asker("fhir", "provider", provider.provider_id),
            item.service_date,
            item.setting,
        )
    except EligibilityError as exc:
        body = refusal_for(exc, core, w, echo)
    else:
        body = response_for(answer.record, core, w, echo)
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        content_type=FHIR_JSON,
        headers={"Content-Language": w.language},
    )
