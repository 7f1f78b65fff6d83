"""The provider JSON API end to end: statuses, refusals, quotas, languages, batches, health.

Tests are tables: each case is data (method, path, key, headers, body, expected status and
problem type or JSON fields), sent to a gateway from the suite's factory holding the demo
personas: the ``memory://`` store for most, a real SQLite file for a few end-to-end runs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from eligibility_gw.channels.web.problems import PROBLEM_TYPES
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.presenting import present
from eligibility_gw.settings import SettingsError
from eligibility_gw.wording import Wording
from tests.channels.web.support import (
    ACTIVE_ID,
    INACTIVE_ID,
    UNKNOWN_KEY,
    WebGateway,
    logged,
    member_dates,
    open_web,
    persona_table,
    today,
    written_forms,
)
from tests.conftest import MakeGateway
from tests.gateway import Client

PERSONAS = persona_table()
BY_KEY = {p.key: p for p in PERSONAS}
IDS = {p.key: p.row.national_id for p in PERSONAS}
TODAY = today()
#: Small limits, so that 413 is reachable with small bodies.
WEB = {"batch_max_items": 5, "max_body_bytes": 4096, "batch_max_bytes": 16 * 1024}
NO_BODY = object()


def typo(national_id: str) -> str:
    """``national_id`` with its check digit changed: what a slip of the finger gives."""
    return national_id[:-1] + str((int(national_id[-1]) + 1) % 10)


@pytest.fixture
async def gw(make_gateway: MakeGateway) -> WebGateway:
    """A gateway with the demo personas, an active, a deactivated and another provider."""
    return await open_web(make_gateway, WEB)


@pytest.fixture
def client(gw: WebGateway) -> Client:
    """An HTTP client of the gateway's app."""
    return gw.client


def key_of(gw: WebGateway, name: str | None) -> dict[str, str]:
    """The Authorization header for a named key (None: no header)."""
    keys = {
        "active": gw.active_key,
        "inactive": gw.inactive_key,
        "other": gw.other_key,
        "unknown": UNKNOWN_KEY,
    }
    return {} if name is None else gw.auth(keys[name])


def check_problem(response: aiohttp.ClientResponse, body: Any, slug: str) -> None:
    """An RFC 9457 document of the stable type ``slug``, with the matching status."""
    assert response.content_type == "application/problem+json", body
    kind = PROBLEM_TYPES[slug]
    assert response.status == kind.status
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == kind.status
    assert body["title"] == kind.title
    assert isinstance(body["detail"], str) and body["detail"]


async def check_provider_answer(gw: WebGateway, text: str, answer: Mapping[str, Any]) -> None:
    """A logged answer that names no date of any member's and masks the member's name."""
    assert set(answer) >= {"tracking_code", "status", "service_date", "reasons", "member"}
    assert "cover_end" not in text
    assert "cover_ended" not in text
    record = await gw.store.answers.find(TrackingCode.parse(answer["tracking_code"]))
    assert record is not None
    # When it was asked, and for which day, are no secret (and may be the day cover ends).
    shown = json.dumps(
        {k: v for k, v in answer.items() if k not in ("asked_at", "service_date")},
        ensure_ascii=False,
    )
    dates = set().union(*(member_dates(p) for p in PERSONAS))
    if record.draft.decision.cover_end is not None:
        dates.add(record.draft.decision.cover_end)
    for day in dates - {record.draft.service_date}:
        for written in written_forms(day):
            assert written not in shown, (day, shown)
    for p in PERSONAS:
        assert p.row.given_name not in shown, shown
        assert p.row.family_name not in shown, shown
    member = answer["member"]
    if member is not None:
        assert member["relationship"] in {"self", "spouse", "child", "parent"}
        for part in member["name"].split():
            assert len(part) == 4 and part.endswith("***"), member


# ---------------------------------------------------------------------------------------
# Single inquiries: every status, every refusal.


@dataclass(frozen=True, slots=True)
class ApiCase:
    """One request and what must come back."""

    id: str
    method: str
    path: str
    status: int
    key: str | None = "active"
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = NO_BODY
    data: str | bytes | None = None
    problem: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    errors: tuple[tuple[str, str], ...] = ()


def _persona_cases() -> list[ApiCase]:
    cases = []
    for p in PERSONAS:
        fields: dict[str, Any] = {"status": p.expected_status, "service_date": TODAY.isoformat()}
        if p.expected_reason:
            fields["reason_codes"] = [p.expected_reason]
        cases.append(
            ApiCase(
                f"persona-{p.key}",
                "POST",
                "/api/v1/inquiries",
                200,
                json={"national_id": p.row.national_id},
                fields=fields,
            )
        )
    return cases


INQ = "/api/v1/inquiries"
REZAEI = IDS["rezaei"]
CASES = [
    *_persona_cases(),
    ApiCase(
        "inpatient-overlap-undetermined",
        "POST",
        INQ,
        200,
        json={"national_id": IDS["karimi-mother"], "setting": "inpatient"},
        fields={"status": "undetermined", "reason_codes": ["OVERLAP_WITH_OTHER_INSURER"]},
    ),
    ApiCase(
        "inpatient-covered",
        "POST",
        INQ,
        200,
        json={"national_id": REZAEI, "setting": "inpatient"},
        fields={"status": "eligible", "reason_codes": []},
    ),
    ApiCase(
        "not-in-registry",
        "POST",
        INQ,
        200,
        json={"national_id": "0499370899"},
        fields={"status": "not_eligible", "reason_codes": ["NOT_FOUND"], "member": None},
    ),
    ApiCase(
        "back-dated-within-window",
        "POST",
        INQ,
        200,
        json={"national_id": REZAEI, "service_date": (TODAY - timedelta(days=300)).isoformat()},
        fields={"status": "eligible", "service_date": (TODAY - timedelta(days=300)).isoformat()},
    ),
    ApiCase(
        "id-typed-with-persian-digits-and-dashes",
        "POST",
        INQ,
        200,
        json={
            "national_id": f"{REZAEI[:3]}-{REZAEI[3:9]}-{REZAEI[9]}".translate(
                str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
            )
        },
        fields={"status": "eligible"},
    ),
    # 401: missing or unknown key, whatever the body.
    ApiCase("no-key", "POST", INQ, 401, key=None, json={}, problem="unauthorized"),
    ApiCase("unknown-key", "POST", INQ, 401, key="unknown", json={}, problem="unauthorized"),
    ApiCase(
        "basic-scheme",
        "POST",
        INQ,
        401,
        key=None,
        headers={"Authorization": "Basic dXNlcjpwYXNz"},
        json={"national_id": REZAEI},
        problem="unauthorized",
    ),
    ApiCase(
        "empty-bearer",
        "POST",
        INQ,
        401,
        key=None,
        headers={"Authorization": "Bearer "},
        json={"national_id": REZAEI},
        problem="unauthorized",
    ),
    ApiCase(
        "oversized-key",
        "POST",
        INQ,
        401,
        key=None,
        headers={"Authorization": "Bearer " + "k" * 5000},
        json={"national_id": REZAEI},
        problem="unauthorized",
    ),
    ApiCase("get-no-key", "GET", f"{INQ}/4821-0937-5526", 401, key=None, problem="unauthorized"),
    # 403: a deactivated provider is told so.
    ApiCase(
        "deactivated",
        "POST",
        INQ,
        403,
        key="inactive",
        json={"national_id": REZAEI},
        problem="provider-deactivated",
    ),
    ApiCase(
        "deactivated-get",
        "GET",
        f"{INQ}/4821-0937-5526",
        403,
        key="inactive",
        problem="provider-deactivated",
    ),
    # 413: body over [channels.web] max_body_bytes.
    ApiCase(
        "body-too-large",
        "POST",
        INQ,
        413,
        data=json.dumps({"national_id": REZAEI, "pad": "x" * 5000}),
        headers={"Content-Type": "application/json"},
        problem="payload-too-large",
    ),
    # 415: not JSON.
    ApiCase(
        "form-encoded",
        "POST",
        INQ,
        415,
        data="national_id=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        problem="unsupported-media-type",
    ),
    ApiCase(
        "text-plain",
        "POST",
        INQ,
        415,
        data=json.dumps({"national_id": REZAEI}),
        headers={"Content-Type": "text/plain"},
        problem="unsupported-media-type",
    ),
    ApiCase(
        "csv-to-single",
        "POST",
        INQ,
        415,
        data="national_id\n1\n",
        headers={"Content-Type": "text/csv"},
        problem="unsupported-media-type",
    ),
    # 400: not parseable.
    ApiCase(
        "broken-json",
        "POST",
        INQ,
        400,
        data="{",
        headers={"Content-Type": "application/json"},
        problem="malformed-body",
    ),
    ApiCase(
        "not-utf8",
        "POST",
        INQ,
        400,
        data=b'{"national_id": "\xff"}',
        headers={"Content-Type": "application/json"},
        problem="malformed-body",
    ),
    ApiCase(
        "lone-surrogate",
        "POST",
        INQ,
        400,
        data='{"national_id": "\\ud800"}',
        headers={"Content-Type": "application/json"},
        problem="malformed-body",
    ),
    ApiCase(
        "deep-nesting",
        "POST",
        INQ,
        400,
        data="[" * 1500 + "]" * 1500,
        headers={"Content-Type": "application/json"},
        problem="malformed-body",
    ),
    # 422: which field, and why.
    ApiCase(
        "bad-check-digit",
        "POST",
        INQ,
        422,
        json={"national_id": typo(REZAEI)},
        problem="invalid-input",
        errors=(("national_id", "NATIONAL_ID_CHECK_DIGIT"),),
    ),
    ApiCase(
        "date-too-old",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "service_date": (TODAY - timedelta(days=400)).isoformat()},
        problem="invalid-input",
        errors=(("service_date", "DATE_OUT_OF_RANGE"),),
    ),
    ApiCase(
        "date-next-month",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "service_date": (TODAY + timedelta(days=40)).isoformat()},
        problem="invalid-input",
        errors=(("service_date", "DATE_OUT_OF_RANGE"),),
    ),
    ApiCase(
        "date-not-a-date",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "service_date": "2026-02-30"},
        problem="invalid-input",
        errors=(("service_date", "INVALID_DATE"),),
    ),
    ApiCase(
        "date-with-time",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "service_date": f"{TODAY.isoformat()}T10:00"},
        problem="invalid-input",
        errors=(("service_date", "INVALID_DATE"),),
    ),
    ApiCase(
        "date-a-number",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "service_date": 20260101},
        problem="invalid-input",
        errors=(("service_date", "INVALID_DATE"),),
    ),
    ApiCase(
        "id-missing",
        "POST",
        INQ,
        422,
        json={},
        problem="invalid-input",
        errors=(("national_id", "REQUIRED"),),
    ),
    ApiCase(
        "id-a-number",
        "POST",
        INQ,
        422,
        json={"national_id": int(REZAEI)},
        problem="invalid-input",
        errors=(("national_id", "NOT_A_STRING"),),
    ),
    ApiCase(
        "id-too-short",
        "POST",
        INQ,
        422,
        json={"national_id": "12345"},
        problem="invalid-input",
        errors=(("national_id", "INVALID_NATIONAL_ID"),),
    ),
    ApiCase(
        "id-letters",
        "POST",
        INQ,
        422,
        json={"national_id": "10000000a1"},
        problem="invalid-input",
        errors=(("national_id", "INVALID_NATIONAL_ID"),),
    ),
    ApiCase(
        "id-huge",
        "POST",
        INQ,
        422,
        json={"national_id": "1" * 1000},
        problem="invalid-input",
        errors=(("national_id", "INVALID_NATIONAL_ID"),),
    ),
    ApiCase(
        "unknown-setting",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "setting": "dental"},
        problem="invalid-input",
        errors=(("setting", "INVALID_SETTING"),),
    ),
    ApiCase(
        "setting-null",
        "POST",
        INQ,
        422,
        json={"national_id": REZAEI, "setting": None},
        problem="invalid-input",
        errors=(("setting", "INVALID_SETTING"),),
    ),
    ApiCase(
        "every-field-wrong-at-once",
        "POST",
        INQ,
        422,
        json={"national_id": None, "service_date": [], "setting": 3},
        problem="invalid-input",
        errors=(
            ("national_id", "REQUIRED"),
            ("service_date", "INVALID_DATE"),
            ("setting", "INVALID_SETTING"),
        ),
    ),
    ApiCase(
        "array-not-object",
        "POST",
        INQ,
        422,
        json=[{"national_id": REZAEI}],
        problem="invalid-input",
        errors=(("", "NOT_AN_OBJECT"),),
    ),
    # Wrong methods and paths are problems too.
    ApiCase("get-collection", "GET", INQ, 405, problem="method-not-allowed"),
    ApiCase("delete-answer", "DELETE", f"{INQ}/4821-0937-5526", 405, problem="method-not-allowed"),
    ApiCase("no-such-path", "GET", "/api/v1/nothing", 404, problem="not-found"),
    # GET by code: a typo is 422, a code never given is 404.
    ApiCase(
        "code-typo",
        "GET",
        f"{INQ}/4821-0937-5527",
        422,
        problem="invalid-input",
        errors=(("tracking_code", "INVALID_TRACKING_CODE"),),
    ),
    ApiCase(
        "code-too-short",
        "GET",
        f"{INQ}/1234",
        422,
        problem="invalid-input",
        errors=(("tracking_code", "INVALID_TRACKING_CODE"),),
    ),
    ApiCase(
        "code-never-given",
        "GET",
        f"{INQ}/{TrackingCode.new().grouped()}",
        404,
        problem="not-found",
    ),
    ApiCase("batch-of-nobody", "GET", "/api/v1/batches/nope", 404, problem="not-found"),
]


