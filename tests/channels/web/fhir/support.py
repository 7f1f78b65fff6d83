"""FHIR test support: every resource received is checked by HL7's official R4 JSON schema and
by the ``fhir.resources`` models; requests are built as clients build them.

HL7's schema (``tests/fhir/fhir.schema.json.gz``, CC0) writes its string patterns for
JavaScript, where ``\\s`` also matches U+FEFF and every Unicode space: read by Python's ``re``
they would let a byte-order mark through. The four patterns using ``\\s`` are rewritten here
with JavaScript's white space spelled out; any other pattern using it fails loudly, so a new
schema cannot slip through half-checked.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from fhir.resources.R4B import get_fhir_model_class
from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

from eligibility_gw.channels.web.fhir import codes
from tests.channels.web.support import today

SCHEMA_PATH = Path(__file__).parents[3] / "fhir" / "fhir.schema.json.gz"
#: What the test gateways' ``[server] public_base_url`` makes the FHIR base.
BASE = "https://gw.example.org/fhir/r4"
URL = "/fhir/r4/CoverageEligibilityRequest"
SUBMIT = "/fhir/r4/CoverageEligibilityRequest/$submit"
FHIR_JSON = "application/fhir+json"
JSON_TYPES = (FHIR_JSON, "application/json+fhir", "application/json")
SETTING_URL = codes.setting_extension_url(BASE)
TODAY = today()

#: ECMA-262 WhiteSpace and LineTerminator: what ``\s`` matches in JavaScript.
_JS_SPACE = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
#: The same without the four a FHIR string may hold (space, CR, LF, tab).
_JS_SPACE_NOT_IN_STRINGS = (
    "\\v\\f\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_AS_JAVASCRIPT = {
    "^\\S*$": f"^[^{_JS_SPACE}]*$",
    "^[^\\s]+(\\s[^\\s]+)*$": f"^[^{_JS_SPACE}]+([{_JS_SPACE}][^{_JS_SPACE}]+)*$",
    "^[ \\r\\n\\t\\S]+$": f"^[^{_JS_SPACE_NOT_IN_STRINGS}]+$",
    "^(\\s*([0-9a-zA-Z\\+/=]){4}\\s*)+$": (
        f"^([{_JS_SPACE}]*([0-9a-zA-Z\\+/=]){{4}}[{_JS_SPACE}]*)+$"
    ),
}


#: The FHIRVersion codes as the schema lists them. The schema was generated before R4's
#: technical correction 4.0.1 joined the FHIRVersion value set, so it refuses the version R4
#: servers publish (and the issue asks for): 4.0.1 is added to exactly this list, nothing else.
_FHIR_VERSIONS_AS_GENERATED = [
    "0.01", "0.05", "0.06", "0.11", "0.0.80", "0.0.81", "0.0.82", "0.4.0", "0.5.0", "1.0.0",
    "1.0.1", "1.0.2", "1.1.0", "1.4.0", "1.6.0", "1.8.0", "3.0.0", "3.0.1", "3.3.0", "3.5.0",
    "4.0.0",
]  # fmt: skip


def _javascript_patterns(node: Any) -> Any:
    """The schema with every pattern meaning what it means in JavaScript (and 4.0.1 among
    the FHIR versions)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "enum" and value == _FHIR_VERSIONS_AS_GENERATED:
                out[key] = [*value, "4.0.1"]
                continue
            if key == "pattern" and isinstance(value, str):
                assert value in _AS_JAVASCRIPT or ("\\s" not in value and "\\S" not in value)
                out[key] = _AS_JAVASCRIPT.get(value, value)
            else:
                out[key] = _javascript_patterns(value)
        return out
    if isinstance(node, list):
        return [_javascript_patterns(v) for v in node]
    return node


@functools.cache
def _schema() -> dict[str, Any]:
    with gzip.open(SCHEMA_PATH, "rt", encoding="utf-8") as fh:
        schema = json.load(fh)
    assert schema["id"] == "http://hl7.org/fhir/json-schema/4.0"
    return dict(_javascript_patterns(schema))


@functools.cache
def _validator(resource_type: str) -> Draft6Validator:
    """The schema with its root ``oneOf`` narrowed to one resource type (what the schema's
    discriminator says), so that a failure names the fields at fault."""
    schema = _schema()
    assert resource_type in schema["discriminator"]["mapping"], resource_type
    narrowed = {**schema, "oneOf": [{"$ref": f"#/definitions/{resource_type}"}]}
    return Draft6Validator(narrowed)


