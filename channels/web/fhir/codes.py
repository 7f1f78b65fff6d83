"""The code systems the FHIR endpoint reads and writes, and what each code means here.

The service setting is read from ``item.category``, coded with X12 service type codes or
HL7's benefit categories (or the gateway's own setting codes), or from the gateway's
``service-setting`` extension. Codes not listed here are refused, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.domain.model import ServiceSetting

FHIR_VERSION = "4.0.1"
REASON_SYSTEM = "urn:eligibility-gw:reason"
TRACKING_SYSTEM = "urn:eligibility-gw:tracking-code"
X12_SERVICE_TYPE = "https://x12.org/codes/service-type-codes"
BENEFIT_CATEGORY = "http://terminology.hl7.org/CodeSystem/ex-benefitcategory"
X12_AAA_SYSTEM = "https://x12.org/codes/reject-reason-codes"

#: The gateway's own definitions, under ``[base]/<type>/<id>`` (``[base]`` ends in /fhir/r4).
SETTING_ID = "service-setting"
SUBMIT_ID = "CoverageEligibilityRequest-submit"
#: The extensions a response carries on ``insurance``: the member's insured category and a
#: privilege that holds on the date (what the provider must do).
CATEGORY_ID = "insured-category"
PRIVILEGE_ID = "privilege"
PRIVILEGE_SYSTEM = "urn:eligibility-gw:privilege"


def category_system(pack: str) -> str:
    """The code system of a rule pack's insured categories."""
    return f"urn:eligibility-gw:category:{pack}"


def extension_url(base: str, ident: str) -> str:
    """The canonical URL of one of the gateway's extensions (a StructureDefinition)."""
    return f"{base}/StructureDefinition/{ident}"


def setting_extension_url(base: str) -> str:
    """The canonical URL of the service-setting extension (a StructureDefinition)."""
    return f"{base}/StructureDefinition/{SETTING_ID}"


def setting_code_system(base: str) -> str:
    """The canonical URL of the gateway's service-setting codes (a CodeSystem)."""
    return f"{base}/CodeSystem/{SETTING_ID}"


def setting_value_set(base: str) -> str:
    """The canonical URL of the value set the extension's code is bound to."""
    return f"{base}/ValueSet/{SETTING_ID}"


def submit_definition(base: str) -> str:
    """The canonical URL of the ``$submit`` OperationDefinition."""
    return f"{base}/OperationDefinition/{SUBMIT_ID}"


@dataclass(frozen=True, slots=True)
class CategoryCode:
    """A category code the gateway understands: its display and the setting it asks about."""

    display: str
    setting: ServiceSetting
    #: What the README says it is read as.
    read_as: str


_IN = ServiceSetting.INPATIENT
_OUT = ServiceSetting.OUTPATIENT
_SANATORIUM = ServiceSetting.SANATORIUM
_GENERAL = "general cover: the outpatient check"

#: X12 service type codes (the 270/271 STC), as ``item.category`` codes.
X12_SERVICE_TYPES: dict[str, CategoryCode] = {
    "1": CategoryCode("Medical Care", _OUT, _GENERAL),
    "4": CategoryCode("Diagnostic X-Ray", _OUT, "outpatient"),
    "5": CategoryCode("Diagnostic Lab", _OUT, "outpatient"),
    "30": CategoryCode("Health Benefit Plan Coverage", _OUT, _GENERAL),
    "48": CategoryCode("Hospital - Inpatient", _IN, "inpatient"),
    "49": CategoryCode("Hospital - Room and Board", _IN, "inpatient"),
    "50": CategoryCode("Hospital - Outpatient", _OUT, "outpatient"),
    "88": CategoryCode("Pharmacy", _OUT, "outpatient"),
    "98": CategoryCode("Professional (Physician) Visit - Office", _OUT, "outpatient"),
}
#: HL7's example benefit categories (an X12-derived subset), as ``item.category`` codes.
BENEFIT_CATEGORIES: dict[str, CategoryCode] = {
    "1": CategoryCode("Medical Care", _OUT, _GENERAL),
    "4": CategoryCode("Diagnostic XRay", _OUT, "outpatient"),
    "5": CategoryCode("Diagnostic Lab", _OUT, "outpatient"),
    "30": CategoryCode("Health Benefit Plan Coverage", _OUT, _GENERAL),
    "49": CategoryCode("Hospital Room and Board", _IN, "inpatient"),
    "F1": CategoryCode("Medical Coverage", _OUT, _GENERAL),
}
#: The gateway's own codes (also the extension's value).
SETTING_CODES: dict[str, CategoryCode] = {
    "outpatient": CategoryCode("Outpatient", _OUT, "outpatient"),
    "inpatient": CategoryCode("Inpatient", _IN, "inpatient"),
    "sanatorium": CategoryCode("Sanatorium", _SANATORIUM, "sanatorium (where the pack has it)"),
}
#: The X12 code a setting is shown with when the request named it by extension, or named none.
X12_OF_SETTING = {_IN: "48", _OUT: "50"}
#: The category of a request that names no setting: general cover (answered as outpatient).
GENERAL_COVER = "30"


def category_systems(base: str) -> dict[str, dict[str, CategoryCode]]:
    """Every ``item.category`` system the gateway reads, with its codes."""
    return {
        X12_SERVICE_TYPE: X12_SERVICE_TYPES,
        BENEFIT_CATEGORY: BENEFIT_CATEGORIES,
        setting_code_system(base): SETTING_CODES,
    }


#: X12 AAA reject reason codes beside our reason and refusal codes, where one fits.
X12_AAA: dict[str, tuple[str, str]] = {
    "NOT_FOUND": ("75", "Subscriber/Insured Not Found"),
    "INVALID_NATIONAL_ID": ("72", "Invalid/Missing Member ID"),
    "NATIONAL_ID_CHECK_DIGIT": ("72", "Invalid/Missing Member ID"),
    "DATE_OUT_OF_RANGE": ("62", "Date of Service Not Within Allowable Inquiry Period"),
    "INVALID_DATE": ("62", "Date of Service Not Within Allowable Inquiry Period"),
    "REGISTRY_UNAVAILABLE": ("42", "Unable to Respond at Current Time"),
    "STUDENT_REGISTRY_UNAVAILABLE": ("42", "Unable to Respond at Current Time"),
    "CIVIL_REGISTRY_UNAVAILABLE": ("42", "Unable to Respond at Current Time"),
}
