"""The provider JSON API and the FHIR endpoint under hostile input.

Whatever is sent, the API answers 2xx or a 4xx problem document (RFC 9457) and FHIR a
resource or an OperationOutcome, both in their own content types; never a 5xx or a trace.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from eligibility_gw.demo import persona_id
from eligibility_gw.rulepacks import load_rule_pack
from tests.conftest import ir_id, with_bad_check_digit
from tests.hostile.strategies import (
    CONTENT_TYPES,
    encoded,
    field_value,
    header_values,
    json_values,
    nasty_text,
    raw_bodies,
)
from tests.hostile.support import (
    CLOSED_KEY,
    PROVIDER_KEY,
    UNKNOWN_KEY,
    Answer,
    Hostile,
    assert_problem,
    assert_sound,
)

PACK = load_rule_pack("ir-tamin")
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
IDS = (
    persona_id(PACK, 1),
    persona_id(PACK, 5),
    ir_id(3),
    with_bad_check_digit(persona_id(PACK, 1)),
    "۱۰۰۰۰۰۰۰۱۱",
    "100-000-0011",
    "",
    "0000000000",
)
DATES = (
    date.today().isoformat(),
    (date.today() - timedelta(days=400)).isoformat(),
    "2026-02-30",
    "1404-09-02",
    "20260101",
    "9999-12-31",
)
FHIR_JSON = "application/fhir+json"


def anything() -> st.SearchStrategy[Any]:
    """Any JSON value."""
    return json_values(6)


def authorizations() -> st.SearchStrategy[str | None]:
    """The Authorization header: mostly a working key; else any other key, or none."""
    good = st.just(f"Bearer {PROVIDER_KEY}")
    return st.one_of(
        *[good] * 6,
        st.sampled_from(
            [
                None,
                "",
                "Bearer",
                "Bearer ",
                f"Bearer {CLOSED_KEY}",
                f"Bearer {UNKNOWN_KEY}",
                f"bearer  {PROVIDER_KEY}  ",
                f"Basic {PROVIDER_KEY}",
                "Bearer " + "k" * 4000,
            ]
        ),
        header_values(200),
        header_values(100).map(lambda v: "Bearer " + v),
    )


def headers(authorization: str | None, language: str) -> dict[str, str]:
    """Request headers with an Authorization (or none) and an Accept-Language."""
    found = {"Accept-Language": language}
    if authorization is not None:
        found["Authorization"] = authorization
    return found


def languages() -> st.SearchStrategy[str]:
    """Accept-Language headers, sane and not."""
    return st.one_of(
        st.sampled_from(["fa", "en", "en-US,fa;q=0.5", "*", "fa;q=x", "xx;q=-1", ",,,;;;"]),
        header_values(60),
    )


@st.composite
def inquiries(draw: st.DrawFn) -> Any:
    """An inquiry object with fields present, missing, malformed or of the wrong type."""
    if draw(st.integers(0, 5)) == 0:
        return draw(anything())
    if draw(st.booleans()):  # a sound one, as most callers send
        return {"national_id": draw(st.sampled_from(IDS[:3]))}
    item: dict[str, Any] = {}
    if draw(st.integers(0, 5)):
        item["national_id"] = draw(
            st.one_of(st.sampled_from(IDS), st.sampled_from(IDS), field_value(IDS), anything())
        )
    if draw(st.booleans()):
        item["service_date"] = draw(
            st.one_of(st.sampled_from(DATES), field_value(DATES), anything())
        )
    if draw(st.booleans()):
        item["setting"] = draw(
            st.one_of(st.sampled_from(["outpatient", "inpatient", "dental"]), anything())
        )
    if draw(st.integers(0, 4)) == 0:
        item[draw(nasty_text(10))] = draw(anything())
    return item


def json_bodies(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Mostly ``values`` as JSON; else the same re-encoded or broken, or no JSON at all."""
    proper = values.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8"))
    return st.one_of(
        proper,
        proper,
        proper,
        proper.flatmap(lambda raw: encoded(st.just(raw.decode("utf-8")))),
        raw_bodies(),
    )


def json_content_types(*right: str) -> st.SearchStrategy[str | None]:
    """Mostly a right content type."""
    return st.one_of(st.sampled_from(right), st.sampled_from(right), st.sampled_from(CONTENT_TYPES))


def assert_api(answer: Answer) -> None:
    """Sound, and a 4xx is a problem document."""
    assert_sound(answer, "api")
    if answer.status >= 400:
        assert_problem(answer)
    else:
        assert answer.content_type in ("application/json", "text/csv"), answer


@HOSTILE
@given(
    body=json_bodies(inquiries()),
    content_type=json_content_types("application/json"),
    authorization=authorizations(),
    language=languages(),
)
async def test_inquiries_are_answered_or_refused_as_problems(
    gateway: Hostile,
    body: bytes,
    content_type: str | None,
    authorization: str | None,
    language: str,
) -> None:
    answer = await gateway.send(
        "POST", "/api/v1/inquiries", body, content_type, headers(authorization, language)
    )
    assert_api(answer)
    if answer.status == 200:
        gateway.answered.append(answer.json()["tracking_code"])
    await gateway.assert_nothing_lost()


def csv_bodies() -> st.SearchStrategy[bytes]:
    """A batch as CSV: a header (or not) and rows of hostile cells."""
    cell = st.one_of(st.sampled_from(IDS), st.sampled_from(DATES), field_value(IDS))
    header = st.one_of(
        st.just("national_id,service_date,setting"),
        st.just("\ufeffNational_ID"),
        nasty_text(30),
    )
    rows = st.lists(st.lists(cell, max_size=4).map(",".join), max_size=6)
    text = st.builds(lambda h, r: "\r\n".join([h, *r]), header, rows)
    return st.one_of(text.map(str.encode), encoded(text))


