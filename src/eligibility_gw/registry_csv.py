"""The registry CSV format: one row per person, read and checked row by row."""

from __future__ import annotations

import re
from datetime import date
from operator import itemgetter

from eligibility_gw.domain.errors import InvalidNationalId
from eligibility_gw.domain.model import Document, MaritalStatus, PrivilegeOnFile
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
#: Columns a file may have or not: a missing one reads as empty cells.
OPTIONAL_COLUMNS = ("category", "privileges", "documents")
#: Document kinds with a column of their own.
_OWN_COLUMN = {
    "student_certificate": "student_until",
    "birth_certificate": "birth_certificate_seen",
}
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


def optional_positions(header: list[str]) -> dict[str, int]:
    """Where each optional column the file has sits in its header."""
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    return {c: names.index(c) for c in OPTIONAL_COLUMNS if c in names}


def _items(cell: str, column: str) -> list[tuple[str, dict[str, str]]]:
    """``KIND [issued DATE] [until DATE]; …``: each item's kind and its dated words."""
    found = []
    for item in cell.split(";"):
        words = item.split()
        if not words:
            continue
        kind, rest = words[0], words[1:]
        if len(rest) % 2:
            raise RowError(
                f"{column}: {item.strip()!r} is not KIND, KIND until YYYY-MM-DD"
                " or KIND issued YYYY-MM-DD"
            )
        dated: dict[str, str] = {}
        for word, value in zip(rest[::2], rest[1::2], strict=True):
            if word.lower() not in ("issued", "until") or word.lower() in dated:
                raise RowError(f"{column}: {kind}: expected 'issued' or 'until', not {word!r}")
            dated[word.lower()] = value
        found.append((kind, dated))
    return found


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


#: Distinct date texts remembered by one ``RowReader`` (a registry has few distinct dates).
DATE_CACHE = 200_000


