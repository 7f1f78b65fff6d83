"""``GET [base]/metadata`` lists exactly what is served; the gateway's own definitions (the
service-setting extension, its codes, ``$submit``) are served at their canonical URLs."""

from __future__ import annotations

import json
from typing import Any

from tests.channels.web.fhir.support import (
    BASE,
    FHIR_JSON,
    SETTING_URL,
    SUBMIT,
    coverage_request,
    issue_codes,
    received,
)
from tests.channels.web.support import WebGateway


async def fetch(gw: WebGateway, canonical: str, **headers: str) -> dict[str, Any]:
    """The resource at a canonical URL of the gateway (its path, on the test server)."""
    assert canonical.startswith(BASE + "/"), canonical
    response = await gw.client.get("/fhir/r4" + canonical.removeprefix(BASE), headers=headers)
    return await received(response, 200)


async def test_the_capability_statement_lists_exactly_what_is_served(gw: WebGateway) -> None:
    # No key needed: a client reads it before it has one configured.
    statement = await fetch(gw, f"{BASE}/metadata")
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["kind"] == "instance"
    assert FHIR_JSON in statement["format"]
    assert statement["implementation"]["url"] == BASE
    [rest] = statement["rest"]
    assert rest["mode"] == "server"
    assert rest["security"]["service"] == [{"text": "Bearer API key"}]
    assert "Authorization: Bearer" in rest["security"]["description"]
    served = {
        r["type"]: (
            sorted(i["code"] for i in r["interaction"]),
            [(o["name"], o["definition"]) for o in r.get("operation", [])],
            r.get("searchParam", []),
        )
        for r in rest["resource"]
    }
    assert served == {
        "CoverageEligibilityRequest": (
            ["create"],
            [("submit", f"{BASE}/OperationDefinition/CoverageEligibilityRequest-submit")],
            [],
        ),
        "CoverageEligibilityResponse": (["read"], [], []),
        "StructureDefinition": (["read"], [], []),
        "CodeSystem": (["read"], [], []),
        "ValueSet": (["read"], [], []),
        "OperationDefinition": (["read"], [], []),
    }
    assert "operation" not in rest and "interaction" not in rest  # nothing system-wide


async def test_every_definition_resolves_at_its_canonical_url(gw: WebGateway) -> None:
    statement = await fetch(gw, f"{BASE}/metadata")
    [submit] = statement["rest"][0]["resource"][0]["operation"]
    operation = await fetch(gw, submit["definition"])
    assert operation["resourceType"] == "OperationDefinition"
    assert (operation["url"], operation["code"]) == (submit["definition"], "submit")
    assert operation["resource"] == ["CoverageEligibilityRequest"]
    assert (operation["type"], operation["instance"], operation["system"]) == (True, False, False)

    extension = await fetch(gw, SETTING_URL)
    assert extension["resourceType"] == "StructureDefinition"
    assert (extension["url"], extension["type"], extension["kind"]) == (
        SETTING_URL,
        "Extension",
        "complex-type",
    )
    contexts = {c["expression"] for c in extension["context"]}
    assert contexts == {
        "CoverageEligibilityRequest",
        "CoverageEligibilityRequest.item",
        "CoverageEligibilityResponse.insurance.item",
    }
    elements = {e["path"]: e for e in extension["differential"]["element"]}
    assert elements["Extension.url"]["fixedUri"] == SETTING_URL
    value = elements["Extension.value[x]"]
    assert value["type"] == [{"code": "code"}]
    assert value["binding"]["strength"] == "required"

    value_set = await fetch(gw, value["binding"]["valueSet"])
    [included] = value_set["compose"]["include"]
    code_system = await fetch(gw, included["system"])
    assert code_system["resourceType"] == "CodeSystem"
    assert code_system["content"] == "complete"
    codes_listed = [c["code"] for c in code_system["concept"]]
    assert codes_listed == ["outpatient", "inpatient", "sanatorium"]
    assert code_system["count"] == len(codes_listed)
    assert code_system["valueSet"] == value_set["url"]


async def test_the_extension_a_response_carries_is_the_one_published(gw: WebGateway) -> None:
    response = await gw.client.post(
        SUBMIT,
        data=json.dumps(coverage_request(gw.nid("rezaei"), setting="inpatient", by="extension")),
        headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON},
    )
    answer = await received(response, 200, "CoverageEligibilityResponse")
    [extension] = answer["insurance"][0]["item"][0]["extension"]
    published = await fetch(gw, extension["url"])
    assert published["url"] == extension["url"] == SETTING_URL
    code_system = await fetch(gw, f"{BASE}/CodeSystem/service-setting")
    assert extension["valueCode"] in {c["code"] for c in code_system["concept"]}


async def test_a_category_in_the_gateways_own_codes_is_read(gw: WebGateway) -> None:
    body = {
        **coverage_request(gw.nid("karimi-mother")),
        "item": [
            {
                "category": {
                    "coding": [
                        {"system": f"{BASE}/CodeSystem/service-setting", "code": "inpatient"}
                    ]
                }
            }
        ],
    }
    response = await gw.client.post(
        SUBMIT, json=body, headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON}
    )
    answer = await received(response, 200, "CoverageEligibilityResponse")
    assert "inforce" not in answer["insurance"][0]  # undetermined: the inpatient overlap


async def test_an_unknown_definition_is_not_found(gw: WebGateway) -> None:
    for path in (
        "/fhir/r4/StructureDefinition/other",
        "/fhir/r4/ValueSet/service-setting-2",
        "/fhir/r4/SearchParameter/service-setting",
    ):
        response = await gw.client.get(path)
        assert issue_codes(await received(response, 404)) == ["not-found"], path