@HOSTILE
@given(
    kind=st.sampled_from(["json", "json", "csv", "multipart"]),
    items=st.lists(inquiries(), max_size=8),
    csv_body=csv_bodies(),
    content_type=st.sampled_from(CONTENT_TYPES),
    authorization=authorizations(),
    output=st.sampled_from(["", "?format=csv", "?format=json", "?format=xml", "?format="]),
)
async def test_batches_are_answered_or_refused_as_problems(
    gateway: Hostile,
    kind: str,
    items: list[Any],
    csv_body: bytes,
    content_type: str | None,
    authorization: str | None,
    output: str,
) -> None:
    path = "/api/v1/inquiries/batch" + output
    hdrs = headers(authorization, "en")
    if kind == "json":
        body, declared = json.dumps(items).encode(), "application/json"
    elif kind == "csv":
        body, declared = csv_body, "text/csv"
    else:
        boundary = "hostileboundary"
        body = (
            (
                f"--{boundary}\r\nContent-Disposition: form-data; name=file; filename=b.csv\r\n"
                f"Content-Type: text/csv\r\n\r\n"
            ).encode()
            + csv_body
            + f"\r\n--{boundary}--\r\n".encode()
        )
        declared = f"multipart/form-data; boundary={boundary}"
    if content_type is not None and content_type.startswith("a/"):  # declared wrongly
        declared = content_type
    answer = await gateway.send("POST", path, body, declared, hdrs)
    assert_api(answer)
    if answer.status == 200 and answer.content_type == "application/json":
        batch = answer.json()
        gateway.answered.extend(
            r["tracking_code"] for r in batch["results"] if "tracking_code" in r
        )
        again = await gateway.send("GET", f"/api/v1/batches/{batch['batch_id']}", headers=hdrs)
        assert again.status == 200 and again.json()["results"] == batch["results"]
    await gateway.assert_nothing_lost()


@HOSTILE
@given(
    route=st.sampled_from(["/api/v1/inquiries/", "/api/v1/batches/", "/problems/"]),
    segment=st.one_of(
        st.sampled_from(["4821-0937-5526", "482109375526", "۴۸۲۱۰۹۳۷۵۵۲۶", "..", "%00"]),
        nasty_text(60),
    ),
    query=st.dictionaries(st.sampled_from(["format", "lang", "page"]), nasty_text(20), max_size=2),
    authorization=authorizations(),
)
async def test_lookups_by_address_are_answered_or_refused_as_problems(
    gateway: Hostile, route: str, segment: str, query: dict[str, str], authorization: str | None
) -> None:
    url = URL(route + quote(segment, safe=""), encoded=True).with_query(query)
    answer = await gateway.send("GET", url, headers=headers(authorization, "fa"))
    assert_sound(answer, "lookup")
    if route != "/problems/" and answer.status >= 400:
        assert_problem(answer)


@st.composite
def fhir_requests(draw: st.DrawFn) -> Any:
    """A CoverageEligibilityRequest with parts missing, malformed or of the wrong type."""
    patient: Any = {"identifier": {"system": "urn:oid:ir", "value": draw(st.sampled_from(IDS))}}
    resource: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "id": draw(st.one_of(st.just("req-1"), nasty_text(70))),
        "status": "active",
        "purpose": ["validation"],
        "patient": patient,
        "created": "2026-11-23",
        "insurer": {"display": "x"},
    }
    if draw(st.booleans()):
        resource["servicedDate"] = draw(st.one_of(st.sampled_from(DATES), anything()))
    if draw(st.booleans()):
        resource["patient"] = {"reference": "#p1"}
        resource["contained"] = [
            {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [{"value": draw(st.one_of(field_value(IDS), anything()))}],
            }
        ]
    if draw(st.booleans()):
        resource["extension"] = [
            {
                "url": "https://example.org/service-setting",
                "valueCode": draw(st.one_of(st.just("inpatient"), anything())),
            }
        ]
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        name = draw(st.sampled_from(sorted(resource)))
        if draw(st.booleans()):
            resource[name] = draw(anything())
        else:
            del resource[name]
    return resource


@HOSTILE
@given(
    body=json_bodies(st.one_of(fhir_requests(), fhir_requests(), anything())),
    content_type=json_content_types(FHIR_JSON, "application/json"),
    authorization=authorizations(),
    language=languages(),
)
async def test_fhir_answers_a_resource_or_an_operation_outcome(
    gateway: Hostile,
    body: bytes,
    content_type: str | None,
    authorization: str | None,
    language: str,
) -> None:
    answer = await gateway.send(
        "POST",
        "/fhir/r4/CoverageEligibilityRequest",
        body,
        content_type,
        headers(authorization, language),
    )
    assert_sound(answer, "fhir")
    assert answer.content_type == FHIR_JSON, answer
    resource = answer.json()
    if answer.status == 200:
        assert resource["resourceType"] == "CoverageEligibilityResponse"
        if resource["outcome"] == "complete":
            gateway.answered.append(resource["id"])
    else:
        assert 400 <= answer.status < 500, answer
        assert resource["resourceType"] == "OperationOutcome"
        assert resource["issue"][0]["diagnostics"]
    await gateway.assert_nothing_lost()