async def send(client: Client, gw: WebGateway, case: ApiCase) -> tuple[aiohttp.ClientResponse, str]:
    """Send ``case``; return the response and its text."""
    headers = {**key_of(gw, case.key), **case.headers}
    kwargs: dict[str, Any] = {"headers": headers}
    if case.json is not NO_BODY:
        kwargs["json"] = case.json
    elif case.data is not None:
        kwargs["data"] = case.data
    response = await client.request(case.method, case.path, **kwargs)
    return response, await response.text()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_api_case(client: Client, gw: WebGateway, case: ApiCase) -> None:
    response, text = await send(client, gw, case)
    assert response.status == case.status, text
    body = json.loads(text)
    if case.problem:
        check_problem(response, body, case.problem)
        assert [(e["field"], e["code"]) for e in body.get("errors", [])] == list(case.errors)
        for e in body.get("errors", []):
            assert e["detail"], e
    else:
        assert response.content_type == "application/json"
        await check_provider_answer(gw, text, body)
    for name, expected in case.fields.items():
        if name == "reason_codes":
            assert [r["code"] for r in body["reasons"]] == expected, body
        else:
            assert body[name] == expected, body


async def test_unauthorized_names_the_scheme(client: Client, gw: WebGateway) -> None:
    for key in (None, "unknown"):
        response = await client.post(INQ, json={}, headers=key_of(gw, key))
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer ")


async def test_deactivated_provider_is_told_how_to_be_active_again(
    client: Client, gw: WebGateway
) -> None:
    response = await client.post(INQ, json={"national_id": REZAEI}, headers=key_of(gw, "inactive"))
    detail = (await response.json())["detail"]
    assert "deactivated" in detail
    assert "activated again" in detail
    # Nothing was asked, so nothing was logged on its behalf.
    assert await gw.store.answers.by_asker("provider", INACTIVE_ID) == []


async def test_reactivated_provider_is_answered_with_the_same_key(
    client: Client, gw: WebGateway
) -> None:
    await gw.store.providers.set_active(INACTIVE_ID, True)
    response = await client.post(INQ, json={"national_id": REZAEI}, headers=key_of(gw, "inactive"))
    assert response.status == 200


async def test_chunked_body_over_the_limit_is_413(client: Client, gw: WebGateway) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"national_id": "'
        for _ in range(10):
            yield b"1" * 1000
        yield b'"}'

    response = await client.post(
        INQ, data=chunks(), headers={**key_of(gw, "active"), "Content-Type": "application/json"}
    )
    check_problem(response, await response.json(content_type=None), "payload-too-large")


async def test_every_problem_type_dereferences(client: Client) -> None:
    for slug, kind in PROBLEM_TYPES.items():
        response = await client.get(kind.uri)
        assert response.status == 200, slug
        body = await response.json()
        assert (body["title"], body["status"]) == (kind.title, kind.status)


# ---------------------------------------------------------------------------------------
# Languages: Accept-Language where the catalog has it, else the first configured (fa).

LANGUAGE_CASES = [
    ("en", "en"),
    ("fa", "fa"),
    ("fa-IR,fa;q=0.9", "fa"),
    ("en-GB", "en"),
    ("de", "fa"),
    ("de, en;q=0.8, fa;q=0.5", "en"),
    ("fa;q=0.2, en;q=0.9", "en"),
    ("en;q=0, fa", "fa"),
    ("*", "fa"),
    ("", "fa"),
    (None, "fa"),
]