def schema_errors(resource: Any) -> list[str]:
    """What HL7's R4 JSON schema finds wrong with ``resource`` (nothing: valid)."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return ["not a resource"]
    found = []
    for error in _validator(resource["resourceType"]).iter_errors(resource):
        # The root oneOf fails as a whole: its best sub-error names the field at fault.
        deepest = best_match(error.context) if error.context else error
        found.append(f"{'/'.join(map(str, deepest.absolute_path))}: {deepest.message[:200]}")
    return found


def valid_resource(resource: Any) -> dict[str, Any]:
    """``resource``, once HL7's schema and the R4B model find nothing wrong with it."""
    errors = schema_errors(resource)
    assert not errors, (errors, resource)
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    return dict(resource)


async def received(
    response: aiohttp.ClientResponse, status: int | None = None, kind: str | None = None
) -> dict[str, Any]:
    """The resource of a FHIR response: JSON of a FHIR type, valid, of ``kind`` if given."""
    text = await response.text()
    if status is not None:
        assert response.status == status, (response.status, text)
    assert response.content_type in JSON_TYPES, (response.content_type, text)
    data = valid_resource(json.loads(text))
    if kind is not None:
        assert data["resourceType"] == kind, data
    return data


def issue_codes(outcome: Mapping[str, Any]) -> list[str]:
    """The codes of an OperationOutcome's issues."""
    assert outcome["resourceType"] == "OperationOutcome", outcome
    return [str(i["code"]) for i in outcome["issue"]]


def codes_in(response: Mapping[str, Any], system: str) -> list[str]:
    """The codes of every ``error[]`` of a response in ``system``."""
    return [
        str(coding["code"])
        for error in response.get("error", [])
        for coding in error["code"].get("coding", [])
        if coding.get("system") == system
    ]


def reason_codes(response: Mapping[str, Any]) -> list[str]:
    """The gateway's reason codes in a response's ``error[]``."""
    return codes_in(response, codes.REASON_SYSTEM)


def inforce(response: Mapping[str, Any]) -> bool | None:
    """``insurance[0].inforce`` (None when absent: undetermined)."""
    [insurance] = response["insurance"]
    value = insurance.get("inforce")
    assert value is None or isinstance(value, bool)
    return value


#: How a request may name the setting: the coding of ``item.category``, or the extension.
SETTING_BY: dict[str, dict[str, tuple[str, str] | None]] = {
    "x12": {
        "inpatient": (codes.X12_SERVICE_TYPE, "48"),
        "outpatient": (codes.X12_SERVICE_TYPE, "50"),
    },
    "benefit": {
        "inpatient": (codes.BENEFIT_CATEGORY, "49"),
        "outpatient": (codes.BENEFIT_CATEGORY, "30"),
    },
    "extension": {"inpatient": None, "outpatient": None},
}


def coverage_request(
    national_id: str | None,
    *,
    served: date | str | None = None,
    period: tuple[date | str, date | str] | None = None,
    setting: str | None = None,
    by: str = "x12",
    purpose: tuple[str, ...] = ("validation",),
    contained: bool = False,
    request_id: str | None = "req-1",
    checked: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A CoverageEligibilityRequest as a client builds it, valid by the R4B model and HL7's
    schema unless not ``checked`` (``extra`` fields are added after the checks)."""
    data: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": list(purpose),
        "created": TODAY.isoformat(),
        "insurer": {"display": "Tamin Ejtemaei"},
        "patient": {"display": "a patient"},
    }
    if request_id:
        data["id"] = request_id
    if national_id is not None and contained:
        data["contained"] = [
            {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [{"system": "urn:oid:1.2.364.1", "value": national_id}],
            }
        ]
        data["patient"] = {"reference": "#p1"}
    elif national_id is not None:
        data["patient"] = {"identifier": {"system": "urn:oid:1.2.364.1", "value": national_id}}
    if served is not None:
        data["servicedDate"] = str(served)
    if period is not None:
        data["servicedPeriod"] = {"start": str(period[0]), "end": str(period[1])}
    if setting is not None:
        coding = SETTING_BY[by][setting]
        if coding is None:
            data["extension"] = [{"url": SETTING_URL, "valueCode": setting}]
        else:
            data["item"] = [{"category": {"coding": [{"system": coding[0], "code": coding[1]}]}}]
    if checked:
        valid_resource(data)
    return {**data, **extra}
