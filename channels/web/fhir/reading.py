"""Read a CoverageEligibilityRequest: who, on which day or period, in which setting.

Whatever the request says that would change the question and that the gateway does not
understand (an extension, a modifier extension, a category code, a product on an item) is
refused with an ``Unusable`` naming what was read: a request is never answered as if that
part were absent. Strings that come back in the response are checked here, so that every
one echoed is valid FHIR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from eligibility_gw.channels.web.fhir import codes
from eligibility_gw.channels.web.fhir.codes import CategoryCode
from eligibility_gw.channels.web.fhir.text import (
    describe,
    invisible_character,
    is_id,
    is_string,
    is_uri,
)
from eligibility_gw.domain.model import ServiceSetting

RESOURCE = "CoverageEligibilityRequest"
#: An R4 ``date`` written in full; the date of a ``dateTime`` (its own offset's calendar day).
_FULL_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?"
)
#: Parts of an item the gateway reads or can safely leave aside; any other part asks a
#: question (a product, a diagnosis, a quantity) that an eligibility check does not answer.
_ITEM_PARTS = frozenset({"id", "extension", "category"})


class Unusable(Exception):
    """A request that cannot be answered as sent: an OperationOutcome issue.

    ``where`` names the parts at fault as FHIRPath
    (``CoverageEligibilityRequest.patient.identifier.value``).
    """

    def __init__(self, status: int, code: str, text: str, where: tuple[str, ...] = ()) -> None:
        super().__init__(text)
        self.status, self.code, self.text, self.where = status, code, text, where


@dataclass(frozen=True, slots=True)
class Echo:
    """The parts of a request a response repeats, each already valid FHIR."""

    #: ``{"system": …, "value": …}`` of the patient's identifier as sent.
    patient_identifier: dict[str, str]
    request_id: str | None = None
    #: The request's first business identifier, for ``response.request.identifier``.
    request_identifier: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class FhirInquiry:
    """What a CoverageEligibilityRequest asks, as the core asks it."""

    national_id: str
    #: ``servicedDate``, or the start of ``servicedPeriod``; None for today.
    served: date | None
    #: The end of ``servicedPeriod``; None when a single day was asked about.
    until: date | None
    setting: ServiceSetting
    #: The ``item.category`` the answer is for, as read (or as the gateway names it).
    category: dict[str, Any]
    echo: Echo
    #: The request used ``servicedPeriod`` (echoed as a period, even of one day).
    period: bool = False


def read_request(data: Any, base: str) -> FhirInquiry:
    """The inquiry in a CoverageEligibilityRequest (JSON data); ``Unusable`` when there is
    none the gateway can answer. ``base`` is the FHIR base URL its definitions live under."""
    if not isinstance(data, dict) or data.get("resourceType") != RESOURCE:
        raise Unusable(400, "structure", f"The body must be a {RESOURCE} resource.")
    _refuse_modifiers(data, RESOURCE)
    if "implicitRules" in data:
        raise Unusable(
            422,
            "not-supported",
            "implicitRules are not understood by this gateway; send the request without them.",
            (f"{RESOURCE}.implicitRules",),
        )
    purpose = data.get("purpose")
    if not isinstance(purpose, list) or "validation" not in purpose:
        raise Unusable(
            422,
            "not-supported",
            "Only purpose 'validation' (is the patient covered?) is supported.",
            (f"{RESOURCE}.purpose",),
        )
    national_id, identifier = _patient(data)
    served, until, period = _service_days(data)
    setting, category = _setting(data, base)
    return FhirInquiry(
        national_id=national_id,
        served=served,
        until=until,
        setting=setting,
        category=category,
        echo=Echo(identifier, _request_id(data), _request_identifier(data)),
        period=period,
    )


def unwrap_parameters(data: Any) -> Any:
    """The request inside a ``$submit`` call: the body itself, or a Parameters resource's
    ``resource`` parameter."""
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        return data
    parameters = data.get("parameter")
    found = []
    for parameter in parameters if isinstance(parameters, list) else []:
        if isinstance(parameter, dict) and parameter.get("name") == "resource":
            found.append(parameter.get("resource"))
    if len(found) != 1:
        raise Unusable(
            400,
            "structure",
            "$submit takes one parameter 'resource' holding the CoverageEligibilityRequest "
            "(or the request itself as the body).",
            ("Parameters.parameter",),
        )
    return found[0]


# -- the patient ------------------------------------------------------------------------------


def _patient(data: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The national id and the identifier it came in (``system`` only when sent)."""
    patient = data.get("patient")
    where = f"{RESOURCE}.patient.identifier"
    identifier: Any = None
    if isinstance(patient, dict):
        identifier = patient.get("identifier")
        reference = patient.get("reference")
        if identifier is None and isinstance(reference, str) and reference.startswith("#"):
            identifier, where = _contained_identifier(data, reference[1:])
    if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
        raise Unusable(
            422,
            "required",
            "patient must carry the national id as patient.identifier.value "
            "(or reference a contained Patient with an identifier).",
            (f"{RESOURCE}.patient",),
        )
    value = str(identifier["value"])
    hidden = invisible_character(value)
    if hidden is not None:
        position, char = hidden
        raise Unusable(
            422,
            "value",
            f"The patient identifier holds an invisible character, {describe(char)}, at "
            f"position {position}; send the national id without it.",
            (f"{where}.value",),
        )
    if not is_string(value) or not value.strip():
        raise Unusable(422, "value", "The patient identifier is empty.", (f"{where}.value",))
    echoed = {"value": value}
    system = identifier.get("system")
    if system is not None:
        if not isinstance(system, str) or not is_uri(system):
            raise Unusable(
                422,
                "value",
                "patient.identifier.system must be a URI without spaces.",
                (f"{where}.system",),
            )
        echoed = {"system": system, "value": value}
    return value, echoed


def _contained_identifier(data: dict[str, Any], local_id: str) -> tuple[Any, str]:
    contained = data.get("contained")
    for index, resource in enumerate(contained if isinstance(contained, list) else []):
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Patient"
            and resource.get("id") == local_id
        ):
            identifiers = resource.get("identifier")
            for i, ident in enumerate(identifiers if isinstance(identifiers, list) else []):
                if isinstance(ident, dict) and isinstance(ident.get("value"), str):
                    return ident, f"{RESOURCE}.contained[{index}].identifier[{i}]"
    return None, f"{RESOURCE}.patient"


# -- when -------------------------------------------------------------------------------------


def _service_days(data: dict[str, Any]) -> tuple[date | None, date | None, bool]:
    """``servicedDate``, or ``servicedPeriod``'s first and last days."""
    if "servicedDate" in data and "servicedPeriod" in data:
        raise Unusable(
            400,
            "structure",
            "serviced[x] is one of servicedDate or servicedPeriod, not both.",
            (f"{RESOURCE}.servicedDate", f"{RESOURCE}.servicedPeriod"),
        )
    if "servicedDate" in data:
        served = data["servicedDate"]
        day = _day(served, _FULL_DATE) if isinstance(served, str) else None
        if day is None:
            raise Unusable(
                422,
                "value",
                "servicedDate must be a full date, YYYY-MM-DD.",
                (f"{RESOURCE}.servicedDate",),
            )
        return day, None, False
    if "servicedPeriod" not in data:
        return None, None, False
    period = data["servicedPeriod"]
    where = f"{RESOURCE}.servicedPeriod"
    if not isinstance(period, dict):
        raise Unusable(422, "structure", "servicedPeriod must be a Period.", (where,))
    ends: list[date] = []
    for end in ("start", "end"):
        raw = period.get(end)
        if raw is None:
            raise Unusable(
                422,
                "required",
                f"servicedPeriod.{end} is required: the gateway answers for a period with "
                "both ends.",
                (f"{where}.{end}",),
            )
        day = _day(raw, _DATE_TIME) if isinstance(raw, str) else None
        if day is None:
            raise Unusable(
                422,
                "value",
                f"servicedPeriod.{end} must be a full date (YYYY-MM-DD) or a date-time with "
                "its offset.",
                (f"{where}.{end}",),
            )
        ends.append(day)
    start, last = ends
    if last < start:
        raise Unusable(
            422,
            "value",
            f"servicedPeriod ends ({last.isoformat()}) before it starts ({start.isoformat()}).",
            (f"{where}.end",),
        )
    return start, last, True