@pytest.mark.parametrize(("accept", "language"), LANGUAGE_CASES)
async def test_messages_in_the_accepted_language(
    client: Client, gw: WebGateway, accept: str | None, language: str
) -> None:
    headers = key_of(gw, "active")
    if accept is not None:
        headers["Accept-Language"] = accept
    w = Wording(language)
    response = await client.post(
        INQ, json={"national_id": IDS["rezaei-son-no-cert"]}, headers=headers
    )
    assert response.headers["Content-Language"] == language
    reason = (await response.json())["reasons"][0]
    assert reason["message"] == w.t("reason.STUDENT_CERTIFICATE_REQUIRED")
    assert reason["resolve_with"] == "student_certificate"
    refused = await client.post(INQ, json={"national_id": typo(REZAEI)}, headers=headers)
    assert (await refused.json())["errors"][0]["detail"] == w.t("error.NATIONAL_ID_CHECK_DIGIT")


async def test_english_and_persian_differ(client: Client, gw: WebGateway) -> None:
    """The catalogs are not the same text (else the table above proves nothing)."""
    assert Wording("fa").t("reason.STUDENT_CERTIFICATE_REQUIRED") != Wording("en").t(
        "reason.STUDENT_CERTIFICATE_REQUIRED"
    )


# ---------------------------------------------------------------------------------------
# Recorded answers: only for the provider that asked.


async def test_recorded_answer_only_for_its_provider(client: Client, gw: WebGateway) -> None:
    asked = await client.post(
        INQ,
        json={"national_id": IDS["ahmadi"]},
        headers={**key_of(gw, "active"), "Accept-Language": "en"},
    )
    answer = await asked.json()
    code = answer["tracking_code"]
    digits = code.replace("-", "")
    persian = digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    for written in (code, digits, f"{digits[:4]} {digits[4:8]} {digits[8:]}", persian):
        again = await client.get(
            f"{INQ}/{written}", headers={**key_of(gw, "active"), "Accept-Language": "en"}
        )
        assert again.status == 200, written
        assert await again.json() == answer
    for other in ("other", "inactive"):
        response = await client.get(f"{INQ}/{code}", headers=key_of(gw, other))
        assert response.status == (404 if other == "other" else 403)
    response = await client.get(f"{INQ}/{code}", headers=key_of(gw, "other"))
    body = await response.json()
    check_problem(response, body, "not-found")
    assert IDS["ahmadi"] not in json.dumps(body)


async def test_answers_of_other_channels_are_not_served(client: Client, gw: WebGateway) -> None:
    """A code an insured person got (same digits, other asker) is 404 to a provider."""
    principal = BY_KEY["rezaei"].row.phone
    assert principal is not None
    answer = await gw.tg.inquiries.ask(Asker.for_insured("sms", principal), REZAEI)
    assert answer.cover_end is not None  # the insured view: with the date cover ends
    response = await client.get(f"{INQ}/{answer.tracking_code}", headers=key_of(gw, "active"))
    body = await response.json(content_type=None)
    check_problem(response, body, "not-found")
    assert answer.cover_end.isoformat() not in json.dumps(body)


async def test_recorded_answer_in_another_language(client: Client, gw: WebGateway) -> None:
    """A code asked in Persian reads back in English: words follow the reader, not the log."""
    asked = await client.post(
        INQ, json={"national_id": IDS["karimi-son-lapsed"]}, headers=key_of(gw, "active")
    )
    code = (await asked.json())["tracking_code"]
    asker = Asker.for_provider("web", await provider(gw, ACTIVE_ID))
    shown = await gw.tg.inquiries.recorded(asker, TrackingCode.parse(code))
    assert shown is not None
    words = {
        lang: present(shown, Wording(lang), gw.tg.gateway.pack).reasons[0].message
        for lang in ("en", "fa")
    }
    assert words["en"] != words["fa"]
    assert (await asked.json())["reasons"][0]["message"] == words["fa"]
    english = await client.get(
        f"{INQ}/{code}", headers={**key_of(gw, "active"), "Accept-Language": "en"}
    )
    assert (await english.json())["reasons"][0]["message"] == words["en"]


# ---------------------------------------------------------------------------------------
# Quotas ([inquiries]): 429 with Retry-After, worded for whose quota it was. One provider's
# API and FHIR checks count together; another provider is not refused for one's excess.

FHIR = "/fhir/r4/CoverageEligibilityRequest"


def fhir_body(national_id: str) -> str:
    """A minimal CoverageEligibilityRequest about ``national_id``."""
    return json.dumps(
        {
            "resourceType": "CoverageEligibilityRequest",
            "purpose": ["validation"],
            "patient": {"identifier": {"value": national_id}},
        }
    )


async def ask_fhir(gw: WebGateway, key: str, national_id: str) -> aiohttp.ClientResponse:
    """Send a FHIR check about ``national_id`` with ``key`` (answers in English)."""
    return await gw.client.post(
        FHIR,
        data=fhir_body(national_id),
        headers={
            **gw.auth(key),
            "Content-Type": "application/fhir+json",
            "Accept-Language": "en",
        },
    )


async def provider(gw: WebGateway, provider_id: str) -> Any:
    """A provider as the store holds it."""
    found = await gw.store.providers.get(provider_id)
    assert found is not None
    return found


async def test_a_provider_past_its_share_of_one_person_does_not_lock_out_others(
    make_gateway: MakeGateway,
) -> None:
    gw = await open_web(make_gateway, inquiries={"provider_per_national_id": 2})
    english = {**key_of(gw, "active"), "Accept-Language": "en"}
    for _ in range(2):
        response = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=english)
        assert response.status == 200
    refused = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=english)
    body = await refused.json(content_type=None)
    check_problem(refused, body, "rate-limited")
    assert body["scope"] == "provider_national_id"
    assert body["detail"].startswith("You have checked this person too often.")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    # The same provider may still ask about someone else…
    other_person = await gw.client.post(INQ, json={"national_id": IDS["ahmadi"]}, headers=english)
    assert other_person.status == 200
    # …and another provider about this person, through FHIR.
    theirs = await ask_fhir(gw, gw.other_key, REZAEI)
    assert theirs.status == 200
    answer = await theirs.json(content_type=None)
    assert answer["outcome"] == "complete"
    assert answer["insurance"][0]["inforce"] is True
    assert len(await gw.mine()) == 3
    assert len(await gw.mine(gw.other.provider_id)) == 1


