"""Content negotiation as FHIR R4 says: ``_format`` and ``Accept`` (JSON under each of its four
names), XML answered 406 with an OperationOutcome in JSON, the body's content type, and
``Prefer: return=`` on create."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from tests.channels.web.fhir.support import (
    BASE,
    FHIR_JSON,
    SUBMIT,
    URL,
    coverage_request,
    issue_codes,
    received,
)
from tests.channels.web.support import WebGateway, persona_table

ALI = persona_table()[0].row.national_id


@dataclass(frozen=True, slots=True)
class Format:
    """What a client asks for, and what it gets: 200 in ``answered_as``, or 406."""

    id: str
    query: dict[str, str] = field(default_factory=dict)
    accept: str | None = None
    answered_as: str | None = FHIR_JSON


FORMATS = [
    Format("nothing-asked"),
    Format("_format=json", {"_format": "json"}),
    Format("_format=fhir+json", {"_format": "application/fhir+json"}),
    Format("_format=json-unescaped-plus", {"_format": "application/fhir json"}),
    Format(
        "_format=application/json", {"_format": "application/json"}, answered_as="application/json"
    ),
    Format(
        "_format=json+fhir",
        {"_format": "application/json+fhir"},
        answered_as="application/json+fhir",
    ),
    Format("_format=r4", {"_format": "application/fhir+json; fhirVersion=4.0"}),
    Format("accept-fhir+json", accept=FHIR_JSON),
    Format("accept-json", accept="application/json", answered_as="application/json"),
    Format("accept-json+fhir", accept="application/json+fhir", answered_as="application/json+fhir"),
    Format("accept-any", accept="*/*"),
    Format(
        "accept-xml-or-json",
        accept="application/fhir+xml, application/json;q=0.5",
        answered_as="application/json",
    ),
    Format("accept-r4", accept="application/fhir+json; fhirVersion=4.0"),
    Format("format-beats-accept", {"_format": "json"}, accept="application/fhir+xml"),
    # Not produced here: 406, an OperationOutcome in JSON.
    Format("_format=xml", {"_format": "xml"}, answered_as=None),
    Format("_format=fhir+xml", {"_format": "application/fhir+xml"}, answered_as=None),
    Format("_format=turtle", {"_format": "ttl"}, answered_as=None),
    Format("accept-fhir+xml", accept="application/fhir+xml", answered_as=None),
    Format("accept-xml", accept="application/xml", answered_as=None),
    Format("accept-stu3", accept="application/fhir+json; fhirVersion=3.0", answered_as=None),
    Format("accept-json-refused", accept="application/json;q=0", answered_as=None),
    Format("accept-format-beats", {"_format": "xml"}, accept=FHIR_JSON, answered_as=None),
]


@pytest.mark.parametrize("case", FORMATS, ids=[f.id for f in FORMATS])
@pytest.mark.parametrize("route", ["create", "$submit", "read", "metadata"])
async def test_formats(gw: WebGateway, route: str, case: Format) -> None:
    headers = {**gw.auth(gw.active_key), "Accept-Language": "en"}
    if case.accept is not None:
        headers["Accept"] = case.accept
    if route == "read":
        code = await _answered(gw)
        response = await gw.client.get(
            f"/fhir/r4/CoverageEligibilityResponse/{code}", params=case.query, headers=headers
        )
    elif route == "metadata":
        response = await gw.client.get("/fhir/r4/metadata", params=case.query, headers=headers)
    else:
        response = await gw.client.post(
            URL if route == "create" else SUBMIT,
            params=case.query,
            data=json.dumps(coverage_request(ALI)),
            headers={**headers, "Content-Type": FHIR_JSON},
        )
    if case.answered_as is None:
        outcome = await received(response, 406, "OperationOutcome")
        assert response.content_type == FHIR_JSON
        assert issue_codes(outcome) == ["not-supported"]
        assert "JSON only" in outcome["issue"][0]["diagnostics"]
        return
    resource = await received(response, 200)
    assert response.content_type == case.answered_as
    assert resource["resourceType"] in ("CoverageEligibilityResponse", "CapabilityStatement")


async def _answered(gw: WebGateway) -> str:
    response = await gw.client.post(
        URL,
        json=coverage_request(ALI),
        headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON},
    )
    return str((await received(response, 200))["id"])


@pytest.mark.parametrize(
    "content_type",
    [
        FHIR_JSON,
        "application/json",
        "application/json+fhir",
        "application/fhir+json; charset=utf-8",
    ],
)
async def test_every_json_body_type_is_read(gw: WebGateway, content_type: str) -> None:
    response = await gw.client.post(
        URL,
        data=json.dumps(coverage_request(ALI)).encode(),
        headers={**gw.auth(gw.active_key), "Content-Type": content_type},
    )
    answer = await received(response, 200, "CoverageEligibilityResponse")
    assert answer["insurance"][0]["inforce"] is True


@pytest.mark.parametrize(
    "content_type",
    [
        "application/fhir+xml",
        "application/xml",
        "text/plain",
        "application/fhir+json; fhirVersion=3.0",
    ],
)
async def test_other_body_types_are_refused_in_json(gw: WebGateway, content_type: str) -> None:
    response = await gw.client.post(
        URL,
        data=json.dumps(coverage_request(ALI)).encode(),
        headers={**gw.auth(gw.active_key), "Content-Type": content_type},
    )
    assert issue_codes(await received(response, 415)) == ["not-supported"]
    assert await gw.store.answers.by_asker("provider", "demo-pharmacy") == []


@pytest.mark.parametrize("route", [URL, SUBMIT])
@pytest.mark.parametrize(
    "prefer", [None, "return=representation", "return=minimal", "return=OperationOutcome"]
)
async def test_prefer_return(gw: WebGateway, route: str, prefer: str | None) -> None:
    headers = {**gw.auth(gw.active_key), "Content-Type": FHIR_JSON, "Accept-Language": "en"}
    if prefer is not None:
        headers["Prefer"] = prefer
    response = await gw.client.post(
        route, data=json.dumps(coverage_request(gw.nid("rezaei-son-no-cert"))), headers=headers
    )
    assert response.status == 200
    location = response.headers["Location"]
    assert location.startswith(f"{BASE}/CoverageEligibilityResponse/")
    code = location.rsplit("/", 1)[1]
    assert response.headers["ETag"] == 'W/"1"'
    if prefer == "return=minimal":
        assert await response.read() == b""
    elif prefer == "return=OperationOutcome":
        outcome = await received(response, 200, "OperationOutcome")
        [issue] = outcome["issue"]
        assert (issue["severity"], issue["code"]) == ("information", "informational")
        assert issue["diagnostics"].startswith(f"CoverageEligibilityResponse/{code}: Not eligible")
    else:
        answer = await received(response, 200, "CoverageEligibilityResponse")
        assert answer["id"] == code
    # Whatever came back, the answer is logged and can be read at Location.
    read = await gw.client.get(
        location.removeprefix("https://gw.example.org"), headers=gw.auth(gw.active_key)
    )
    assert (await received(read, 200, "CoverageEligibilityResponse"))["id"] == code


async def test_prefer_operation_outcome_of_a_refused_inquiry(gw: WebGateway) -> None:
    response = await gw.client.post(
        URL,
        data=json.dumps(coverage_request("1000000012")),
        headers={
            **gw.auth(gw.active_key),
            "Content-Type": FHIR_JSON,
            "Prefer": "return=OperationOutcome",
            "Accept-Language": "en",
        },
    )
    outcome = await received(response, 200, "OperationOutcome")
    [issue] = outcome["issue"]
    assert (issue["severity"], issue["code"]) == ("error", "value")
    assert [c["code"] for c in issue["details"]["coding"]] == ["NATIONAL_ID_CHECK_DIGIT", "72"]
    assert "Location" not in response.headers
