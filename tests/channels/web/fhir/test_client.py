"""A real FHIR client against the gateway listening on 127.0.0.1: ``fhirpy``'s
``AsyncFHIRClient`` reads the CapabilityStatement, creates and ``$submit``\\ s requests and reads
the responses back, as hospital software built on it would. It sends ``application/json``
bodies and asks for ``application/fhir+json``; every resource it gets is checked by HL7's
schema and the R4B models, and each answer matches the JSON API's.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fhirpy import AsyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.channels.web.fhir.conftest import KIAN, KIAN_BIRTHDAY_19
from tests.channels.web.fhir.support import (
    SETTING_URL,
    TODAY,
    coverage_request,
    inforce,
    reason_codes,
    valid_resource,
)
from tests.channels.web.support import WebGateway


def plain(data: Any) -> dict[str, Any]:
    """What the client handed back, as plain JSON data (fhirpy wraps dicts)."""
    return dict(json.loads(json.dumps(data)))


def fhir_client(gw: WebGateway, key: str) -> AsyncFHIRClient:
    """fhirpy's client of the gateway's FHIR base, on the test server's real port."""
    assert gw.client.server.host == "127.0.0.1"
    return AsyncFHIRClient(
        str(gw.client.make_url("/fhir/r4")),
        authorization=f"Bearer {key}",
        extra_headers={"Accept-Language": "en"},
    )


async def api_status(gw: WebGateway, national_id: str, setting: str) -> tuple[str, list[str]]:
    """The JSON API's status and reason codes for today."""
    response = await gw.client.post(
        "/api/v1/inquiries",
        json={"national_id": national_id, "setting": setting},
        headers=gw.auth(gw.active_key),
    )
    answer = await response.json()
    return answer["status"], [r["code"] for r in answer["reasons"]]


async def test_metadata_create_submit_and_read_through_fhirpy(gw: WebGateway) -> None:
    client = fhir_client(gw, gw.active_key)
    statement = plain(await client.execute("metadata", method="get"))
    valid_resource(statement)
    assert statement["fhirVersion"] == "4.0.1"

    # create, the way fhirpy saves a new resource (POST [base]/CoverageEligibilityRequest).
    mother = gw.nid("karimi-mother")
    created = plain(
        await client.execute(
            "CoverageEligibilityRequest",
            method="post",
            data=coverage_request(mother, setting="inpatient", request_id=None),
        )
    )
    valid_resource(created)
    assert created["resourceType"] == "CoverageEligibilityResponse"
    assert inforce(created) is None
    assert ("undetermined", reason_codes(created)) == await api_status(gw, mother, "inpatient")

    # $submit, as an operation on the type.
    son = gw.nid("rezaei-son-no-cert")
    submitted = plain(
        await client.resources("CoverageEligibilityRequest").execute(
            "$submit", data=coverage_request(son, setting="outpatient", by="benefit")
        )
    )
    valid_resource(submitted)
    assert inforce(submitted) is False
    assert ("not_eligible", reason_codes(submitted)) == await api_status(gw, son, "outpatient")

    # read: the responses by their ids, through a reference and through get().
    for answer in (created, submitted):
        again = await client.reference("CoverageEligibilityResponse", answer["id"]).to_resource()
        read = plain(again)
        valid_resource(read)
        assert (read["id"], read["outcome"], read["disposition"]) == (
            answer["id"],
            "complete",
            answer["disposition"],
        )
        assert plain(await client.get("CoverageEligibilityResponse", answer["id"])) == read


async def test_a_resource_saved_by_fhirpy_is_answered_and_logged(gw: WebGateway) -> None:
    client = fhir_client(gw, gw.active_key)
    body = coverage_request(
        KIAN.national_id, request_id=None, period=(KIAN_BIRTHDAY_19 - timedelta(days=1), TODAY)
    )
    resource = client.resource(
        "CoverageEligibilityRequest", **{k: v for k, v in body.items() if k != "resourceType"}
    )
    await resource.save()
    # fhirpy fills the resource it saved with what came back: the answer, under its id.
    assert resource["outcome"] == "complete"
    assert reason_codes(resource) == ["COVER_ENDS_IN_PERIOD", "STUDENT_CERTIFICATE_REQUIRED"]
    read = await client.reference("CoverageEligibilityResponse", resource.id).to_resource()
    assert read["insurance"][0]["inforce"] is False
    assert read["insurance"][0]["item"][0]["extension"][0]["url"] == SETTING_URL


async def test_fhirpy_sees_refusals_as_fhir_errors(gw: WebGateway) -> None:
    client = fhir_client(gw, gw.active_key)
    given = plain(
        await client.execute(
            "CoverageEligibilityRequest", method="post", data=coverage_request(gw.nid("rezaei"))
        )
    )
    other = fhir_client(gw, gw.other_key)
    with pytest.raises(ResourceNotFound):
        await other.reference("CoverageEligibilityResponse", given["id"]).to_resource()
    unknown = {
        **coverage_request(gw.nid("rezaei")),
        "extension": [{"url": "urn:acme:service-setting", "valueCode": "inpatient"}],
    }
    with pytest.raises(OperationOutcome) as refused:
        await client.execute("CoverageEligibilityRequest", method="post", data=unknown)
    outcome = refused.value.resource
    valid_resource(plain(outcome))
    assert outcome["issue"][0]["code"] == "not-supported"
    assert "urn:acme:service-setting" in outcome["issue"][0]["diagnostics"]
