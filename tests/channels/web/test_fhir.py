"""FHIR R4 CoverageEligibilityRequest in, CoverageEligibilityResponse out.

Requests are built with the ``fhir.resources`` R4B models (the same structure as R4 for these
resources); every response is validated with them: a CoverageEligibilityResponse for an
answer or a refusal of the inquiry, an OperationOutcome for a request that cannot be used.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fhir.resources.R4B.coverageeligibilityrequest import CoverageEligibilityRequest
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

from eligibility_gw.channels.web.fhir import REASON_SYSTEM, TRACKING_SYSTEM, X12_AAA_SYSTEM
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.wording import Wording
from tests.channels.web.support import (
    ACTIVE_ID,
    UNKNOWN_KEY,
    WebGateway,
    member_dates,
    open_web,
    today,
    written_forms,
)
from tests.channels.web.test_api import IDS, PERSONAS, typo
from tests.conftest import MakeGateway
from tests.gateway import Client

URL = "/fhir/r4/CoverageEligibilityRequest"
FHIR_JSON = "application/fhir+json"
TODAY = today()
SETTING_URL = "https://eligibility-gw.example/fhir/StructureDefinition/service-setting"


@pytest.fixture
async def gw(make_gateway: MakeGateway) -> WebGateway:
    """A gateway with the demo personas and three providers."""
    return await open_web(make_gateway, {"max_body_bytes": 4096})


@pytest.fixture
def client(gw: WebGateway) -> Client:
    """An HTTP client of the gateway's app."""
    return gw.client


def fhir_request(
    national_id: str | None,
    *,
    served: str | None = None,
    purpose: tuple[str, ...] = ("validation",),
    setting: str | None = None,
    contained: bool = False,
    request_id: str | None = "req-1",
) -> dict[str, Any]:
    """A CoverageEligibilityRequest, built and checked by the R4B model, as JSON data."""
    data: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": list(purpose),
        "created": TODAY.isoformat(),
        "insurer": {"display": "Tamin Ejtemaei"},
        "patient": {"display": "a patient"},
    }
    if request_id:
        data["id"] = request_id
    if national_id is not None and contained:
        data["contained"] = [
            {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [{"system": "urn:oid:1.2.364.1", "value": national_id}],
            }
        ]
        data["patient"] = {"reference": "#p1"}
    elif national_id is not None:
        data["patient"] = {"identifier": {"system": "urn:oid:1.2.364.1", "value": national_id}}
    if served:
        data["servicedDate"] = served
    if setting:
        data["extension"] = [{"url": SETTING_URL, "valueCode": setting}]
    built = CoverageEligibilityRequest.model_validate(data)
    return dict(json.loads(built.model_dump_json()))


def key_header(gw: WebGateway, name: str | None) -> dict[str, str]:
    """The Authorization header of a named key."""
    keys = {"active": gw.active_key, "inactive": gw.inactive_key, "unknown": UNKNOWN_KEY}
    return {} if name is None else gw.auth(keys[name])


@dataclass(frozen=True, slots=True)
class FhirCase:
    """A request and what must come back."""

    id: str
    body: Any
    status: int = 200
    key: str | None = "active"
    content_type: str = FHIR_JSON
    #: Response: outcome, inforce (True, False or None for absent), reason codes, X12 codes.
    outcome: str | None = "complete"
    inforce: bool | None = None
    codes: tuple[str, ...] = ()
    x12: tuple[str, ...] = ()
    logged: bool = True
    #: OperationOutcome: the issue code.
    issue: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def _persona_cases() -> list[FhirCase]:
    cases = []
    for p in PERSONAS:
        inforce = {"eligible": True, "not_eligible": False}.get(p.expected_status)
        reasons = (p.expected_reason,) if p.expected_reason else ()
        cases.append(
            FhirCase(
                f"persona-{p.key}", fhir_request(p.row.national_id), inforce=inforce, codes=reasons
            )
        )
    return cases


