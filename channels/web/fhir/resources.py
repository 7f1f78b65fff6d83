"""The resources the endpoint answers with: CoverageEligibilityResponse and OperationOutcome.

A response is the provider's view of a logged answer (``Disclosure``): the status on the
date or period, why, and the tracking code as its id; never a date of the member's. Echoed
parts of the request were checked when it was read (``reading``), so every string in a
response is valid FHIR.
"""

from __future__ import annotations

from typing import Any

from eligibility_gw.channels.web.fhir import codes
from eligibility_gw.channels.web.fhir.reading import Echo, FhirInquiry
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import ServiceSetting, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.presenting import PresentedAnswer, present
from eligibility_gw.wording import Wording

RESPONSE = "CoverageEligibilityResponse"


def operation_outcome(
    code: str, text: str, where: tuple[str, ...] = (), severity: str = "error"
) -> dict[str, Any]:
    """An OperationOutcome of one issue."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": text}
    if where:
        issue["expression"] = list(where)
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def coverage_response(
    shown: Disclosure,
    pack: RulePack,
    w: Wording,
    base: str,
    asked: FhirInquiry | None = None,
) -> dict[str, Any]:
    """The CoverageEligibilityResponse for a logged answer.

    ``asked`` (the request, when answering it) adds what it echoes: the patient's identifier,
    the request's id and identifier, the category as sent. A read has only the log: the
    patient by masked name, the category by the X12 code of the setting answered.
    """
    worded = present(shown, w, pack)
    body: dict[str, Any] = {
        "resourceType": RESPONSE,
        "id": shown.tracking_code.digits,
        "meta": {"versionId": "1", "lastUpdated": _instant(shown)},
        "identifier": [{"system": codes.TRACKING_SYSTEM, "value": worded.tracking_code}],
        "status": "active",
        "purpose": ["validation"],
        "patient": _patient(asked.echo if asked else None, shown.member_name),
        **_served(shown.service_date.isoformat(), _until(shown), asked),
        "created": _instant(shown),
        "request": _request(
            asked.echo if asked else None, f"the request answered as {worded.tracking_code}"
        ),
        "outcome": "complete",
    }
    reasons = " ".join(r.message for r in worded.reasons)  # sentences, each with its stop
    body["disposition"] = worded.status_text + (f": {reasons}" if reasons else "")
    body["insurer"] = {"display": pack.title or pack.name}
    insurance: dict[str, Any] = {
        "coverage": {"display": f"{pack.title or pack.name} ({worded.rule_pack})"},
    }
    if worded.status is not Status.UNDETERMINED:
        insurance["inforce"] = worded.status is Status.ELIGIBLE
    extensions = _member_extensions(worded, pack, base)
    if extensions:
        insurance["extension"] = extensions
    category = asked.category if asked else _category_of(shown.setting, base)
    insurance["item"] = [_item(category, shown.setting, base)]
    body["insurance"] = [insurance]
    if worded.reasons:
        body["error"] = [{"code": _coding(r.code, r.message)} for r in worded.reasons]
    return body


def refusal_response(
    exc: EligibilityError, pack: RulePack, w: Wording, asked: FhirInquiry, created: str
) -> dict[str, Any]:
    """A response with ``outcome: error`` for an inquiry refused before any lookup (nothing
    logged, so no id): the reason coded, with its X12 AAA code."""
    text = w.error(exc)
    served = asked.served.isoformat() if asked.served else None
    until = asked.until.isoformat() if asked.until else None
    body: dict[str, Any] = {
        "resourceType": RESPONSE,
        "status": "active",
        "purpose": ["validation"],
        "patient": _patient(asked.echo, None),
        **(_served(served, until, asked) if served else {}),
        "created": created,
        "request": _request(asked.echo, "the request as posted"),
        "outcome": "error",
        "disposition": text,
        "insurer": {"display": pack.title or pack.name},
        "error": [{"code": _coding(exc.code, text)}],
    }
    return body


def _instant(shown: Disclosure) -> str:
    return shown.asked_at.isoformat(timespec="seconds")


def _until(shown: Disclosure) -> str | None:
    return shown.service_until.isoformat() if shown.service_until else None


def _served(first: str, last: str | None, asked: FhirInquiry | None) -> dict[str, Any]:
    if last is not None or (asked is not None and asked.period):
        return {"servicedPeriod": {"start": first, "end": last or first}}
    return {"servicedDate": first}


def _patient(echo: Echo | None, masked: str | None) -> dict[str, Any]:
    patient: dict[str, Any] = {}
    if echo is not None:
        patient["identifier"] = dict(echo.patient_identifier)
    patient["display"] = masked or "the patient of the request"
    return patient


def _request(echo: Echo | None, display: str) -> dict[str, Any]:
    """The request answered: not a reference to resolve (requests are not kept), but its
    business identifier, and its id in words."""
    request: dict[str, Any] = {"type": "CoverageEligibilityRequest"}
    if echo is not None and echo.request_identifier is not None:
        request["identifier"] = dict(echo.request_identifier)
    if echo is not None and echo.request_id is not None:
        display = f"CoverageEligibilityRequest/{echo.request_id} as posted"
    request["display"] = display
    return request


def _member_extensions(worded: PresentedAnswer, pack: RulePack, base: str) -> list[dict[str, Any]]:
    """The member's insured category and the privileges that hold on the date."""
    found: list[dict[str, Any]] = []
    if worded.category is not None:
        coding = {"system": codes.category_system(pack.name), "code": worded.category}
        if worded.category_name:
            coding["display"] = worded.category_name
        found.append({"url": codes.extension_url(base, codes.CATEGORY_ID), "valueCoding": coding})
    for p in worded.privileges:
        concept: dict[str, Any] = {
            "coding": [{"system": codes.PRIVILEGE_SYSTEM, "code": p.kind, "display": p.name}]
        }
        if p.instruction:
            concept["text"] = p.instruction
        found.append(
            {"url": codes.extension_url(base, codes.PRIVILEGE_ID), "valueCodeableConcept": concept}
        )
    return found


def _category_of(setting: ServiceSetting, base: str) -> dict[str, Any]:
    code = codes.X12_OF_SETTING.get(setting)
    if code is None:  # no X12 code for it (sanatorium): the gateway's own
        own = codes.SETTING_CODES[setting.value]
        system = codes.setting_code_system(base)
        return {"coding": [{"system": system, "code": setting.value, "display": own.display}]}
    display = codes.X12_SERVICE_TYPES[code].display
    return {"coding": [{"system": codes.X12_SERVICE_TYPE, "code": code, "display": display}]}


def _item(category: dict[str, Any], setting: ServiceSetting, base: str) -> dict[str, Any]:
    """The item answered: the category asked about, and the setting it was answered as."""
    return {
        "extension": [{"url": codes.setting_extension_url(base), "valueCode": setting.value}],
        "category": category,
    }


def _coding(code: str, text: str) -> dict[str, Any]:
    codings = [{"system": codes.REASON_SYSTEM, "code": code, "display": text}]
    if code in codes.X12_AAA:
        x12, display = codes.X12_AAA[code]
        codings.append({"system": codes.X12_AAA_SYSTEM, "code": x12, "display": display})
    return {"coding": codings, "text": text}
