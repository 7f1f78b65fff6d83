"""Content negotiation as FHIR R4's RESTful API defines it (http.html#mime-type).

``_format`` overrides ``Accept``. The gateway speaks JSON only: ``json``,
``application/fhir+json``, ``application/json`` and the older ``application/json+fhir`` are
honoured (the response carries the type asked for); XML or anything else is answered 406,
with an OperationOutcome in JSON, the one format the gateway has. ``Prefer: return=`` chooses
what a create returns.
"""

from __future__ import annotations

import enum

from aiohttp import web

FHIR_JSON = "application/fhir+json"
#: The JSON media types a client may ask for or send, each answered as itself.
JSON_TYPES = (FHIR_JSON, "application/json+fhir", "application/json")
_FORMATS = {"json": FHIR_JSON, **{t: t for t in JSON_TYPES}}
_ANY = ("*/*", "application/*")


class NotAcceptable(Exception):
    """The client asked for a format the gateway does not produce (406)."""


class Prefer(enum.StrEnum):
    """What a create returns (``Prefer: return=…``)."""

    REPRESENTATION = "representation"
    MINIMAL = "minimal"
    OPERATION_OUTCOME = "OperationOutcome"


def _media(text: str) -> tuple[str, dict[str, str]]:
    """A media range and its parameters, the type lower case."""
    kind, *parts = text.split(";")
    params = {}
    for part in parts:
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    # In a query string an unescaped '+' reads as a space: application/fhir json.
    return kind.strip().lower().replace(" ", "+"), params


def _version_ok(params: dict[str, str]) -> bool:
    """A ``fhirVersion`` parameter, when given, must name R4 (4.0)."""
    version = params.get("fhirversion")
    return version is None or version in ("4.0", "4.0.1")


def response_type(request: web.Request) -> str:
    """The JSON media type to answer with; ``NotAcceptable`` when none is acceptable."""
    asked = request.query.getall("_format", [])
    if asked:
        kind, params = _media(asked[-1])
        chosen = _FORMATS.get(kind)
        if chosen is None or not _version_ok(params):
            raise NotAcceptable(
                f"_format={asked[-1]!r} is not produced here: this server answers FHIR R4 in "
                "JSON only (_format=json or application/fhir+json)."
            )
        return chosen
    header = request.headers.get("Accept", "").strip()
    if not header:
        return FHIR_JSON
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        if not part.strip():
            continue
        kind, params = _media(part)
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        if quality <= 0 or not _version_ok(params):
            continue
        chosen = _FORMATS.get(kind) or (FHIR_JSON if kind in _ANY else None)
        if chosen is not None:
            ranked.append((-quality, index, chosen))
    if not ranked:
        raise NotAcceptable(
            f"Accept: {header[:100]} names no format produced here: this server answers FHIR "
            f"R4 in JSON only ({', '.join(JSON_TYPES)})."
        )
    return min(ranked)[2]


def body_type_ok(request: web.Request) -> bool:
    """Say whether the request's body is FHIR JSON (any of the accepted names, R4)."""
    kind, params = _media(request.headers.get("Content-Type", ""))
    return kind in JSON_TYPES and _version_ok(params)


def preference(request: web.Request) -> Prefer:
    """The ``return`` preference of a ``Prefer`` header (representation when absent)."""
    for header in request.headers.getall("Prefer", []):
        for part in header.split(","):
            for token in part.split(";"):
                name, _, value = token.strip().partition("=")
                if name.strip().lower() != "return":
                    continue
                wanted = value.strip().strip('"').lower()
                for option in Prefer:
                    if option.value.lower() == wanted:
                        return option
    return Prefer.REPRESENTATION
