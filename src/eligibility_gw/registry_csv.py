"""The registry CSV format: one row per person, read and checked row by row."""

from __future__ import annotations

import re
from datetime import date

from eligibility_gw.domain.errors import InvalidNationalId
from eligibility_gw.domain.model import MaritalStatus
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.phones import is_e164
from eligibility_gw.ports import RegistryRow

COLUMNS = (
    "national_id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "relationship",
    "principal_id",
    "cover_start",
    "cover_end",
    "marital_status",
    "student_until",
    "birth_certificate_seen",
    "disabled",
    "has_income",
    "other_insurer",
)
_MARITAL = frozenset(m.value for m in MaritalStatus)
_YES_NO = {"yes": True, "no": False, "": None}
MAX_NAME = 100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Control characters, and the lone surrogates that undecodable bytes become.
_BAD_TEXT = re.compile("[\x00-\x1f\x7f\udc80-\udcff]")


class RowError(ValueError):
    """Why one row was refused."""


class HeaderError(ValueError):
    """The header row lacks columns; nothing can be imported."""


def column_positions(header: list[str]) -> tuple[int, ...]:
    """Where each expected column sits in the file's header."""
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise HeaderError(f"missing column(s): {', '.join(missing)}")
    return tuple(names.index(c) for c in COLUMNS)


def _date(value: str, column: str, required: bool = False) -> date | None:
    if not value:
        if required:
            raise RowError(f"{column} is required")
        return None
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{column} {value!r} is not a date YYYY-MM-DD") from None


def _yes_no(value: str, column: str) -> bool | None:
    try:
        return _YES_NO[value.lower()]
    except KeyError:
        raise RowError(f"{column} must be yes, no or empty, not {value!r}") from None


def _text(value: str, column: str, required: bool) -> str:
    bad = _BAD_TEXT.search(value)
    if bad:
        if bad.group() >= "\udc80":
            raise RowError(f"{column} is not valid UTF-8")
        raise RowError(f"{column} contains control characters")
    if required and not value:
        raise RowError(f"{column} is required")
    if len(value) > MAX_NAME:
        raise RowError(f"{column} is longer than {MAX_NAME} characters")
    return value


def parse_row(
    fields: list[str], positions: tuple[int, ...], pack: RulePack, today: date
) -> RegistryRow:
    """Check one row against the format and the rule pack."""
    if len(fields) < len(positions) or len(fields) <= max(positions):
        raise RowError(f"{len(fields)} fields, expected {max(positions) + 1}")
    v = [fields[i].strip() for i in positions]
    (
        nid,
        given,
        family,
        birth,
        sex,
        phone,
        rel,
        principal,
        c_start,
        c_end,
        marital,
        student,
        birth_cert,
        disabled,
        income,
        other,
    ) = v
    try:
        national_id = pack.national_id.normalise(nid)
    except InvalidNationalId as exc:
        raise RowError(f"national_id {nid!r}: {exc.message}") from None
    birth_date = _date(birth, "birth_date", required=True)
    assert birth_date is not None
    if birth_date > today:
        raise RowError(f"birth_date {birth} is in the future")
    sex = sex.upper()
    if sex not in ("M", "F"):
        raise RowError(f"sex must be M or F, not {v[4]!r}")
    if phone and not is_e164(phone):
        raise RowError(f"phone {phone!r} is not in E.164 form (+ and country code)")
    if rel not in pack.relationships:
        raise RowError(f"relationship {rel!r} is not one of {', '.join(pack.relationships)}")
    is_principal = rel == pack.principal_relationship
    principal_id: str | None = None
    start = _date(c_start, "cover_start")
    end = _date(c_end, "cover_end")
    if is_principal:
        if principal:
            raise RowError(f"principal_id must be empty on a {rel!r} row")
        if start is None or end is None:
            raise RowError(f"cover_start and cover_end are required on a {rel!r} row")
        if end < start:
            raise RowError("cover_end is before cover_start")
    else:
        if not principal:
            raise RowError(f"principal_id is required on a {rel!r} row")
        try:
            principal_id = pack.national_id.normalise(principal)
        except InvalidNationalId as exc:
            raise RowError(f"principal_id {principal!r}: {exc.message}") from None
        if principal_id == national_id:
            raise RowError("principal_id is the person's own national id")
        if start or end:
            raise RowError("cover_start/cover_end belong on the principal's row")
    marital = marital.lower()
    if marital and marital not in _MARITAL:
        raise RowError(f"marital_status must be one of {', '.join(sorted(_MARITAL))} or empty")
    if other and (len(other) > 32 or not other.isprintable()):
        raise RowError("other_insurer must be a short printable code")
    return RegistryRow(
        national_id=national_id,
        given_name=_text(given, "given_name", required=True),
        family_name=_text(family, "family_name", required=True),
        birth_date=birth_date,
        sex=sex,
        phone=phone or None,
        relationship=rel,
        principal_id=principal_id,
        cover_start=start,
        cover_end=end,
        marital_status=marital or None,
        student_until=_date(student, "student_until"),
        birth_certificate_seen=_yes_no(birth_cert, "birth_certificate_seen"),
        disabled=_yes_no(disabled, "disabled"),
        has_income=_yes_no(income, "has_income"),
        other_insurer=other or None,
    )
