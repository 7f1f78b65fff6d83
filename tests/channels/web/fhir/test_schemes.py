"""The member's insured category and privileges in a CoverageEligibilityResponse: extensions
on ``insurance`` whose definitions are served at their canonical URLs, valid FHIR R4; a
sanatorium answer read back names its setting by the gateway's own code."""

from __future__ import annotations

import json

import pytest

from eligibility_gw.channels.web.fhir import codes
from tests.channels.web.fhir.support import BASE, FHIR_JSON, coverage_request, received
from tests.conftest import MakeGateway

CATEGORY_URL = codes.extension_url(BASE, codes.CATEGORY_ID)
PRIVILEGE_URL = codes.extension_url(BASE, codes.PRIVILEGE_ID)


@pytest.mark.parametrize(
    ("pack", "persona", "expected"),
    [
        ("ro-cnas", "popescu-student", {CATEGORY_URL: "07"}),
        ("pl-nfz", "kowalski", {PRIVILEGE_URL: "honorary_blood_donor"}),
        ("pl-nfz", "kowalska", {}),
    ],
)
async def test_category_and_privilege_ride_on_insurance(
    make_gateway: MakeGateway, pack: str, persona: str, expected: dict[str, str]
) -> None:
    gw = await make_gateway(store="memory", rule_pack=pack, languages=("en", "fa"))
    headers = {**gw.auth(), "Content-Type": FHIR_JSON, "Accept-Language": "en"}
    response = await gw.client.post(
        "/fhir/r4/CoverageEligibilityRequest",
        data=json.dumps(coverage_request(gw.nid(persona))),
        headers=headers,
    )
    answer = await received(response, 200, "CoverageEligibilityResponse")
    (insurance,) = answer["insurance"]
    found = {}
    for extension in insurance.get("extension", []):
        value = extension.get("valueCoding") or extension["valueCodeableConcept"]["coding"][0]
        found[extension["url"]] = value["code"]
        path = "/fhir/r4" + extension["url"].removeprefix(BASE)
        published = await received(await gw.client.get(path), 200, "StructureDefinition")
        assert published["url"] == extension["url"]
    assert found == expected
    if PRIVILEGE_URL in expected:
        (told,) = [e for e in insurance["extension"] if e["url"] == PRIVILEGE_URL]
        assert "Serve out of turn" in told["valueCodeableConcept"]["text"]
        assert "2028" not in json.dumps(told)  # never the privilege's end


async def test_a_sanatorium_answer_reads_back_with_the_gateways_own_code(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway(store="memory", rule_pack="ru-oms", languages=("en",))
    asked = await gw.client.post(
        "/api/v1/inquiries",
        json={"national_id": gw.nid("petrova"), "setting": "sanatorium"},
        headers=gw.auth(),
    )
    body = await asked.json()
    assert body["status"] == "not_eligible"
    code = body["tracking_code"].replace("-", "")
    read = await gw.client.get(
        f"/fhir/r4/CoverageEligibilityResponse/{code}", headers={**gw.auth()}
    )
    answer = await received(read, 200, "CoverageEligibilityResponse")
    (item,) = answer["insurance"][0]["item"]
    assert item["category"]["coding"][0]["code"] == "sanatorium"
    assert item["category"]["coding"][0]["system"] == codes.setting_code_system(BASE)