async def test_api_and_fhir_checks_of_one_provider_share_one_quota_per_person(
    make_gateway: MakeGateway,
) -> None:
    gw = await open_web(make_gateway, inquiries={"provider_per_national_id": 2})
    headers = {**key_of(gw, "active"), "Accept-Language": "en"}
    first = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=headers)
    second = await ask_fhir(gw, gw.active_key, REZAEI)
    assert (first.status, second.status) == (200, 200)
    by_fhir = await ask_fhir(gw, gw.active_key, REZAEI)
    assert by_fhir.status == 429
    assert by_fhir.content_type == "application/fhir+json"
    outcome = await by_fhir.json(content_type=None)
    assert outcome["resourceType"] == "OperationOutcome"
    assert [i["code"] for i in outcome["issue"]] == ["throttled"]
    assert outcome["issue"][0]["diagnostics"].startswith("You have checked this person too often")
    assert int(by_fhir.headers["Retry-After"]) >= 1
    by_api = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=headers)
    assert (await by_api.json(content_type=None))["scope"] == "provider_national_id"
    assert len(await gw.mine()) == 2


QUOTA_CASES = [
    # (label, [inquiries], providers asking in turn, expected scope of the last refusal)
    ("asker", {"provider_per_minute": 2}, ("active", "active", "active"), "asker"),
    (
        "ceiling",
        {"provider_per_national_id": 5, "national_id_ceiling": 2},
        ("active", "other", "active"),
        "national_id",
    ),
]