def _day(text: str, form: re.Pattern[str]) -> date | None:
    if form.fullmatch(text) is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:  # 2026-02-30
        return None


# -- the setting ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Indication:
    setting: ServiceSetting
    #: What the request said, in words, for a refusal naming two settings.
    said: str


def _setting(data: dict[str, Any], base: str) -> tuple[ServiceSetting, dict[str, Any]]:
    """The one setting the request names (outpatient when none), and the category echoed."""
    found: list[_Indication] = []
    category: dict[str, Any] | None = None
    found += _extensions(data.get("extension"), f"{RESOURCE}.extension", base)
    items = data.get("item", [])
    if not isinstance(items, list):
        raise Unusable(422, "structure", "item must be a list.", (f"{RESOURCE}.item",))
    for index, item in enumerate(items):
        where = f"{RESOURCE}.item[{index}]"
        if not isinstance(item, dict):
            raise Unusable(422, "structure", "Each item must be an object.", (where,))
        _refuse_modifiers(item, where)
        unread = sorted(set(item) - _ITEM_PARTS)
        if unread:
            raise Unusable(
                422,
                "not-supported",
                f"item[{index}].{unread[0]} is not read here: the gateway answers whether "
                "cover is in force for a setting (item.category), not for a product, "
                "diagnosis or amount. Send the item with its category only.",
                (f"{where}.{unread[0]}",),
            )
        found += _extensions(item.get("extension"), f"{where}.extension", base)
        if "category" in item:
            indication, read = _category(item["category"], f"{where}.category", base)
            found.append(indication)
            category = category or read
    settings = {i.setting for i in found}
    if len(settings) > 1:
        said = "; ".join(dict.fromkeys(i.said for i in found))
        raise Unusable(
            422,
            "not-supported",
            f"The request names more than one setting ({said}); ask about one setting per request.",
            (f"{RESOURCE}.item",),
        )
    setting = settings.pop() if settings else ServiceSetting.OUTPATIENT
    if category is None:
        code = codes.X12_OF_SETTING[setting] if found else codes.GENERAL_COVER
        entry = codes.X12_SERVICE_TYPES[code]
        category = {
            "coding": [{"system": codes.X12_SERVICE_TYPE, "code": code, "display": entry.display}]
        }
    return setting, category


def _extensions(extensions: Any, where: str, base: str) -> list[_Indication]:
    """The settings named by extensions; any other extension is refused."""
    if extensions is None:
        return []
    if not isinstance(extensions, list):
        raise Unusable(422, "structure", "extension must be a list.", (where,))
    url = codes.setting_extension_url(base)
    found = []
    for index, ext in enumerate(extensions):
        at = f"{where}[{index}]"
        if not isinstance(ext, dict) or not isinstance(ext.get("url"), str):
            raise Unusable(422, "structure", "An extension must have a url.", (at,))
        if ext["url"] != url:
            raise Unusable(
                422,
                "not-supported",
                f"The extension {_shown(ext['url'])} is not understood here, and the request "
                f"is not answered as if it were absent. The service setting goes in "
                f"item.category (X12 service type codes) or in the extension {url}.",
                (f"{at}.url",),
            )
        value = ext.get("valueCode")
        entry = codes.SETTING_CODES.get(value) if isinstance(value, str) else None
        if entry is None or set(ext) - {"url", "valueCode", "id"}:
            raise Unusable(
                422,
                "not-supported",
                f"The extension {url} takes valueCode 'outpatient' or 'inpatient'; it holds "
                f"{_shown_value(ext)}.",
                (f"{at}.valueCode",),
            )
        found.append(_Indication(entry.setting, f"extension {value}"))
    return found