class RowReader:
    """Check the rows of one file: the columns, the pack and today are read once for all."""

    def __init__(
        self,
        positions: tuple[int, ...],
        pack: RulePack,
        today: date,
        width: int | None = None,
        optional: dict[str, int] | None = None,
    ) -> None:
        self._pick = itemgetter(*positions)
        self._optional = optional or {}
        self._pack = pack
        #: Fields every row must have: as many as the header (``width``), else the columns read.
        last = max((*positions, *self._optional.values()))
        self._width = last + 1 if width is None else width
        if self._width <= last:
            raise ValueError("the header is narrower than the columns it names")
        self._ids = pack.national_id
        self._relationships = frozenset(pack.relationships)
        self._relationship_list = ", ".join(pack.relationships)
        self._principal = pack.principal_relationship
        self._pack_label = pack.label
        # Codes of other insurers, found whatever the case they are written in.
        self._insurers = {code.upper(): code for code in pack.other_insurers}
        self._today = today
        self._dates: dict[str, date] = {}
        # Principals' ids as checked: dependents name them again, and need no new check.
        self._principal_ids: set[str] = set()

    def _cell(self, fields: list[str], column: str) -> str:
        at = self._optional.get(column)
        return fields[at].strip() if at is not None else ""

    def _category(self, text: str, relationship: str) -> str:
        pack = self._pack
        shown = text if len(text) <= 16 and text.isprintable() else "(unreadable)"
        if not pack.categories:
            raise RowError(
                f"category {shown!r}: rule pack {self._pack_label} has no categories;"
                " leave it empty"
            )
        code = pack.category_code(text)
        if code is None:
            known = ", ".join(pack.categories)
            raise RowError(f"category {shown!r} is not one of {known} (or empty)")
        category = pack.categories[code]
        if category.relationships and relationship not in category.relationships:
            allowed = ", ".join(category.relationships)
            raise RowError(f"category {code} is for {allowed} rows, not {relationship!r}")
        return code

    def _privileges(self, cell: str) -> tuple[PrivilegeOnFile, ...]:
        found: dict[str, PrivilegeOnFile] = {}
        for kind, dated in _items(cell, "privileges"):
            if kind not in self._pack.privileges:
                known = ", ".join(self._pack.privileges) or "none in this rule pack"
                raise RowError(f"privileges: {kind!r} is not a privilege of {known}")
            if "issued" in dated:
                raise RowError(f"privileges: {kind}: give 'until' (or nothing), not 'issued'")
            if kind in found:
                raise RowError(f"privileges: {kind} is listed twice")
            until = self._date(dated["until"], f"privileges: {kind} until") if dated else None
            found[kind] = PrivilegeOnFile(kind, until)
        return tuple(found.values())

    def _documents(self, cell: str) -> tuple[Document, ...]:
        found: dict[str, Document] = {}
        for kind, dated in _items(cell, "documents"):
            if kind in _OWN_COLUMN:
                raise RowError(f"documents: {kind} has a column of its own, {_OWN_COLUMN[kind]}")
            document = self._pack.documents.get(kind)
            if document is None:
                known = ", ".join(k for k in self._pack.documents if k not in _OWN_COLUMN)
                raise RowError(f"documents: {kind!r} is not one of {known or 'none'}")
            if kind in found:
                raise RowError(f"documents: {kind} is listed twice")
            issued = (
                self._date(dated["issued"], f"documents: {kind} issued")
                if "issued" in dated
                else None
            )
            until = (
                self._date(dated["until"], f"documents: {kind} until") if "until" in dated else None
            )
            if issued is not None and issued > self._today:
                raise RowError(f"documents: {kind} issued {issued} is in the future")
            if document.valid_for_months is not None and issued is None:
                raise RowError(
                    f"documents: {kind} is valid {document.valid_for_months} months from its"
                    f" issue: give '{kind} issued YYYY-MM-DD'"
                )
            if issued is not None and until is not None and until < issued:
                raise RowError(f"documents: {kind} is valid until before it was issued")
            found[kind] = Document(kind, issued, until)
        return tuple(found.values())

    def _date(self, value: str, column: str, required: bool = False) -> date | None:
        found = _date(value, column, required)
        if found is not None and len(self._dates) < DATE_CACHE:
            self._dates[value] = found
        return found

    def _other_insurer(self, text: str) -> str:
        """The rule pack's code for ``text``; ``RowError`` when the pack lists no such code."""
        code = self._insurers.get(text.upper())
        if code is not None:
            return code
        shown = text if len(text) <= 32 and text.isprintable() else "(unreadable)"
        if not self._insurers:
            raise RowError(
                f"other_insurer {shown!r}: rule pack {self._pack_label} lists no other insurers;"
                " leave it empty"
            )
        known = ", ".join(self._insurers.values())
        raise RowError(f"other_insurer {shown!r} is not one of {known} (or empty)")

    def parse(self, fields: list[str]) -> RegistryRow:
        """Check one row against the format and the rule pack."""
        if len(fields) != self._width:
            # A row longer than the header is refused like a short one: one stray comma
            # shifts every later column, and the last ones would land in the wrong fields.
            raise RowError(f"{len(fields)} fields, expected {self._width}")
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
        ) = map(str.strip, self._pick(fields))
        ids = self._ids
        dates = self._dates
        try:
            national_id = ids.normalise(nid)
        except InvalidNationalId as exc:
            raise RowError(f"national_id {nid!r}: {exc.message}") from None
        birth_date = dates.get(birth) or self._date(birth, "birth_date", required=True)
        assert birth_date is not None
        if birth_date > self._today:
            raise RowError(f"birth_date {birth} is in the future")
        given_sex = sex
        sex = sex.upper()
        if sex not in ("M", "F"):
            raise RowError(f"sex must be M or F, not {given_sex!r}")
        if phone and not is_e164(phone):
            raise RowError(f"phone {phone!r} is not in E.164 form (+ and country code)")
        if rel not in self._relationships:
            raise RowError(f"relationship {rel!r} is not one of {self._relationship_list}")
        principal_id: str | None = None
        start = (dates.get(c_start) or self._date(c_start, "cover_start")) if c_start else None
        end = (dates.get(c_end) or self._date(c_end, "cover_end")) if c_end else None
        if rel == self._principal:
            self._principal_ids.add(national_id)
            if principal:
                raise RowError(f"principal_id must be empty on a {rel!r} row")
            if start is not None and end is None and self._pack.open_ended_cover:
                end = date.max  # universal cover: registered from cover_start, no end
            if start is None or end is None:
                raise RowError(f"cover_start and cover_end are required on a {rel!r} row")
            if end < start:
                raise RowError("cover_end is before cover_start")
        else:
            if not principal:
                raise RowError(f"principal_id is required on a {rel!r} row")
            if principal in self._principal_ids:
                principal_id = principal
            else:
                try:
                    principal_id = ids.normalise(principal)
                except InvalidNationalId as exc:
                    raise RowError(f"principal_id {principal!r}: {exc.message}") from None
            if principal_id == national_id:
                raise RowError("principal_id is the person's own national id")
            if start or end:
                raise RowError("cover_start/cover_end belong on the principal's row")
        marital = marital.lower()
        if marital and marital not in _MARITAL:
            raise RowError(f"marital_status must be one of {', '.join(sorted(_MARITAL))} or empty")
        if other:
            other = self._other_insurer(other)
        # One test for the common case of two good names; _text says what is wrong if not.
        if (
            not given
            or not family
            or len(given) > MAX_NAME
            or len(family) > MAX_NAME
            or _BAD_TEXT.search(given + family)
        ):
            _text(given, "given_name", required=True)
            _text(family, "family_name", required=True)
        student_until = (
            (dates.get(student) or self._date(student, "student_until")) if student else None
        )
        try:
            certificate = _YES_NO[birth_cert]
        except KeyError:
            certificate = _yes_no(birth_cert, "birth_certificate_seen")
        try:
            is_disabled = _YES_NO[disabled]
        except KeyError:
            is_disabled = _yes_no(disabled, "disabled")
        try:
            has_income = _YES_NO[income]
        except KeyError:
            has_income = _yes_no(income, "has_income")
        category = self._cell(fields, "category") if self._optional else ""
        privileges = self._cell(fields, "privileges") if self._optional else ""
        documents = self._cell(fields, "documents") if self._optional else ""
        return RegistryRow(
            national_id=national_id,
            given_name=given,
            family_name=family,
            birth_date=birth_date,
            sex=sex,
            phone=phone or None,
            relationship=rel,
            principal_id=principal_id,
            cover_start=start,
            cover_end=end,
            marital_status=marital or None,
            student_until=student_until,
            birth_certificate_seen=certificate,
            disabled=is_disabled,
            has_income=has_income,
            other_insurer=other or None,
            category=self._category(category, rel) if category else None,
            privileges=self._privileges(privileges) if privileges else (),
            documents=self._documents(documents) if documents else (),
        )


def parse_row(
    fields: list[str],
    positions: tuple[int, ...],
    pack: RulePack,
    today: date,
    width: int | None = None,
    optional: dict[str, int] | None = None,
) -> RegistryRow:
    """Check one row against the format and the rule pack (``RowReader`` for many rows)."""
    return RowReader(positions, pack, today, width, optional).parse(fields)