@pytest.mark.parametrize(
    ("label", "limits", "askers", "scope"), QUOTA_CASES, ids=[c[0] for c in QUOTA_CASES]
)
async def test_each_quota_is_worded_for_its_scope(
    make_gateway: MakeGateway,
    label: str,
    limits: dict[str, int],
    askers: tuple[str, ...],
    scope: str,
) -> None:
    gw = await open_web(make_gateway, inquiries=limits)
    statuses = []
    for name in askers:
        response = await gw.client.post(
            INQ, json={"national_id": REZAEI}, headers={**key_of(gw, name), "Accept-Language": "fa"}
        )
        statuses.append(response.status)
    assert statuses == [200, 200, 429], label
    body = await response.json(content_type=None)
    assert body["scope"] == scope
    minutes = Wording("fa").digits(str(max(1, -(-int(response.headers["Retry-After"]) // 60))))
    assert body["detail"] == Wording("fa").t(f"error.RATE_LIMITED.{scope}", minutes=minutes)
    assert response.headers["Content-Type"].startswith("application/problem+json")


async def test_recorded_answers_count_against_the_providers_own_quota(
    make_gateway: MakeGateway,
) -> None:
    gw = await open_web(make_gateway, inquiries={"provider_per_minute": 2})
    asked = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=key_of(gw, "active"))
    code = (await asked.json())["tracking_code"]
    again = await gw.client.get(f"{INQ}/{code}", headers=key_of(gw, "active"))
    limited = await gw.client.get(f"{INQ}/{code}", headers=key_of(gw, "active"))
    assert (asked.status, again.status) == (200, 200)
    body = await limited.json(content_type=None)
    check_problem(limited, body, "rate-limited")
    assert body["scope"] == "asker"
    other = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=key_of(gw, "other"))
    assert other.status == 200


async def test_batch_items_past_a_quota_are_refused_one_by_one(make_gateway: MakeGateway) -> None:
    gw = await open_web(make_gateway, WEB, inquiries={"provider_per_national_id": 2})
    items = [{"national_id": REZAEI}] * 3 + [{"national_id": IDS["ahmadi"]}]
    response = await gw.client.post(
        f"{INQ}/batch", json=items, headers={**key_of(gw, "active"), "Accept-Language": "en"}
    )
    assert response.status == 200
    body = await response.json()
    assert (body["answered"], body["refused"]) == (3, 1)
    [refusal] = [r["error"] for r in body["results"] if "error" in r]
    assert refusal["code"] == "RATE_LIMITED"
    assert refusal["scope"] == "provider_national_id"
    assert refusal["retry_after"] >= 1
    assert refusal["detail"].startswith("You have checked this person too often.")
    assert refusal["errors"][0]["field"] == "national_id"
    assert len(await gw.mine()) == 3


async def test_a_batch_is_one_request_against_the_providers_own_quota(
    make_gateway: MakeGateway,
) -> None:
    """A batch of many items is one request of the provider's per-minute budget (a full batch
    of 10,000 items must not be cut at 600); past the budget the whole batch is refused."""
    gw = await open_web(make_gateway, WEB, inquiries={"provider_per_minute": 2})
    people = ("rezaei", "ahmadi", "karimi", "karimi-wife", "rezaei-wife")
    headers = {**key_of(gw, "active"), "Accept-Language": "en"}
    response = await gw.client.post(
        f"{INQ}/batch", json=[{"national_id": IDS[p]} for p in people], headers=headers
    )
    body = await response.json()
    assert (body["answered"], body["refused"]) == (5, 0)
    single = await gw.client.post(INQ, json={"national_id": IDS["rezaei"]}, headers=headers)
    assert single.status == 200
    refused = await gw.client.post(
        f"{INQ}/batch", json=[{"national_id": IDS["rezaei"]}], headers=headers
    )
    problem = await refused.json(content_type=None)
    check_problem(refused, problem, "rate-limited")
    assert problem["scope"] == "asker"
    assert int(refused.headers["Retry-After"]) >= 1
    assert len(await gw.mine()) == 6


async def test_batch_items_count_against_the_per_person_quotas(make_gateway: MakeGateway) -> None:
    """Each item is an inquiry about its person: past one provider's share of a person, that
    item is refused for that person only."""
    gw = await open_web(make_gateway, WEB, inquiries={"provider_per_national_id": 2})
    batch = [{"national_id": IDS[p]} for p in ("rezaei", "rezaei", "rezaei", "ahmadi")]
    response = await gw.client.post(
        f"{INQ}/batch", json=batch, headers={**key_of(gw, "active"), "Accept-Language": "en"}
    )
    body = await response.json()
    assert (body["answered"], body["refused"]) == (3, 1)
    (refusal,) = [r["error"] for r in body["results"] if "error" in r]
    assert (refusal["scope"], refusal["errors"][0]["field"]) == (
        "provider_national_id",
        "national_id",
    )


async def test_batch_rate_limit(make_gateway: MakeGateway) -> None:
    gw = await open_web(make_gateway, {"batches_per_hour": 1})
    batch = [{"national_id": REZAEI}]
    headers = {**key_of(gw, "active"), "Accept-Language": "en"}
    first = await gw.client.post(f"{INQ}/batch", json=batch, headers=headers)
    second = await gw.client.post(f"{INQ}/batch", json=batch, headers=headers)
    assert first.status == 200
    body = await second.json(content_type=None)
    check_problem(second, body, "rate-limited")
    assert body["scope"] == "batches"
    assert "batches from this provider in an hour" in body["detail"]
    assert int(second.headers["Retry-After"]) >= 1
    # A refused batch answers nothing.
    assert len(await gw.mine()) == 1


async def test_a_moved_web_setting_stops_the_gateway_at_start_up(
    make_gateway: MakeGateway,
) -> None:
    with pytest.raises(SettingsError, match=re.escape("[inquiries] provider_per_minute")):
        await open_web(make_gateway, {"requests_per_minute": 10})


# ---------------------------------------------------------------------------------------
# A store that cannot answer: 503 with Retry-After, never a 500.


async def test_an_answer_that_cannot_be_logged_is_a_503(
    gw: WebGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("disk full")

    monkeypatch.setattr(gw.store.answers, "append", unavailable)
    headers = {**key_of(gw, "active"), "Accept-Language": "en"}
    response = await gw.client.post(INQ, json={"national_id": REZAEI}, headers=headers)
    body = await response.json(content_type=None)
    check_problem(response, body, "unavailable")
    assert response.headers["Retry-After"] == "5"
    assert body["detail"] == "The service cannot answer just now; retry in 5 seconds."
    assert "disk full" not in json.dumps(body)
    batch = await gw.client.post(f"{INQ}/batch", json=[{"national_id": REZAEI}], headers=headers)
    assert batch.status == 200  # the batch is kept; its item says it could not be answered
    [item] = (await batch.json())["results"]
    assert (item["error"]["code"], item["error"]["retry_after"]) == ("UNAVAILABLE", 5)


async def test_a_closed_sqlite_store_is_a_503(make_gateway: MakeGateway) -> None:
    gw = await open_web(make_gateway, store="sqlite")
    await gw.tg.gateway.store.close()
    response = await gw.client.post(
        INQ, json={"national_id": REZAEI}, headers={**key_of(gw, "active"), "Accept-Language": "fa"}
    )
    body = await response.json(content_type=None)
    check_problem(response, body, "unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert body["detail"] == Wording("fa").t("web.unavailable", seconds=Wording("fa").digits("5"))
    fhir = await ask_fhir(gw, gw.active_key, REZAEI)
    assert fhir.status == 503
    outcome = await fhir.json(content_type=None)
    assert [i["code"] for i in outcome["issue"]] == ["transient"]
    assert int(fhir.headers["Retry-After"]) >= 1


# ---------------------------------------------------------------------------------------
# Batches: JSON array, CSV, form upload; each item logged with its own code; downloads.

BATCH_ITEMS: list[Any] = [
    {"national_id": IDS["rezaei"]},
    {"national_id": IDS["rezaei-daughter-no-bc"], "setting": "outpatient"},
    {"national_id": IDS["karimi-mother"], "setting": "inpatient"},
    {"national_id": typo(IDS["karimi"])},
    {"national_id": IDS["ahmadi"], "service_date": "2001-01-01"},
]
BATCH_CSV = (
    "\ufeffNational_ID,service_date,setting\r\n"
    f"{IDS['rezaei']},,\r\n"
    f"{IDS['rezaei-daughter-no-bc']},,outpatient\r\n"
    f"{IDS['karimi-mother']},,inpatient\r\n"
    ",,\r\n"
    f"{typo(IDS['karimi'])}\r\n"
    f"{IDS['ahmadi']},2001-01-01\r\n"
)
EXPECTED_BATCH = [
    ("eligible", None),
    ("not_eligible", None),
    ("undetermined", None),
    (None, "NATIONAL_ID_CHECK_DIGIT"),
    (None, "DATE_OUT_OF_RANGE"),
]


def _batch_form() -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", BATCH_CSV.encode(), filename="inquiries.csv", content_type="text/csv")
    return form


BATCH_BODIES: dict[str, tuple[Any, dict[str, str]]] = {
    "json": (json.dumps(BATCH_ITEMS), {"Content-Type": "application/json"}),
    "csv": (BATCH_CSV.encode(), {"Content-Type": "text/csv; charset=utf-8"}),
    "upload": (None, {}),
}


@pytest.mark.parametrize("kind", list(BATCH_BODIES))
async def test_batch(client: Client, gw: WebGateway, kind: str) -> None:
    data, headers = BATCH_BODIES[kind]
    response = await client.post(
        f"{INQ}/batch",
        data=_batch_form() if kind == "upload" else data,
        headers={**key_of(gw, "active"), **headers, "Accept-Language": "en"},
    )
    text = await response.text()
    assert response.status == 200, text
    body = json.loads(text)
    assert (body["count"], body["answered"], body["refused"]) == (5, 3, 2)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(5))
    got = [(r.get("status"), r.get("error", {}).get("code")) for r in results]
    assert got == EXPECTED_BATCH
    codes = [r["tracking_code"] for r in results if "tracking_code" in r]
    assert len(set(codes)) == 3
    for r in results:
        if "tracking_code" in r:
            await check_provider_answer(gw, json.dumps(r, ensure_ascii=False), r)
    mine = await gw.store.answers.by_asker("provider", ACTIVE_ID)
    assert {rec.tracking_code.grouped() for rec in mine} == set(codes)
    assert {rec.draft.channel for rec in mine} == {"web"}
    assert results[3]["error"]["errors"][0]["field"] == "national_id"
    assert "cover_end" not in text

    batch_id = body["batch_id"]
    as_json = await client.get(
        body["links"]["json"], headers={**key_of(gw, "active"), "Accept-Language": "en"}
    )
    assert as_json.status == 200
    assert (await as_json.json())["results"] == results
    for how in ({"format": "csv"}, {"Accept": "text/csv"}):
        query = "?format=csv" if "format" in how else ""
        headers = key_of(gw, "active") | ({} if "format" in how else dict(how))
        as_csv = await client.get(f"/api/v1/batches/{batch_id}{query}", headers=headers)
        assert as_csv.status == 200
        assert as_csv.content_type == "text/csv"
        assert "attachment" in as_csv.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(await as_csv.text())))
        assert [r["tracking_code"] for r in rows if r["tracking_code"]] == codes
        assert [r["error_code"] for r in rows] == ["", "", "", *[c for _, c in EXPECTED_BATCH[3:]]]
        assert rows[1]["reason_codes"] == "BIRTH_CERTIFICATE_REQUIRED"
    not_theirs = await client.get(f"/api/v1/batches/{batch_id}", headers=key_of(gw, "other"))
    check_problem(not_theirs, await not_theirs.json(content_type=None), "not-found")


async def test_batch_answered_as_csv_directly(client: Client, gw: WebGateway) -> None:
    response = await client.post(
        f"{INQ}/batch?format=csv", json=BATCH_ITEMS[:2], headers=key_of(gw, "active")
    )
    assert response.status == 200
    assert response.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [r["status"] for r in rows] == ["eligible", "not_eligible"]
    for row in rows:
        assert await logged(gw.store, row["tracking_code"])


BATCH_REFUSALS = [
    ApiCase(
        "too-many-items",
        "POST",
        f"{INQ}/batch",
        413,
        json=[{"national_id": REZAEI}] * 6,
        problem="payload-too-large",
        fields={"max_items": 5},
    ),
    ApiCase(
        "too-many-csv-rows",
        "POST",
        f"{INQ}/batch",
        413,
        data="national_id\n" + f"{REZAEI}\n" * 6,
        headers={"Content-Type": "text/csv"},
        problem="payload-too-large",
    ),
    ApiCase(
        "too-many-bytes",
        "POST",
        f"{INQ}/batch",
        413,
        data="national_id\n" + f"{REZAEI}\n" * 2000,
        headers={"Content-Type": "text/csv"},
        problem="payload-too-large",
    ),
    ApiCase(
        "empty-array",
        "POST",
        f"{INQ}/batch",
        422,
        json=[],
        problem="invalid-input",
        errors=(("", "EMPTY"),),
    ),
    ApiCase(
        "object-not-array",
        "POST",
        f"{INQ}/batch",
        422,
        json={"national_id": REZAEI},
        problem="invalid-input",
        errors=(("", "NOT_AN_ARRAY"),),
    ),
    ApiCase(
        "csv-without-id-column",
        "POST",
        f"{INQ}/batch",
        400,
        data="id\n1\n",
        headers={"Content-Type": "text/csv"},
        problem="malformed-body",
    ),
    ApiCase(
        "csv-empty",
        "POST",
        f"{INQ}/batch",
        400,
        data="",
        headers={"Content-Type": "text/csv"},
        problem="malformed-body",
    ),
    ApiCase(
        "csv-not-utf8",
        "POST",
        f"{INQ}/batch",
        400,
        data=b"national_id\n\xff\xfe\n",
        headers={"Content-Type": "text/csv"},
        problem="malformed-body",
    ),
    ApiCase(
        "lone-surrogate-item",
        "POST",
        f"{INQ}/batch",
        400,
        data='[{"national_id": "\\udc00"}]',
        headers={"Content-Type": "application/json"},
        problem="malformed-body",
    ),
    ApiCase(
        "multipart-without-boundary",
        "POST",
        f"{INQ}/batch",
        400,
        data="--x\r\n\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data"},
        problem="malformed-body",
    ),
    ApiCase(
        "xml",
        "POST",
        f"{INQ}/batch",
        415,
        data="<batch/>",
        headers={"Content-Type": "application/xml"},
        problem="unsupported-media-type",
    ),
    ApiCase(
        "unknown-format",
        "POST",
        f"{INQ}/batch?format=xlsx",
        406,
        json=[{"national_id": REZAEI}],
        problem="not-acceptable",
    ),
    ApiCase(
        "batch-deactivated",
        "POST",
        f"{INQ}/batch",
        403,
        key="inactive",
        json=[{"national_id": REZAEI}],
        problem="provider-deactivated",
    ),
    ApiCase(
        "batch-no-key",
        "POST",
        f"{INQ}/batch",
        401,
        key=None,
        json=[{"national_id": REZAEI}],
        problem="unauthorized",
    ),
]


