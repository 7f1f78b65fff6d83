"""Requests the gateway refuses, each with what comes back: a CoverageEligibilityResponse with
``outcome: error`` (the inquiry is refused before any lookup: nothing is logged), or an
OperationOutcome naming what it could not use. An indication of the setting the gateway does
not understand is refused (``not-supported``), never answered as if it were absent; an
invisible character in an identifier is refused, never echoed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from eligibility_gw.channels.web.fhir import X12_AAA_SYSTEM
from tests.channels.web.fhir.support import (
    FHIR_JSON,
    SUBMIT,
    TODAY,
    URL,
    codes_in,
    coverage_request,
    issue_codes,
    reason_codes,
    received,
)
from tests.channels.web.support import ACTIVE_ID, UNKNOWN_KEY, WebGateway, persona_table
from tests.channels.web.test_api import typo

IDS = {p.key: p.row.national_id for p in persona_table()}
ALI = IDS["rezaei"]
X12 = "https://x12.org/codes/service-type-codes"


def with_item(item: dict[str, Any], **options: Any) -> dict[str, Any]:
    """A valid request for Ali with one ``item``."""
    return {**coverage_request(ALI, **options), "item": [item]}


def category(*codings: tuple[str, str], text: str | None = None) -> dict[str, Any]:
    """An item whose category holds ``codings`` (system, code)."""
    concept: dict[str, Any] = {"coding": [{"system": s, "code": c} for s, c in codings]}
    if text is not None:
        concept["text"] = text
    return {"category": concept}


@dataclass(frozen=True, slots=True)
class Case:
    """A request and what must come back."""

    id: str
    body: Any
    status: int = 422
    key: str | None = "active"
    content_type: str = FHIR_JSON
    #: OperationOutcome: its issue code, and words its diagnostics must hold.
    issue: str | None = None
    says: tuple[str, ...] = ()
    #: A response refusing the inquiry: its reason codes and X12 AAA codes.
    codes: tuple[str, ...] = ()
    x12: tuple[str, ...] = ()
    route: str = URL
    headers: Mapping[str, str] = field(default_factory=dict)


CASES = [
    # Refusals of the inquiry: a response with outcome error, coded.
    Case(
        "bad-check-digit",
        coverage_request(typo(ALI)),
        200,
        codes=("NATIONAL_ID_CHECK_DIGIT",),
        x12=("72",),
    ),
    Case(
        "letters-in-id",
        coverage_request("10000000ab"),
        200,
        codes=("INVALID_NATIONAL_ID",),
        x12=("72",),
    ),
    Case(
        "date-out-of-range",
        coverage_request(ALI, served=TODAY - timedelta(days=500)),
        200,
        codes=("DATE_OUT_OF_RANGE",),
        x12=("62",),
    ),
    Case(
        "period-start-out-of-range",
        coverage_request(ALI, period=(TODAY - timedelta(days=500), TODAY)),
        200,
        codes=("DATE_OUT_OF_RANGE",),
        x12=("62",),
        route=SUBMIT,
    ),
    # An identifier with a character nobody sees: refused, never echoed.
    Case(
        "bom-in-identifier",
        coverage_request("\ufeff" + ALI, checked=False),
        issue="value",
        says=("U+FEFF", "byte-order mark", "position 1", "patient.identifier.value"),
    ),
    Case(
        "zero-width-space-in-contained-identifier",
        coverage_request(ALI[:5] + "\u200b" + ALI[5:], contained=True, checked=False),
        issue="value",
        says=("U+200B", "position 6", "contained[0].identifier[0].value"),
    ),
    Case(
        "vertical-tab-as-identifier",
        {**coverage_request(ALI), "patient": {"identifier": {"value": "\x0b", "system": "urn:x"}}},
        issue="value",
        says=("U+000B",),
    ),
    Case(
        "system-with-spaces",
        {**coverage_request(ALI), "patient": {"identifier": {"value": ALI, "system": "not a uri"}}},
        issue="value",
        says=("patient.identifier.system",),
    ),
    # The setting: what is not understood is refused, naming what was read.
    Case(
        "urn-setting-extension",
        coverage_request(
            ALI, extension=[{"url": "urn:acme:service-setting", "valueCode": "inpatient"}]
        ),
        issue="not-supported",
        says=("urn:acme:service-setting", "not answered as if it were absent", "item.category"),
    ),
    Case(
        "old-example-setting-extension",
        coverage_request(
            ALI,
            extension=[
                {
                    "url": "https://eligibility-gw.example/fhir/StructureDefinition/service-setting",
                    "valueCode": "inpatient",
                }
            ],
        ),
        issue="not-supported",
        says=("eligibility-gw.example",),
    ),
    Case(
        "our-extension-with-an-unknown-code",
        coverage_request(ALI, setting="inpatient", by="extension")
        | {
            "extension": [
                {
                    "url": "https://gw.example.org/fhir/r4/StructureDefinition/service-setting",
                    "valueCode": "day-care",
                }
            ]
        },
        issue="not-supported",
        says=("day-care",),
    ),
    Case(
        "x12-code-not-mapped",
        with_item(category((X12, "86"))),
        issue="not-supported",
        says=("'86'", "X12 service type code"),
    ),
    Case(
        "unknown-system",
        with_item(category(("urn:acme:settings", "IP"))),
        issue="not-supported",
        says=("urn:acme:settings", "'IP'"),
    ),
    Case(
        "known-beside-an-unmapped-code",
        with_item(category((X12, "48"), (X12, "86"))),
        issue="not-supported",
        says=("'86'",),
    ),
    Case(
        "category-in-words-only",
        with_item(category(text="hospital stay")),
        issue="not-supported",
        says=("hospital stay",),
    ),
    Case(
        "two-settings",
        {
            **coverage_request(ALI, setting="outpatient"),
            "item": [category((X12, "50")), category((X12, "48"))],
        },
        issue="not-supported",
        says=("more than one setting", "Hospital - Outpatient", "Hospital - Inpatient"),
    ),
    Case(
        "category-and-extension-disagree",
        {
            **coverage_request(ALI, setting="inpatient", by="extension"),
            "item": [category((X12, "50"))],
        },
        issue="not-supported",
        says=("more than one setting",),
    ),
    Case(
        "a-product",
        with_item({**category((X12, "88")), "productOrService": {"text": "insulin"}}),
        issue="not-supported",
        says=("item[0].productOrService",),
    ),
    Case(
        "modifier-extension",
        coverage_request(ALI, modifierExtension=[{"url": "urn:acme:urgent", "valueBoolean": True}]),
        issue="not-supported",
        says=("urn:acme:urgent",),
    ),
    Case(
        "implicit-rules",
        coverage_request(ALI, implicitRules="urn:acme:rules"),
        issue="not-supported",
    ),
    # When: one serviced[x], full dates, a period with both ends in order.
    Case(
        "both-serviced",
        coverage_request(ALI, served=TODAY, period=(TODAY, TODAY), checked=False),
        400,
        issue="structure",
        says=("not both",),
    ),
    Case(
        "period-backwards",
        coverage_request(ALI, period=(TODAY, TODAY - timedelta(days=1)), checked=False),
        issue="value",
        says=("before it starts",),
    ),
    Case(
        "period-without-end",
        {**coverage_request(ALI), "servicedPeriod": {"start": TODAY.isoformat()}},
        issue="required",
        says=("servicedPeriod.end",),
    ),
    Case(
        "period-of-months",
        {**coverage_request(ALI), "servicedPeriod": {"start": "2026-11", "end": "2026-12"}},
        issue="value",
        says=("servicedPeriod.start",),
    ),
    Case(
        "service-date-garbage",
        {**coverage_request(ALI), "servicedDate": "tomorrow"},
        issue="value",
    ),
    Case(
        "service-date-impossible",
        {**coverage_request(ALI), "servicedDate": "2026-02-30"},
        issue="value",
    ),
    # Not a usable request at all.
    Case("benefits-only", coverage_request(ALI, purpose=("benefits",)), issue="not-supported"),
    Case("no-patient-id", coverage_request(None), issue="required"),
    Case("other-resource", {"resourceType": "Patient", "id": "x"}, 400, issue="structure"),
    Case("json-array", [], 400, issue="structure"),
    Case("not-json", "{", 400, issue="structure", says=("not valid JSON",)),
    Case(
        "lone-surrogate",
        '{"resourceType": "CoverageEligibilityRequest", "purpose": ["validation"],'
        ' "patient": {"identifier": {"value": "\\ud800"}}}',
        400,
        issue="structure",
    ),
    Case(
        "submit-parameters-without-resource",
        {"resourceType": "Parameters", "parameter": [{"name": "request", "valueString": "x"}]},
        400,
        issue="structure",
        says=("'resource'",),
        route=SUBMIT,
    ),
    Case(
        "xml-body",
        "<CoverageEligibilityRequest/>",
        415,
        content_type="application/fhir+xml",
        issue="not-supported",
    ),
    Case(
        "too-large",
        {**coverage_request(ALI), "text": {"status": "generated", "div": "x" * 5000}},
        413,
        issue="too-costly",
    ),
    Case("no-key", coverage_request(ALI), 401, key=None, issue="login"),
    Case("unknown-key", coverage_request(ALI), 401, key="unknown", issue="login"),
    Case("deactivated", coverage_request(ALI), 403, key="inactive", issue="forbidden"),
]


def key_header(gw: WebGateway, name: str | None) -> dict[str, str]:
    """The Authorization header of a named key."""
    keys = {"active": gw.active_key, "inactive": gw.inactive_key, "unknown": UNKNOWN_KEY}
    return {} if name is None else gw.auth(keys[name])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_refused(gw: WebGateway, case: Case) -> None:
    data = case.body if isinstance(case.body, str) else json.dumps(case.body)
    response = await gw.client.post(
        case.route,
        data=data.encode(),
        headers={
            **key_header(gw, case.key),
            "Content-Type": case.content_type,
            "Accept-Language": "en",
            **case.headers,
        },
    )
    resource = await received(response, case.status)
    text = json.dumps(resource, ensure_ascii=False)
    assert "\ufeff" not in text and "\u200b" not in text and "\x0b" not in text
    if case.issue is not None:
        assert issue_codes(resource) == [case.issue]
        [issue] = resource["issue"]
        assert issue["severity"] == "error" and issue["diagnostics"]
        for words in case.says:
            assert words in issue["diagnostics"] + " ".join(issue.get("expression", [])), issue
    else:
        assert resource["resourceType"] == "CoverageEligibilityResponse"
        assert resource["outcome"] == "error" and resource["disposition"]
        assert reason_codes(resource) == list(case.codes)
        assert codes_in(resource, X12_AAA_SYSTEM) == list(case.x12)
        assert "id" not in resource and "insurance" not in resource
    assert await gw.store.answers.by_asker("provider", ACTIVE_ID) == []


async def test_wrong_method_is_an_operation_outcome(gw: WebGateway) -> None:
    response = await gw.client.get(URL, headers=gw.auth(gw.active_key))
    outcome = await received(response, 405, "OperationOutcome")
    assert issue_codes(outcome) == ["not-supported"]
    assert "POST" in response.headers["Allow"]


async def test_an_unknown_resource_type_is_not_found(gw: WebGateway) -> None:
    response = await gw.client.get("/fhir/r4/Patient/1", headers=gw.auth(gw.active_key))
    assert issue_codes(await received(response, 404)) == ["not-found"]


async def test_chunked_body_over_the_limit(gw: WebGateway) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000
        yield json.dumps(coverage_request(ALI)).encode()

    response = await gw.client.post(
        URL, data=chunks(), headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON}
    )
    assert issue_codes(await received(response, 413)) == ["too-costly"]


async def test_a_request_with_invalid_strings_around_it_echoes_none_of_them(
    gw: WebGateway,
) -> None:
    # An id and a business identifier that are not valid FHIR are left out of the answer;
    # the answer itself is given (they do not change the question).
    body = {
        **coverage_request(ALI),
        "id": "not an id!",
        "identifier": [{"system": "urn:x", "value": "ref\ufeff1"}, {"value": "ok-2"}],
    }
    response = await gw.client.post(
        URL, json=body, headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON}
    )
    data = await received(response, 200, "CoverageEligibilityResponse")
    assert data["outcome"] == "complete"
    assert data["request"]["type"] == "CoverageEligibilityRequest"
    assert data["request"]["identifier"] == {"value": "ok-2"}
    assert "not an id" not in json.dumps(data)