CASES = [
    *_persona_cases(),
    FhirCase(
        "contained-patient",
        fhir_request(IDS["rezaei"], contained=True),
        inforce=True,
    ),
    FhirCase(
        "back-dated",
        fhir_request(IDS["rezaei"], served=(TODAY - timedelta(days=200)).isoformat()),
        inforce=True,
    ),
    FhirCase(
        "inpatient-overlap",
        fhir_request(IDS["karimi-mother"], setting="inpatient"),
        inforce=None,
        codes=("OVERLAP_WITH_OTHER_INSURER",),
    ),
    FhirCase(
        "several-purposes",
        fhir_request(IDS["rezaei"], purpose=("discovery", "validation")),
        inforce=True,
    ),
    FhirCase(
        "not-found",
        fhir_request("0499370899"),
        inforce=False,
        codes=("NOT_FOUND",),
        x12=("75",),
    ),
    FhirCase("no-request-id", fhir_request(IDS["rezaei"], request_id=None), inforce=True),
    # Refusals of the inquiry: a response with outcome error, coded, and nothing logged.
    FhirCase(
        "bad-check-digit",
        fhir_request(typo(IDS["rezaei"])),
        outcome="error",
        codes=("NATIONAL_ID_CHECK_DIGIT",),
        x12=("72",),
        logged=False,
    ),
    FhirCase(
        "letters-in-id",
        fhir_request("10000000ab"),
        outcome="error",
        codes=("INVALID_NATIONAL_ID",),
        x12=("72",),
        logged=False,
    ),
    FhirCase(
        "date-out-of-range",
        fhir_request(IDS["rezaei"], served=(TODAY - timedelta(days=500)).isoformat()),
        outcome="error",
        codes=("DATE_OUT_OF_RANGE",),
        x12=("62",),
        logged=False,
    ),
    FhirCase(
        "id-with-junk-around-it",
        {
            **fhir_request(IDS["rezaei"]),
            "patient": {"identifier": {"value": "\x0b", "system": "not a uri", "x": 1}},
        },
        outcome="error",
        codes=("INVALID_NATIONAL_ID",),
        logged=False,
    ),
    # Requests that cannot be used at all: an OperationOutcome.
    FhirCase(
        "benefits-only",
        fhir_request(IDS["rezaei"], purpose=("benefits",)),
        status=422,
        outcome=None,
        issue="not-supported",
    ),
    FhirCase("no-patient-id", fhir_request(None), status=422, outcome=None, issue="required"),
    FhirCase(
        "service-date-garbage",
        {**fhir_request(IDS["rezaei"]), "servicedDate": "tomorrow"},
        status=422,
        outcome=None,
        issue="value",
    ),
    FhirCase(
        "other-resource",
        {"resourceType": "Patient", "id": "x"},
        status=400,
        outcome=None,
        issue="structure",
    ),
    FhirCase("json-array", [], status=400, outcome=None, issue="structure"),
    FhirCase("not-json", "{", status=400, outcome=None, issue="structure"),
    FhirCase(
        "lone-surrogate",
        '{"resourceType": "CoverageEligibilityRequest", "purpose": ["validation"],'
        ' "patient": {"identifier": {"value": "\\ud800"}}}',
        status=400,
        outcome=None,
        issue="structure",
    ),
    FhirCase(
        "xml",
        "<CoverageEligibilityRequest/>",
        status=415,
        content_type="application/fhir+xml",
        outcome=None,
        issue="not-supported",
    ),
    FhirCase(
        "too-large",
        {**fhir_request(IDS["rezaei"]), "text": {"status": "generated", "div": "x" * 5000}},
        status=413,
        outcome=None,
        issue="too-costly",
    ),
    FhirCase("no-key", fhir_request(IDS["rezaei"]), 401, key=None, outcome=None, issue="login"),
    FhirCase(
        "unknown-key", fhir_request(IDS["rezaei"]), 401, key="unknown", outcome=None, issue="login"
    ),
    FhirCase(
        "deactivated",
        fhir_request(IDS["rezaei"]),
        403,
        key="inactive",
        outcome=None,
        issue="forbidden",
    ),
]


async def post(client: Client, gw: WebGateway, case: FhirCase) -> tuple[int, dict[str, Any], str]:
    """Send ``case``; return the status, the response headers and its text."""
    data = case.body if isinstance(case.body, str) else json.dumps(case.body)
    headers = {
        **key_header(gw, case.key),
        "Content-Type": case.content_type,
        "Accept-Language": "en",
        **case.headers,
    }
    response = await client.post(URL, data=data.encode(), headers=headers)
    assert response.content_type == FHIR_JSON
    return response.status, dict(response.headers), await response.text()