@pytest.mark.parametrize("case", BATCH_REFUSALS, ids=[c.id for c in BATCH_REFUSALS])
async def test_batch_refusal(client: Client, gw: WebGateway, case: ApiCase) -> None:
    response, text = await send(client, gw, case)
    assert response.status == case.status, text
    body = json.loads(text)
    check_problem(response, body, str(case.problem))
    assert [(e["field"], e["code"]) for e in body.get("errors", [])] == list(case.errors)
    for name, expected in case.fields.items():
        assert body[name] == expected
    # A refused batch logs nothing.
    assert await gw.store.answers.by_asker("provider", ACTIVE_ID) == []


async def test_upload_without_file_field(client: Client, gw: WebGateway) -> None:
    form = aiohttp.FormData()
    form.add_field("other", b"x", filename="other.csv", content_type="text/csv")
    response = await client.post(f"{INQ}/batch", data=form, headers=key_of(gw, "active"))
    body = await response.json(content_type=None)
    check_problem(response, body, "invalid-input")
    assert body["errors"][0]["field"] == "file"


async def test_upload_as_plain_field(client: Client, gw: WebGateway) -> None:
    form = aiohttp.FormData()
    form.add_field("file", f"national_id\n{REZAEI}\n")
    form.add_field("note", "x", filename="n.txt")  # forces multipart
    response = await client.post(f"{INQ}/batch", data=form, headers=key_of(gw, "active"))
    assert response.status == 200
    assert (await response.json())["answered"] == 1


