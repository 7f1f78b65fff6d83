"""``GET [base]/CoverageEligibilityResponse/[id]``: a provider reads its own answers again (the
same answer as when it asked); another provider's, an unknown or a malformed id is 404, the
same whether it exists or not."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from eligibility_gw.domain.tracking import TrackingCode
from tests.channels.web.fhir.support import (
    FHIR_JSON,
    SUBMIT,
    TODAY,
    URL,
    coverage_request,
    issue_codes,
    reason_codes,
    received,
)
from tests.channels.web.support import WebGateway

READ = "/fhir/r4/CoverageEligibilityResponse/"


async def asked(gw: WebGateway, body: dict[str, Any], route: str = URL) -> dict[str, Any]:
    """The response to ``body`` as the active provider."""
    response = await gw.client.post(
        route,
        data=json.dumps(body),
        headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON, "Accept-Language": "en"},
    )
    return await received(response, 200, "CoverageEligibilityResponse")


@pytest.mark.parametrize(
    ("persona", "options"),
    [
        ("rezaei", {"served": TODAY}),
        ("rezaei-son-18", {"period": (TODAY, TODAY)}),
        ("karimi-son-lapsed", {"period": (TODAY - timedelta(days=3), TODAY)}),
        ("karimi-mother", {"setting": "inpatient", "by": "benefit"}),
        ("ahmadi", {"setting": "outpatient", "by": "extension"}),
    ],
)
async def test_a_provider_reads_its_own_answer_again(
    gw: WebGateway, persona: str, options: dict[str, Any]
) -> None:
    given = await asked(gw, coverage_request(gw.nid(persona), **options))
    response = await gw.client.get(
        READ + given["id"], headers={**gw.auth(gw.active_key), "Accept-Language": "en"}
    )
    again = await received(response, 200, "CoverageEligibilityResponse")
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Last-Modified"]
    # The answer itself is the same; what only the request held (the patient's identifier,
    # the request's id, the category as coded) is not kept, so a read names them otherwise.
    same = ("id", "meta", "identifier", "status", "purpose", "created", "outcome", "disposition",
            "insurer", "error", "servicedDate", "servicedPeriod")  # fmt: skip
    assert {k: again.get(k) for k in same} == {k: given.get(k) for k in same}
    [was], [now] = given["insurance"], again["insurance"]
    assert now.get("inforce") == was.get("inforce")
    assert now["item"][0]["extension"] == was["item"][0]["extension"]
    assert again["patient"] == {"display": given["patient"]["display"]}
    assert "identifier" not in again["request"]


async def test_another_providers_answer_reads_as_one_never_given(gw: WebGateway) -> None:
    given = await asked(gw, coverage_request(gw.nid("rezaei")))
    theirs = await gw.client.get(READ + given["id"], headers=gw.auth(gw.other_key))
    never = await gw.client.get(READ + TrackingCode.new().digits, headers=gw.auth(gw.other_key))
    first, second = await received(theirs, 404), await received(never, 404)
    assert issue_codes(first) == issue_codes(second) == ["not-found"]
    assert first == second


@pytest.mark.parametrize(
    "ident", ["123", "4821-0937-5526", "482109375527", "abcdefghijkl", "%EF%BB%BF482109375526"]
)
async def test_malformed_ids_are_not_found(gw: WebGateway, ident: str) -> None:
    response = await gw.client.get(READ + ident, headers=gw.auth(gw.active_key))
    assert issue_codes(await received(response, 404)) == ["not-found"]


async def test_reading_needs_an_active_key(gw: WebGateway) -> None:
    given = await asked(gw, coverage_request(gw.nid("rezaei")), SUBMIT)
    nobody = await gw.client.get(READ + given["id"])
    assert issue_codes(await received(nobody, 401)) == ["login"]
    assert nobody.headers["WWW-Authenticate"].startswith("Bearer")
    deactivated = await gw.client.get(READ + given["id"], headers=gw.auth(gw.inactive_key))
    assert issue_codes(await received(deactivated, 403)) == ["forbidden"]


async def test_a_refused_inquiry_has_nothing_to_read(gw: WebGateway) -> None:
    given = await asked(gw, coverage_request("1000000012"))
    assert given["outcome"] == "error" and "id" not in given
    assert reason_codes(given) == ["NATIONAL_ID_CHECK_DIGIT"]
