"""``Accept-Language`` on the API and FHIR: weights, regional tags (``pt-BR;q=0.9`` finds
``pt_BR``), ``*``; the answer says its language in ``Content-Language``, and every text a
person reads (reasons, FHIR's disposition and error text, refusals) is worded in it."""

from __future__ import annotations

from typing import Any

import pytest

from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.wording import Wording
from tests.conftest import MakeGateway
from tests.gateway import TestGateway

SIX = ("fa", "en", "ro", "pt_BR", "pl", "ru")
PERSONA = "rezaei-son-no-cert"  # covered but for a missing certificate: reasons to word

ACCEPT = [
    # Accept-Language, the catalog chosen, Content-Language
    (None, "fa", "fa"),
    ("pl", "pl", "pl"),
    ("pl-PL", "pl", "pl"),
    ("pt-BR;q=0.9, en;q=0.8", "pt_BR", "pt-BR"),
    ("en;q=0.5, pt-br;q=0.9", "pt_BR", "pt-BR"),
    ("pt", "pt_BR", "pt-BR"),
    ("de-DE, ru;q=0.3", "ru", "ru"),
    ("*", "fa", "fa"),
    ("fa;q=0, *;q=0.1", "en", "en"),
    ("ro-RO, ro;q=0.9, en;q=0.1", "ro", "ro"),
    ("de, fr", "fa", "fa"),
    ("pl;q=bad, en;q=0.2", "en", "en"),
]


@pytest.fixture
async def gateway(make_gateway: MakeGateway) -> TestGateway:
    return await make_gateway(
        languages=SIX,
        inquiries={"provider_per_minute": 10_000},
        channels={name: {"enabled": False} for name in ("sms", "ussd", "telegram", "console")},
    )


def _headers(gateway: TestGateway, accept: str | None, **more: str) -> dict[str, str]:
    headers = {**gateway.auth(), **more}
    if accept is not None:
        headers["Accept-Language"] = accept
    return headers


async def _worded(gateway: TestGateway, code: str, language: str) -> tuple[str, list[str]]:
    """The status and reasons of a logged answer, worded in ``language``."""
    record = await gateway.store.answers.find(TrackingCode.parse(code))
    assert record is not None
    w = Wording(language)
    return w.status(record.status), [w.reason(r) for r in record.reasons]


def _refusal(gateway: TestGateway, national_id: str, language: str) -> str:
    """What the core's refusal of ``national_id`` reads in ``language``."""
    try:
        gateway.inquiries.normalise_id(national_id)
    except EligibilityError as exc:
        return Wording(language).error(exc)
    raise AssertionError(f"{national_id!r} is not refused")


@pytest.mark.parametrize(("accept", "language", "tag"), ACCEPT)
async def test_the_api_answers_in_the_accepted_language(
    gateway: TestGateway, accept: str | None, language: str, tag: str
) -> None:
    response = await gateway.client.post(
        "/api/v1/inquiries",
        json={"national_id": gateway.nid(PERSONA)},
        headers=_headers(gateway, accept),
    )
    assert response.status == 200, await response.text()
    assert response.headers["Content-Language"] == tag
    body = await response.json()
    messages = [r["message"] for r in body["reasons"]]
    assert messages
    assert messages == (await _worded(gateway, body["tracking_code"], language))[1]


def _fhir_request(national_id: str) -> dict[str, Any]:
    return {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": ["validation"],
        "patient": {"identifier": {"value": national_id}},
        "created": "2026-01-01",
        "insurer": {"display": "x"},
    }


@pytest.mark.parametrize(("accept", "language", "tag"), ACCEPT)
async def test_fhir_words_its_disposition_and_errors_in_the_accepted_language(
    gateway: TestGateway, accept: str | None, language: str, tag: str
) -> None:
    response = await gateway.client.post(
        "/fhir/r4/CoverageEligibilityRequest",
        json=_fhir_request(gateway.nid(PERSONA)),
        headers=_headers(gateway, accept, **{"Content-Type": "application/fhir+json"}),
    )
    assert response.status == 200, await response.text()
    assert response.headers["Content-Language"] == tag
    body = await response.json()
    status, reasons = await _worded(gateway, body["id"], language)
    assert body["disposition"].startswith(status)
    for reason in reasons:
        assert reason in body["disposition"]
    assert [e["code"]["text"] for e in body["error"]] == reasons


REFUSED = [("pl", "pl", "pl"), ("pt-BR;q=0.9, en;q=0.1", "pt_BR", "pt-BR"), ("ru", "ru", "ru")]


@pytest.mark.parametrize(("accept", "language", "tag"), REFUSED)
async def test_refusals_are_worded_in_the_accepted_language(
    gateway: TestGateway, accept: str, language: str, tag: str
) -> None:
    bad = "12"  # too short to be a national id: refused before any lookup
    api = await gateway.client.post(
        "/api/v1/inquiries", json={"national_id": bad}, headers=_headers(gateway, accept)
    )
    assert api.status == 422
    fhir = await gateway.client.post(
        "/fhir/r4/CoverageEligibilityRequest",
        json=_fhir_request(bad),
        headers=_headers(gateway, accept, **{"Content-Type": "application/fhir+json"}),
    )
    expected = _refusal(gateway, bad, language)
    assert expected != _refusal(gateway, bad, "en")
    assert api.headers["Content-Language"] == tag
    problem = await api.json()
    assert problem["detail"] == expected
    assert fhir.headers["Content-Language"] == tag
    body = await fhir.json()
    assert body["disposition"] == expected
    assert body["error"][0]["code"]["text"] == expected
