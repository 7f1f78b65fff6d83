"""The OpenAPI 3.1 description of the provider API, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from eligibility_gw import __version__

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_CODE_PATTERN = r"^[0-9\-\s]{12,20}$"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }


_ERRORS = {
    "400": _problem("The body cannot be parsed."),
    "401": _problem("Missing or unknown API key."),
    "403": _problem(
        "The provider is deactivated (the detail says how to be activated again), or the "
        "inquiry policy refuses it."
    ),
    "405": _problem("Method not allowed."),
    "413": _problem("Body or batch too large."),
    "415": _problem("Wrong content type."),
    "422": _problem("Invalid input: 'errors' names each field and why."),
    "429": _problem(
        "Too many answers; see Retry-After. 'scope' says whose quota: asker (this provider, "
        "all its channels together), provider_national_id (this provider's checks of this "
        "person), national_id (every provider's checks of this person), batches (batches per "
        "hour)."
    ),
    "503": _problem("Temporarily unavailable; see Retry-After."),
}


def _pick(*codes: str) -> dict[str, Any]:
    return {c: _ERRORS[c] for c in codes}


def openapi_document(
    title: str, settings: tuple[str, ...] = ("outpatient", "inpatient")
) -> dict[str, Any]:
    """The whole document; ``settings``: the service settings of the rule pack."""
    answer = {"$ref": "#/components/schemas/Answer"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"eligibility-gw provider API ({title})",
            "version": __version__,
            "description": (
                "Ask whether a person is covered for treatment on a date. Every answer carries "
                "a tracking code that a claim can quote. Providers are never told a date of the "
                "member's (when cover ends or ended). Authenticate with the provider API key "
                "as a bearer token."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"providerKey": []}],
        "paths": {
            "/api/v1/inquiries": {
                "post": {
                    "operationId": "askEligibility",
                    "summary": "Is this person covered on the service date?",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Inquiry"}}
                        },
                    },
                    "parameters": [{"$ref": "#/components/parameters/AcceptLanguage"}],
                    "responses": {
                        "200": {
                            "description": "The logged answer.",
                            "content": {"application/json": {"schema": answer}},
                        },
                        **_pick("400", "401", "403", "413", "415", "422", "429", "503"),
                    },
                }
            },
            "/api/v1/inquiries/{tracking_code}": {
                "get": {
                    "operationId": "getAnswer",
                    "summary": "The answer recorded under a tracking code you received.",
                    "parameters": [
                        {
                            "name": "tracking_code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 40},
                        },
                        {"$ref": "#/components/parameters/AcceptLanguage"},
                    ],
                    "responses": {
                        "200": {
                            "description": "The recorded answer.",
                            "content": {"application/json": {"schema": answer}},
                        },
                        "404": _problem("No such answer given to this provider."),
                        **_pick("401", "403", "422", "429", "503"),
                    },
                }
            },
            "/api/v1/inquiries/batch": {
                "post": {
                    "operationId": "askBatch",
                    "summary": "Up to 10,000 inquiries at once; each gets its own tracking code.",
                    "parameters": [
                        {"$ref": "#/components/parameters/AcceptLanguage"},
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["json", "csv"]},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "maxItems": 10000,
                                    "items": {"$ref": "#/components/schemas/Inquiry"},
                                }
                            },
                            "text/csv": {
                                "schema": {
                                    "type": "string",
                                    "description": "Header national_id[,service_date][,setting]",
                                }
                            },
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {
                                            "type": "string",
                                            "contentMediaType": "text/csv",
                                            "description": "The CSV, as for text/csv.",
                                        }
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Every item's answer or refusal.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/BatchResult"}
                                },
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "406": _problem("Unknown format."),
                        **_pick("400", "401", "403", "413", "415", "422", "429", "503"),
                    },
                }
            },
            "/api/v1/batches/{batch_id}": {
                "get": {
                    "operationId": "getBatch",
                    "summary": "Download a batch's results (JSON or CSV).",
                    "parameters": [
                        {
                            "name": "batch_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 64},
                        },
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["json", "csv"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The batch results.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/BatchResult"}
                                },
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "404": _problem("No such batch of yours."),
                        "406": _problem("Unknown format."),
                        **_pick("401", "403", "503"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"providerKey": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "AcceptLanguage": {
                    "name": "Accept-Language",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "Language of the messages (en, fa).",
                }
            },
            "schemas": {
                "Inquiry": {
                    "type": "object",
                    "required": ["national_id"],
                    "properties": {
                        "national_id": {
                            "type": "string",
                            "maxLength": 64,
                            "description": "As typed; spaces, dashes and Persian digits allowed.",
                        },
                        "service_date": {
                            "type": ["string", "null"],
                            "format": "date",
                            "description": "Default: today in the gateway's "
                            "time zone. Up to 12 months back, "
                            "to the end of this month.",
                        },
                        "setting": {
                            "type": "string",
                            "enum": list(settings),
                            "default": "outpatient",
                        },
                    },
                },
                "Reason": {
                    "type": "object",
                    "required": ["code", "message", "resolve_with"],
                    "properties": {
                        "code": {"type": "string", "examples": ["STUDENT_CERTIFICATE_REQUIRED"]},
                        "message": {"type": "string"},
                        "resolve_with": {
                            "type": ["string", "null"],
                            "description": "The document that would resolve it.",
                        },
                        "resolve": {"type": ["string", "null"]},
                        "blocking": {"type": "boolean"},
                    },
                },
                "Answer": {
                    "type": "object",
                    "required": [
                        "tracking_code",
                        "status",
                        "service_date",
                        "reasons",
                        "member",
                        "rule_pack",
                    ],
                    "properties": {
                        "tracking_code": {
                            "type": "string",
                            "pattern": _CODE_PATTERN,
                            "examples": ["4821-0937-5526"],
                        },
                        "status": {
                            "type": "string",
                            "enum": ["eligible", "not_eligible", "undetermined"],
                        },
                        "service_date": {"type": "string", "format": "date"},
                        "reasons": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Reason"},
                        },
                        "member": {
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "required": ["name", "relationship"],
                                    "properties": {
                                        "name": {
                                            "type": ["string", "null"],
                                            "examples": ["A*** R***"],
                                        },
                                        "relationship": {"type": "string"},
                                    },
                                },
                            ]
                        },
                        "rule_pack": {"type": "string"},
                        "asked_at": {"type": "string", "format": "date-time"},
                        "category": {
                            "description": "The member's insured category, where the rule "
                            "pack has categories: its code as the scheme prints it "
                            "(zero-padded) and its name in the Accept-Language.",
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "required": ["code", "name"],
                                    "properties": {
                                        "code": {"type": "string", "examples": ["07"]},
                                        "name": {"type": "string"},
                                    },
                                },
                            ],
                        },
                        "privileges": {
                            "type": "array",
                            "description": "Privileges the member holds on the service date, "
                            "with what the provider must do (serve out of turn, verify a "
                            "document). Never their end date.",
                            "items": {"$ref": "#/components/schemas/Privilege"},
                        },
                    },
                },
                "Privilege": {
                    "type": "object",
                    "required": ["kind", "name", "instruction"],
                    "properties": {
                        "kind": {"type": "string", "examples": ["honorary_blood_donor"]},
                        "name": {"type": "string"},
                        "marker": {
                            "type": ["string", "null"],
                            "description": "The letter the scheme marks it with (L).",
                        },
                        "instruction": {"type": ["string", "null"]},
                        "until": {"type": ["string", "null"], "format": "date"},
                    },
                },
                "BatchItem": {
                    "type": "object",
                    "required": ["index"],
                    "properties": {
                        "index": {"type": "integer"},
                        "national_id": {"type": ["string", "null"]},
                        "error": {"type": "object"},
                    },
                },
                "BatchResult": {
                    "type": "object",
                    "required": ["batch_id", "count", "answered", "refused", "results", "links"],
                    "properties": {
                        "batch_id": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "count": {"type": "integer"},
                        "answered": {"type": "integer"},
                        "refused": {"type": "integer"},
                        "links": {"type": "object"},
                        "results": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/BatchItem"},
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "scope": {
                            "type": "string",
                            "enum": ["asker", "provider_national_id", "national_id", "batches"],
                            "description": "429 only: whose quota ran out.",
                        },
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["field", "code", "detail"],
                                "properties": {
                                    "field": {"type": "string"},
                                    "code": {"type": "string"},
                                    "detail": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }
