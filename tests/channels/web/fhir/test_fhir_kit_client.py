"""fhir-kit-client, the FHIR client issue 16 was tried with, against the gateway listening on
127.0.0.1: ``capabilityStatement()``, ``create``, ``operation('$submit')`` and ``read``, run by
Node (``tests/fhir/kit/check.mjs``). Every resource it received is checked here by HL7's
schema and the R4B models, and its answers match the JSON API's.

Needs ``node`` and the client installed from the lock file (``npm ci --prefix tests/fhir/kit``,
which ``make test`` does); the test says so and skips where either is missing.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.channels.web.fhir.support import coverage_request, inforce, reason_codes, valid_resource
from tests.channels.web.support import WebGateway

KIT = Path(__file__).parents[3] / "fhir" / "kit"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (KIT / "node_modules" / "fhir-kit-client").is_dir(),
    reason="needs node and fhir-kit-client: npm ci --prefix tests/fhir/kit",
)


async def run_kit(gw: WebGateway, requests: dict[str, Any]) -> dict[str, Any]:
    """What check.mjs received from the gateway (the loop serves it meanwhile)."""
    assert NODE is not None
    base = str(gw.client.make_url("/fhir/r4"))
    assert base.startswith("http://127.0.0.1:")
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(KIT / "check.mjs"),
        base,
        gw.active_key,
        json.dumps(requests),
        cwd=KIT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return dict(json.loads(out))


async def api_answer(gw: WebGateway, national_id: str, setting: str) -> tuple[str, list[str]]:
    """The JSON API's status and reason codes for today."""
    response = await gw.client.post(
        "/api/v1/inquiries",
        json={"national_id": national_id, "setting": setting},
        headers=gw.auth(gw.active_key),
    )
    answer = await response.json()
    return answer["status"], [r["code"] for r in answer["reasons"]]


async def test_fhir_kit_client_reads_metadata_creates_submits_and_reads(gw: WebGateway) -> None:
    mother, son = gw.nid("karimi-mother"), gw.nid("rezaei-son-no-cert")
    found = await run_kit(
        gw,
        {
            "create": coverage_request(mother, setting="inpatient", request_id=None),
            "submit": coverage_request(son, setting="outpatient", by="benefit"),
            "refused": {
                **coverage_request(mother),
                "item": [{"category": {"coding": [{"system": "urn:acme", "code": "IP"}]}}],
            },
        },
    )
    for name in ("metadata", "created", "submitted", "readCreated", "readSubmitted"):
        valid_resource(found[name])
    assert found["metadata"]["resourceType"] == "CapabilityStatement"
    assert found["metadata"]["fhirVersion"] == "4.0.1"

    created, submitted = found["created"], found["submitted"]
    assert inforce(created) is None
    assert ("undetermined", reason_codes(created)) == await api_answer(gw, mother, "inpatient")
    assert inforce(submitted) is False
    assert ("not_eligible", reason_codes(submitted)) == await api_answer(gw, son, "outpatient")
    for given, read in ((created, found["readCreated"]), (submitted, found["readSubmitted"])):
        assert (read["id"], read["disposition"], reason_codes(read)) == (
            given["id"],
            given["disposition"],
            reason_codes(given),
        )

    for name, status, code in (("refused", 422, "not-supported"), ("missing", 404, "not-found")):
        error = found[name]
        assert error is not None and error["status"] == status, (name, error)
        outcome = valid_resource(error["resource"])
        assert outcome["issue"][0]["code"] == code