def codes_of(response: CoverageEligibilityResponse, system: str) -> list[str]:
    """The codes of every error[] in ``system``."""
    return [
        str(coding.code)
        for error in response.error or []
        for coding in error.code.coding or []
        if coding.system == system
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_fhir_case(client: Client, gw: WebGateway, case: FhirCase) -> None:
    status, _headers, text = await post(client, gw, case)
    assert status == case.status, text
    data = json.loads(text)
    if case.issue is not None:
        outcome = OperationOutcome.model_validate(data)
        assert [i.code for i in outcome.issue] == [case.issue]
        assert all(i.severity == "error" and i.diagnostics for i in outcome.issue)
        return
    response = CoverageEligibilityResponse.model_validate(data)
    assert response.outcome == case.outcome
    assert response.purpose == ["validation"]
    assert response.disposition
    assert codes_of(response, REASON_SYSTEM) == list(case.codes)
    assert codes_of(response, X12_AAA_SYSTEM)[: len(case.x12)] == list(case.x12)
    assert "cover_end" not in text
    if case.outcome == "complete":
        assert response.insurance is not None and len(response.insurance) == 1
        assert response.insurance[0].inforce is case.inforce
        assert "inforce" in text or case.inforce is None
        assert response.identifier is not None
        [ident] = response.identifier
        assert ident.system == TRACKING_SYSTEM
        record = await gw.store.answers.find(TrackingCode.parse(str(ident.value)))
        assert record is not None
        assert record.draft.channel == "fhir"
        assert record.draft.asker_id == ACTIVE_ID
        assert response.id == record.tracking_code.digits
        expected_day = record.draft.service_date.isoformat()
        assert str(response.servicedDate) == expected_day
        dates = set().union(*(member_dates(p) for p in PERSONAS))
        if record.draft.decision.cover_end is not None:
            dates.add(record.draft.decision.cover_end)
        # When the response was made, and for which day, are no secret.
        shown = json.dumps(
            {k: v for k, v in data.items() if k not in ("created", "servicedDate")},
            ensure_ascii=False,
        )
        for day in dates - {record.draft.service_date}:
            for written in written_forms(day):
                assert written not in shown, (day, shown)
    else:
        assert response.identifier is None
        assert response.insurance is None
    if not case.logged:
        assert await gw.store.answers.by_asker("provider", ACTIVE_ID) == []


async def test_disposition_in_the_accepted_language(client: Client, gw: WebGateway) -> None:
    body = json.dumps(fhir_request(IDS["rezaei-son-no-cert"])).encode()
    for lang in ("en", "fa"):
        response = await client.post(
            URL,
            data=body,
            headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON, "Accept-Language": lang},
        )
        parsed = CoverageEligibilityResponse.model_validate(await response.json(content_type=None))
        w = Wording(lang)
        assert response.headers["Content-Language"] == lang
        assert str(parsed.disposition).startswith(w.t("status.not_eligible"))
        assert w.t("reason.STUDENT_CERTIFICATE_REQUIRED") in str(parsed.disposition)


async def test_request_reference_echoed(client: Client, gw: WebGateway) -> None:
    _, _, text = await post(client, gw, FhirCase("echo", fhir_request(IDS["rezaei"])))
    response = CoverageEligibilityResponse.model_validate_json(text)
    assert response.request.reference == "CoverageEligibilityRequest/req-1"
    assert response.patient.identifier is not None
    assert response.patient.identifier.value == IDS["rezaei"]


async def test_wrong_method_is_an_operation_outcome(client: Client, gw: WebGateway) -> None:
    response = await client.get(URL, headers=gw.auth(gw.active_key))
    assert response.status == 405
    outcome = OperationOutcome.model_validate(await response.json(content_type=None))
    assert outcome.issue[0].code == "not-supported"


async def test_chunked_body_over_the_limit(client: Client, gw: WebGateway) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000
        yield json.dumps(fhir_request(IDS["rezaei"])).encode()

    response = await client.post(
        URL, data=chunks(), headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON}
    )
    assert response.status == 413
    OperationOutcome.model_validate(await response.json(content_type=None))