# ---------------------------------------------------------------------------------------
# Never a 5xx, whatever arrives.

GARBAGE: list[tuple[str, str, Any, str]] = [
    (INQ, "application/json", "null", ""),
    (INQ, "application/json", "1e999999", ""),
    (INQ, "application/json", '{"national_id": "\\u0000"}', ""),
    (INQ, "application/json", '{"national_id": "\\ud83d\\ude00"}', ""),
    (INQ, "application/json", '{"national_id": "1", "national_id": "2"}', ""),
    (INQ, "application/json", '{"national_id": NaN}', ""),
    (INQ, "application/json; charset=latin-1", '{"national_id": "1"}', ""),
    (INQ, "application/json", "", ""),
    (f"{INQ}/batch", "application/json", '[null, 1, "x", [], {"national_id": {}}]', ""),
    (f"{INQ}/batch", "application/json", '[{"national_id": "\\ud800\\udc00"}]', ""),
    (f"{INQ}/batch", "text/csv", 'national_id\n"unterminated\n', ""),
    (f"{INQ}/batch", "text/csv", "national_id\n1\x002\n", ""),
    (f"{INQ}/batch", "text/csv", "national_id,setting\n" + REZAEI + ",x,y,z\n", ""),
    (f"{INQ}/batch", "multipart/form-data; boundary=x", "garbage", ""),
    (f"{INQ}/batch", "multipart/form-data; boundary=x", "--x\r\nBad\x01: y\r\n\r\n--x--", ""),
    (f"{INQ}/batch", "", "", ""),
    (INQ, "application/json", '{"national_id": "1"}', "Accept-Language: " + "x," * 500),
]


@pytest.mark.parametrize(("path", "content_type", "data", "extra"), GARBAGE)
async def test_never_a_server_error(
    client: Client, gw: WebGateway, path: str, content_type: str, data: Any, extra: str
) -> None:
    headers = key_of(gw, "active")
    if content_type:
        headers["Content-Type"] = content_type
    if extra:
        name, _, value = extra.partition(": ")
        headers[name] = value
    response = await client.post(path, data=data.encode(), headers=headers)
    text = await response.text()
    assert response.status < 500, text
    if response.status >= 400:
        assert response.content_type == "application/problem+json", text
    else:
        body = json.loads(text)
        for r in body.get("results", [body]):
            if "tracking_code" in r:
                assert await logged(gw.store, r["tracking_code"])


# ---------------------------------------------------------------------------------------
# Health, readiness, metrics.


async def test_health_ready_metrics(client: Client, gw: WebGateway) -> None:
    health = await client.get("/healthz")
    assert health.status == 200
    assert (await health.json())["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ok"
    for persona in ("rezaei", "ahmadi", "karimi-wife"):
        await client.post(INQ, json={"national_id": IDS[persona]}, headers=key_of(gw, "active"))
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    assert metrics.content_type == "text/plain"
    text = await metrics.text()
    for status in ("eligible", "not_eligible", "undetermined"):
        assert f'eligibility_answers_total{{channel="web",status="{status}"}}' in text
    assert 'eligibility_answer_seconds_bucket{channel="web",le="0.005"}' in text
    assert (
        'eligibility_requests_total{channel="web",method="POST",route="/api/v1/inquiries",'
        'status_class="2xx"}' in text
    )
    assert REZAEI not in text


async def test_metrics_count_the_keys_of_the_in_memory_state(
    client: Client, gw: WebGateway
) -> None:
    def held(text: str) -> int:
        line = next(x for x in text.splitlines() if x.startswith("eligibility_state_keys "))
        return int(float(line.split()[1]))

    before = held(await (await client.get("/metrics")).text())
    assert before == len(gw.tg.gateway.state)  # type: ignore[arg-type]
    for persona in ("rezaei", "ahmadi", "karimi-wife"):
        await client.post(INQ, json={"national_id": IDS[persona]}, headers=key_of(gw, "active"))
    after = held(await (await client.get("/metrics")).text())
    # Rate counters per provider key and per person: one more key for each person asked about.
    assert after == len(gw.tg.gateway.state)  # type: ignore[arg-type]
    assert after >= before + 3


async def test_not_ready_when_the_store_is_gone(make_gateway: MakeGateway) -> None:
    gw = await open_web(make_gateway, store="sqlite")
    await gw.tg.gateway.store.close()
    ready = await gw.client.get("/readyz")
    health = await gw.client.get("/healthz")
    assert ready.status == 503
    assert (await ready.json())["status"] == "unavailable"
    assert health.status == 200
