"""Degraded evidence through the provider API and FHIR: a live registry down or slow.

The gateway runs with ``[evidence.student]`` and ``[evidence.civil]`` pointing at a local fake
registry; ir-tamin lets student certificates on file stand in for a silent student registry,
and never a birth certificate on file for a silent civil registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.domain.model import Reason
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.wording import Wording
from tests.conftest import MakeGateway
from tests.gateway import Client

PROVIDER = "pharmacy-evidence"


@dataclass
class FakeRegistries:
    """Both registries on one fake server; ``mode`` says how each answers."""

    mode: dict[str, str] = field(default_factory=lambda: {"student": "up", "civil": "up"})
    certificates: list[dict[str, str | None]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        body = await request.json()
        mode = self.mode[name]
        if mode == "down":
            return web.json_response({"error": "maintenance"}, status=503)
        if mode == "slow":
            await asyncio.sleep(3)
        facts: dict[str, Any] = (
            {"certificates": self.certificates}
            if name == "student"
            else {"birth_registered": True, "marital_status": "married"}
        )
        return web.json_response({"national_id": body["national_id"], **facts})


@dataclass(frozen=True)
class Served:
    """The gateway's client, a provider key, the fake registries and the personas' ids."""

    client: Client
    key: str
    registries: FakeRegistries
    ids: Mapping[str, str]

    async def ask(self, persona: str, language: str = "en") -> dict[str, Any]:
        resp = await self.client.post(
            "/api/v1/inquiries",
            json={"national_id": self.ids[persona]},
            headers={"Authorization": f"Bearer {self.key}", "Accept-Language": language},
        )
        assert resp.status == 200, await resp.text()
        data: dict[str, Any] = await resp.json()
        return data

    async def ask_fhir(self, persona: str) -> dict[str, Any]:
        request = {
            "resourceType": "CoverageEligibilityRequest",
            "status": "active",
            "purpose": ["validation"],
            "created": "2026-01-01",
            "insurer": {"display": "Tamin Ejtemaei"},
            "patient": {"identifier": {"system": "urn:oid:1.2.364.1", "value": self.ids[persona]}},
        }
        resp = await self.client.post(
            "/fhir/r4/CoverageEligibilityRequest",
            json=request,
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/fhir+json",
                "Accept-Language": "en",
            },
        )
        assert resp.status == 200, await resp.text()
        data: dict[str, Any] = await resp.json(content_type=None)
        return data


@pytest.fixture
async def served(make_gateway: MakeGateway, aiohttp_server: AiohttpServer) -> Served:
    registries = FakeRegistries()
    fake = web.Application()
    fake.router.add_post("/{name}", registries.handle)
    server: TestServer = await aiohttp_server(fake)
    tg = await make_gateway(
        store="memory",
        languages=("en", "fa"),
        # A second per lookup: an answering registry is never taken for a silent one on a
        # slow machine; a "slow" one (3 s) always is.
        server={"lookup_timeout": 2.0},
        extra={
            "evidence": {
                "student": {"url": str(server.make_url("/student")), "timeout": 1.0},
                "civil": {"url": str(server.make_url("/civil")), "timeout": 1.0},
            }
        },
    )
    _, key = await tg.add_provider(PROVIDER, kind=ProviderKind.PHARMACY)
    return Served(tg.client, key, registries, {k: p.row.national_id for k, p in tg.people.items()})


def _codes(answer: Mapping[str, Any]) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


@pytest.mark.parametrize("mode", ["down", "slow"])
async def test_a_silent_civil_registry_answers_undetermined_with_the_reason(
    served: Served, mode: str
) -> None:
    """ir-tamin forbids deciding on a birth certificate on file alone."""
    served.registries.mode["civil"] = mode
    answer = await served.ask("karimi-daughter")
    assert answer["status"] == "undetermined"
    [reason] = answer["reasons"]
    assert reason["code"] == "CIVIL_REGISTRY_UNAVAILABLE"
    assert reason["blocking"] is True
    assert reason["message"] == Wording("en").reason(Reason("CIVIL_REGISTRY_UNAVAILABLE"))
    assert reason["resolve_with"] is None


@pytest.mark.parametrize("mode", ["down", "slow"])
async def test_a_silent_student_registry_answers_on_file_marked(served: Served, mode: str) -> None:
    """ir-tamin lets a student certificate on file decide, and says so."""
    served.registries.mode["student"] = mode
    answer = await served.ask("rezaei-son-student")
    assert answer["status"] == "eligible"
    [notice] = answer["reasons"]
    assert notice["code"] == "EVIDENCE_ON_FILE"
    assert notice["blocking"] is False
    assert "student-certificate registry" in notice["message"]
    assert "documents on file" in notice["message"]
    persian = await served.ask("rezaei-son-student", language="fa")
    assert "سامانه گواهی تحصیل" in persian["reasons"][0]["message"]
    # A negative answer decided on file is marked as well.
    answer = await served.ask("rezaei-son-no-cert")
    assert answer["status"] == "not_eligible"
    assert _codes(answer) == ["STUDENT_CERTIFICATE_REQUIRED", "EVIDENCE_ON_FILE"]


async def test_answering_registries_decide_over_the_file(served: Served) -> None:
    # No certificate in the registry for the son with one on file.
    answer = await served.ask("rezaei-son-student")
    assert (answer["status"], _codes(answer)) == (
        "not_eligible",
        ["STUDENT_CERTIFICATE_REQUIRED"],
    )
    # A certificate in the registry for the son without one on file.
    served.registries.certificates = [{"valid_from": None, "valid_until": "2099-12-31"}]
    answer = await served.ask("rezaei-son-no-cert")
    assert (answer["status"], answer["reasons"]) == ("eligible", [])
    # Single on file; the civil registry knows of a marriage.
    answer = await served.ask("karimi-daughter")
    assert (answer["status"], _codes(answer)) == ("not_eligible", ["MARRIED"])


async def test_fhir_answers_carry_the_registry_reason(served: Served) -> None:
    served.registries.mode = {"student": "down", "civil": "down"}
    body = await served.ask_fhir("karimi-daughter")
    assert "inforce" not in body["insurance"][0]
    [error] = body["error"]
    codings = {c["system"]: c["code"] for c in error["code"]["coding"]}
    assert codings["urn:eligibility-gw:reason"] == "CIVIL_REGISTRY_UNAVAILABLE"
    assert codings["https://x12.org/codes/reject-reason-codes"] == "42"
    body = await served.ask_fhir("rezaei-son-student")
    assert body["insurance"][0]["inforce"] is True
    assert "documents on file" in body["disposition"]