def _category(concept: Any, where: str, base: str) -> tuple[_Indication, dict[str, Any]]:
    """The setting an ``item.category`` names, and the concept as it is echoed."""
    if not isinstance(concept, dict):
        raise Unusable(422, "structure", "item.category must be a CodeableConcept.", (where,))
    systems = codes.category_systems(base)
    codings = concept.get("coding")
    codings = codings if isinstance(codings, list) else []
    read: list[tuple[dict[str, str], CategoryCode]] = []
    unknown: list[str] = []
    # A coding of a system read here with a code not listed is refused even beside a known
    # one: codings of one concept are translations, and this one may mean something else.
    unknown_code = False
    for coding in codings:
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        table = systems.get(system) if isinstance(system, str) else None
        entry = table.get(code) if table is not None and isinstance(code, str) else None
        if entry is None:
            unknown.append(f"{_shown(system)}|{_shown(code)}")
            unknown_code = unknown_code or table is not None
            continue
        assert isinstance(system, str)
        assert isinstance(code, str)
        read.append(({"system": system, "code": code, "display": entry.display}, entry))
    if not read or unknown_code:
        said = ", ".join(unknown) or (
            f"text {_shown(concept.get('text'))}" if "text" in concept else "nothing coded"
        )
        raise Unusable(
            422,
            "not-supported",
            f"item.category names a service this gateway does not understand ({said}). "
            "Code it with an X12 service type code (system "
            f"{codes.X12_SERVICE_TYPE}: 48 inpatient, 50 outpatient, 30 general cover…) or "
            f"an HL7 benefit category ({codes.BENEFIT_CATEGORY}).",
            (f"{where}.coding",),
        )
    settings = {entry.setting for _, entry in read}
    if len(settings) > 1:
        raise Unusable(
            422,
            "not-supported",
            "item.category's codings name different settings: "
            + ", ".join(f"{c['system']}|{c['code']}" for c, _ in read)
            + ".",
            (f"{where}.coding",),
        )
    first, entry = read[0]
    said = f"{first['system']}|{first['code']} {entry.display}"
    return _Indication(entry.setting, said), {"coding": [c for c, _ in read]}


def _refuse_modifiers(element: dict[str, Any], where: str) -> None:
    """A modifier extension changes the meaning of what holds it: never ignored."""
    modifiers = element.get("modifierExtension")
    if modifiers is None:
        return
    urls = (
        [m.get("url") for m in modifiers if isinstance(m, dict)]
        if isinstance(modifiers, list)
        else []
    )
    shown = ", ".join(_shown(u) for u in urls) or "one without a url"
    raise Unusable(
        422,
        "not-supported",
        f"The modifier extension {shown} changes what is asked, and this gateway does not "
        "understand it.",
        (f"{where}.modifierExtension",),
    )


def _request_id(data: dict[str, Any]) -> str | None:
    value = data.get("id")
    return value if isinstance(value, str) and is_id(value) else None


def _request_identifier(data: dict[str, Any]) -> dict[str, str] | None:
    identifiers = data.get("identifier")
    for ident in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(ident, dict):
            continue
        value, system = ident.get("value"), ident.get("system")
        if not isinstance(value, str) or not is_string(value):
            continue
        if invisible_character(value) is not None:
            continue
        if isinstance(system, str) and is_uri(system):
            return {"system": system, "value": value}
        return {"value": value}
    return None


def _shown(value: Any, limit: int = 80) -> str:
    """A value the client sent, quoted for a diagnostic (invisible characters named)."""
    if not isinstance(value, str):
        return "(none)" if value is None else f"a {type(value).__name__}"
    text = "".join(
        f"<{describe(c)}>" if invisible_character(c) is not None else c for c in value[:limit]
    )
    return repr(text) + ("…" if len(value) > limit else "")


def _shown_value(ext: dict[str, Any]) -> str:
    values = [k for k in ext if k.startswith("value")]
    if not values:
        return "no value"
    key = values[0]
    return f"{key} {_shown(ext[key])}"


__all__ = [
    "Echo",
    "FhirInquiry",
    "Unusable",
    "read_request",
    "unwrap_parameters",
]
