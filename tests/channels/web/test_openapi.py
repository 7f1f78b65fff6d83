"""The OpenAPI document is valid 3.1, and the live API keeps to it (schemathesis).

Schemathesis generates valid and invalid requests for every operation and sends them to the
real app on 127.0.0.1 with a valid provider key; every response must be documented (status,
content type, body schema) and none may be a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from eligibility_gw.channels.web.openapi import openapi_document
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.rulepacks import load_rule_pack
from tests.channels.web.served import ServedGateway
from tests.channels.web.support import logged, persona_table

DOCUMENT = openapi_document(load_rule_pack("ir-tamin").title)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
# Valid and invalid inputs alike; reproducible runs; a bounded number per operation.
SCHEMA.config.generation.update(deterministic=True, max_examples=40)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Quotas high enough that generated traffic is not refused away from the handlers (the 429s
# have tests of their own).
LOOSE_QUOTAS = {
    "provider_per_minute": 1_000_000,
    "provider_per_national_id": 1_000_000,
    "national_id_ceiling": 1_000_000,
}
_served: dict[str, ServedGateway] = {}
#: Random ids almost never pass a check digit: steer some cases to registered people, and
#: some path parameters to codes and batches that exist, so 200s are checked too.
PERSONA_IDS = [p.row.national_id for p in persona_table()]
_issued: dict[str, list[str]] = {"tracking_code": [], "batch_id": []}


def _known(item: Any, national_id: str) -> Any:
    """``item`` asking about ``national_id`` on the default date (random ones are far off)."""
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if k != "service_date"} | {"national_id": national_id}


def _with_known_id(body: Any) -> st.SearchStrategy[Any]:
    if isinstance(body, dict) and "national_id" in body:
        return st.sampled_from(PERSONA_IDS).map(lambda nid: _known(body, nid))
    if isinstance(body, list) and body:
        return st.lists(st.sampled_from(PERSONA_IDS), min_size=len(body), max_size=len(body)).map(
            lambda ids: [_known(item, nid) for item, nid in zip(body, ids, strict=True)]
        )
    return st.just(body)


@SCHEMA.hook
def flatmap_body(_context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """Half of the bodies ask about registered people."""
    return st.one_of(st.just(body), _with_known_id(body))


@SCHEMA.hook
def flatmap_path_parameters(
    _context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half of the codes and batch ids are ones that exist (some of them another's)."""
    choices: list[st.SearchStrategy[dict[str, Any] | None]] = [st.just(path_parameters)]
    for name, issued in _issued.items():
        if path_parameters is not None and name in path_parameters and issued:
            choices.append(st.sampled_from(issued).map(partial(_replaced, path_parameters, name)))
    return st.one_of(*choices)


def _replaced(parameters: dict[str, Any], name: str, value: str) -> dict[str, Any] | None:
    return {**parameters, name: value}


@pytest.fixture(scope="module", autouse=True)
def served() -> Iterator[ServedGateway]:
    """The seeded gateway on a free port, for the whole module."""
    server = ServedGateway(LOOSE_QUOTAS)
    server.start()
    _served["server"] = server
    served = server.served
    inquiries = served.gateway.inquiries
    active = server.run(inquiries.provider_by_key(served.active_key))
    assert active is not None
    for provider, persona in ((active, "rezaei"), (served.other, "ahmadi")):
        answer = server.run(inquiries.ask(Asker.for_provider("web", provider), served.nid(persona)))
        code = answer.tracking_code
        _issued["tracking_code"] += [code.grouped(), code.digits]
    # A well-formed code never issued, and the batches of two providers.
    _issued["tracking_code"].append(TrackingCode.new().grouped())
    for key in (served.active_key, served.other_key):
        created = requests.post(
            f"{server.url}/api/v1/inquiries/batch",
            json=[{"national_id": served.nid("karimi")}],
            headers=served.auth(key),
            timeout=30,
        )
        _issued["batch_id"].append(created.json()["batch_id"])
    try:
        yield server
    finally:
        server.stop()
        _served.clear()
        for issued in _issued.values():
            issued.clear()


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    """One HTTP session for every generated case."""
    with requests.Session() as session:
        yield session


def test_document_is_valid_openapi_3_1() -> None:
    validate(DOCUMENT, cls=OpenAPIV31SpecValidator)


def test_served_document_is_the_one_tested(served: ServedGateway, http: requests.Session) -> None:
    response = http.get(f"{served.url}/api/v1/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.json() == DOCUMENT


def test_every_operation_is_generated() -> None:
    operations = set()
    for result in SCHEMA.get_all_operations():
        assert isinstance(result, Ok), result
        operations.add(f"{result.ok().method.upper()} {result.ok().path}")
    assert operations == {
        "POST /api/v1/inquiries",
        "GET /api/v1/inquiries/{tracking_code}",
        "POST /api/v1/inquiries/batch",
        "GET /api/v1/batches/{batch_id}",
    }


@SCHEMA.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_keeps_to_its_document(case: schemathesis.Case[Any], http: requests.Session) -> None:
    server = _served["server"]
    response = case.call(
        base_url=server.url,
        session=http,
        headers=server.served.auth(server.served.active_key),
        timeout=30,
    )
    case.validate_response(response, checks=CHECKS)
    if response.status_code == 200 and case.operation.path == "/api/v1/inquiries":
        body: dict[str, Any] = response.json()
        assert "cover_end" not in body
        assert "cover_ended" not in body
        assert server.run(logged(server.served.gateway.store, body["tracking_code"]))
