"""What the endpoint publishes about itself: its CapabilityStatement, and the definitions of
its own extension, codes and operation, each served at its canonical URL.

Canonical URLs live under the FHIR base of ``[server] public_base_url``, so that each one
resolves to the gateway that uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eligibility_gw import __version__
from eligibility_gw.channels.web.fhir import codes
from eligibility_gw.channels.web.fhir.negotiation import FHIR_JSON

PUBLISHER = "eligibility-gw"
#: When the definitions below last changed (their ``date``).
DEFINITIONS_DATE = "2026-12-06"


def capability_statement(base: str, scheme: str) -> dict[str, Any]:
    """The CapabilityStatement: exactly the interactions and operation served."""
    extension = codes.setting_extension_url(base)
    return {
        "resourceType": "CapabilityStatement",
        "id": "eligibility-gw",
        "url": f"{base}/metadata",
        "version": __version__,
        "name": "EligibilityGateway",
        "title": f"{scheme} treatment-eligibility gateway",
        "status": "active",
        "date": DEFINITIONS_DATE,
        "publisher": PUBLISHER,
        "description": (
            "Answers whether a person is covered for treatment on a date or over a period, "
            "in a setting, and if not why, as a CoverageEligibilityResponse whose id is the "
            "answer's tracking code."
        ),
        "kind": "instance",
        "software": {"name": "eligibility-gw", "version": __version__},
        "implementation": {"description": f"{scheme} eligibility gateway", "url": base},
        "fhirVersion": codes.FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "JSON only: _format and Accept may name json, application/fhir+json, "
                    "application/json or application/json+fhir; XML is answered 406."
                ),
                "security": {
                    "cors": False,
                    "service": [{"text": "Bearer API key"}],
                    "description": (
                        "Send the provider's API key as 'Authorization: Bearer <key>' with "
                        "every request and read. The CapabilityStatement and the definitions "
                        "need none."
                    ),
                },
                "resource": [
                    {
                        "type": "CoverageEligibilityRequest",
                        "documentation": (
                            "purpose 'validation'; the patient by identifier (the national "
                            "id); servicedDate or servicedPeriod (covered only when covered "
                            "on every day of it); the setting in item.category (X12 service "
                            "type codes, HL7 benefit categories) or the extension "
                            f"{extension}. Requests are not kept: only the answer is."
                        ),
                        "interaction": [
                            {
                                "code": "create",
                                "documentation": (
                                    "Answers synchronously, 200 with the "
                                    "CoverageEligibilityResponse (Prefer: return="
                                    "representation, the default), an OperationOutcome "
                                    "(return=OperationOutcome) or no body (return=minimal); "
                                    "Location names the response."
                                ),
                            }
                        ],
                        "operation": [
                            {
                                "name": "submit",
                                "definition": codes.submit_definition(base),
                                "documentation": (
                                    "POST [base]/CoverageEligibilityRequest/$submit with the "
                                    "request (or Parameters with it as 'resource'): the "
                                    "same answer as create."
                                ),
                            }
                        ],
                    },
                    {
                        "type": "CoverageEligibilityResponse",
                        "documentation": (
                            "Read by id (the tracking code, 12 digits): only the provider "
                            "that asked may read it; any other id is 404. No search."
                        ),
                        "interaction": [{"code": "read"}],
                    },
                    *({"type": kind, "interaction": [{"code": "read"}]} for kind in DEFINITIONS),
                ],
            }
        ],
    }


def _setting_extension(base: str) -> dict[str, Any]:
    url = codes.setting_extension_url(base)
    return {
        "resourceType": "StructureDefinition",
        "id": codes.SETTING_ID,
        "url": url,
        "version": __version__,
        "name": "ServiceSetting",
        "title": "Service setting",
        "status": "active",
        "date": DEFINITIONS_DATE,
        "publisher": PUBLISHER,
        "description": (
            "Where the treatment asked about is given: 'outpatient' or 'inpatient' (an "
            "inpatient check also settles cover held with another insurer). An alternative to "
            "item.category; in a response, on insurance.item, the setting that was answered."
        ),
        "fhirVersion": codes.FHIR_VERSION,
        "kind": "complex-type",
        "abstract": False,
        "context": [
            {"type": "element", "expression": "CoverageEligibilityRequest"},
            {"type": "element", "expression": "CoverageEligibilityRequest.item"},
            {"type": "element", "expression": "CoverageEligibilityResponse.insurance.item"},
        ],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {
            "element": [
                {
                    "id": "Extension",
                    "path": "Extension",
                    "short": "Service setting (outpatient | inpatient)",
                    "definition": "Where the treatment asked about is given.",
                    "max": "1",
                },
                {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                {
                    "id": "Extension.value[x]",
                    "path": "Extension.value[x]",
                    "min": 1,
                    "type": [{"code": "code"}],
                    "binding": {
                        "strength": "required",
                        "valueSet": codes.setting_value_set(base),
                    },
                },
            ]
        },
    }


def _setting_codes(base: str) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem",
        "id": codes.SETTING_ID,
        "url": codes.setting_code_system(base),
        "version": __version__,
        "name": "ServiceSetting",
        "title": "Service setting",
        "status": "active",
        "date": DEFINITIONS_DATE,
        "publisher": PUBLISHER,
        "description": "The service settings an eligibility check is asked for.",
        "caseSensitive": True,
        "valueSet": codes.setting_value_set(base),
        "content": "complete",
        "count": 3,
        "concept": [
            {
                "code": "outpatient",
                "display": "Outpatient",
                "definition": "Treatment without admission (the default check).",
            },
            {
                "code": "inpatient",
                "display": "Inpatient",
                "definition": (
                    "An admission: cover held with another basic insurer must be settled "
                    "first, as the rule pack says."
                ),
            },
            {
                "code": "sanatorium",
                "display": "Sanatorium",
                "definition": (
                    "Sanatorium treatment, where the rule pack has it: the documents and the "
                    "privilege it asks for (a referral issued within six months) must hold."
                ),
            },
        ],
    }


def _member_extension(
    ident: str, name: str, title: str, description: str, value: str
) -> Callable[[str], dict[str, Any]]:
    """A StructureDefinition of an extension a response carries on ``insurance``."""

    def build(base: str) -> dict[str, Any]:
        url = codes.extension_url(base, ident)
        return {
            "resourceType": "StructureDefinition",
            "id": ident,
            "url": url,
            "version": __version__,
            "name": name,
            "title": title,
            "status": "active",
            "date": DEFINITIONS_DATE,
            "publisher": PUBLISHER,
            "description": description,
            "fhirVersion": codes.FHIR_VERSION,
            "kind": "complex-type",
            "abstract": False,
            "context": [{"type": "element", "expression": "CoverageEligibilityResponse.insurance"}],
            "type": "Extension",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "derivation": "constraint",
            "differential": {
                "element": [
                    {"id": "Extension", "path": "Extension", "short": title},
                    {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                    {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                    {
                        "id": "Extension.value[x]",
                        "path": "Extension.value[x]",
                        "min": 1,
                        "type": [{"code": value}],
                    },
                ]
            },
        }

    return build


_category_extension = _member_extension(
    codes.CATEGORY_ID,
    "InsuredCategory",
    "Insured category",
    "The member's insured category under the rule pack (its code as the scheme prints it, "
    "zero-padded, in urn:eligibility-gw:category:PACK, with its name).",
    "Coding",
)
_privilege_extension = _member_extension(
    codes.PRIVILEGE_ID,
    "Privilege",
    "Privilege",
    "A privilege the member holds on the date (urn:eligibility-gw:privilege), with what the "
    "provider must do as its text (serve out of turn, verify a document). Never its end.",
    "CodeableConcept",
)


def _setting_value_set(base: str) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "id": codes.SETTING_ID,
        "url": codes.setting_value_set(base),
        "version": __version__,
        "name": "ServiceSetting",
        "title": "Service setting",
        "status": "active",
        "date": DEFINITIONS_DATE,
        "publisher": PUBLISHER,
        "description": "Every service setting code.",
        "compose": {"include": [{"system": codes.setting_code_system(base)}]},
    }


def _submit(base: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationDefinition",
        "id": codes.SUBMIT_ID,
        "url": codes.submit_definition(base),
        "version": __version__,
        "name": "Submit",
        "title": "Submit a coverage eligibility request",
        "status": "active",
        "kind": "operation",
        "date": DEFINITIONS_DATE,
        "publisher": PUBLISHER,
        "description": (
            "Answer a CoverageEligibilityRequest synchronously: the answer is logged under a "
            "tracking code, the CoverageEligibilityResponse's id."
        ),
        "affectsState": True,
        "code": "submit",
        "resource": ["CoverageEligibilityRequest"],
        "system": False,
        "type": True,
        "instance": False,
        "parameter": [
            {
                "name": "resource",
                "use": "in",
                "min": 1,
                "max": "1",
                "documentation": "The request (the body itself may be the request).",
                "type": "CoverageEligibilityRequest",
            },
            {
                "name": "return",
                "use": "out",
                "min": 1,
                "max": "1",
                "documentation": "The answer, returned as the body.",
                "type": "CoverageEligibilityResponse",
            },
        ],
    }


#: The definitions served, by resource type and id.
DEFINITIONS: dict[str, dict[str, Callable[[str], dict[str, Any]]]] = {
    "StructureDefinition": {
        codes.SETTING_ID: _setting_extension,
        codes.CATEGORY_ID: _category_extension,
        codes.PRIVILEGE_ID: _privilege_extension,
    },
    "CodeSystem": {codes.SETTING_ID: _setting_codes},
    "ValueSet": {codes.SETTING_ID: _setting_value_set},
    "OperationDefinition": {codes.SUBMIT_ID: _submit},
}


def definition(base: str, kind: str, ident: str) -> dict[str, Any] | None:
    """The definition ``kind/ident`` under ``base``, or None."""
    build = DEFINITIONS.get(kind, {}).get(ident)
    return build(base) if build else None
