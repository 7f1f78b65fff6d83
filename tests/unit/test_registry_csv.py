"""registry_csv.parse_row: good rows read back exactly; each bad row says why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import RegistryRow
from eligibility_gw.registry_csv import (
    COLUMNS,
    MAX_NAME,
    HeaderError,
    RowError,
    RowReader,
    column_positions,
    parse_row,
)
from eligibility_gw.rulepacks import load_rule_pack

IR = load_rule_pack("ir-tamin")
TODAY = date(2026, 11, 23)
PRINCIPAL = "0499370899"
CHILD = IR.national_id.complete("123456789")
POSITIONS = column_positions(list(COLUMNS))

SELF_ROW = {
    "national_id": PRINCIPAL,
    "given_name": "Ali",
    "family_name": "Rezaei",
    "birth_date": "1980-05-17",
    "sex": "M",
    "phone": "+989121110001",
    "relationship": "self",
    "principal_id": "",
    "cover_start": "2026-01-01",
    "cover_end": "2026-12-31",
    "marital_status": "married",
    "student_until": "",
    "birth_certificate_seen": "",
    "disabled": "no",
    "has_income": "yes",
    "other_insurer": "",
}
CHILD_ROW = {
    **SELF_ROW,
    "national_id": CHILD,
    "given_name": "Amir",
    "birth_date": "2005-03-01",
    "phone": "",
    "relationship": "child",
    "principal_id": PRINCIPAL,
    "cover_start": "",
    "cover_end": "",
    "marital_status": "single",
    "student_until": "2027-06-30",
    "birth_certificate_seen": "yes",
    "has_income": "no",
}


def _fields(row: dict[str, str], **changes: str) -> list[str]:
    merged = {**row, **changes}
    return [merged[c] for c in COLUMNS]


def test_a_principal_row() -> None:
    row = parse_row(_fields(SELF_ROW), POSITIONS, IR, TODAY)
    assert row.national_id == PRINCIPAL
    assert (row.given_name, row.family_name) == ("Ali", "Rezaei")
    assert row.birth_date == date(1980, 5, 17)
    assert row.sex == "M"
    assert row.phone == "+989121110001"
    assert row.relationship == "self"
    assert row.principal_id is None
    assert (row.cover_start, row.cover_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert row.marital_status == "married"
    assert row.student_until is None
    assert row.birth_certificate_seen is None
    assert row.disabled is False
    assert row.has_income is True
    assert row.other_insurer is None


def test_a_dependent_row_is_normalised() -> None:
    row = parse_row(
        _fields(
            CHILD_ROW,
            national_id=f" {CHILD[:3]}-{CHILD[3:]} ",
            principal_id="۰۴۹۹۳۷۰۸۹۹",
            sex="m",
            marital_status="SINGLE",
            birth_certificate_seen="YES",
            disabled="",
            other_insurer="IHIO",
        ),
        POSITIONS,
        IR,
        TODAY,
    )
    assert row.national_id == CHILD
    assert row.principal_id == PRINCIPAL
    assert row.sex == "M"
    assert row.marital_status == "single"
    assert row.student_until == date(2027, 6, 30)
    assert row.birth_certificate_seen is True
    assert row.disabled is None
    assert row.has_income is False
    assert row.other_insurer == "IHIO"
    assert row.cover_start is None
    assert row.cover_end is None
    assert row.phone is None


def test_an_eight_digit_principal_id_is_padded() -> None:
    row = parse_row(_fields(CHILD_ROW, principal_id=PRINCIPAL[1:]), POSITIONS, IR, TODAY)
    assert row.principal_id == PRINCIPAL


def test_born_today_is_not_in_the_future() -> None:
    row = parse_row(_fields(CHILD_ROW, birth_date=TODAY.isoformat()), POSITIONS, IR, TODAY)
    assert row.birth_date == TODAY


def test_columns_found_in_any_order_and_case() -> None:
    header = ["\ufeffExtra", *[c.upper() for c in reversed(COLUMNS)]]
    positions = column_positions(header)
    assert positions == tuple(len(COLUMNS) - i for i in range(len(COLUMNS)))
    fields = ["ignored", *reversed(_fields(SELF_ROW))]
    assert parse_row(fields, positions, IR, TODAY).national_id == PRINCIPAL


def test_missing_columns_are_named() -> None:
    with pytest.raises(HeaderError, match="missing column\\(s\\): phone, other_insurer"):
        column_positions([c for c in COLUMNS if c not in ("phone", "other_insurer")])


BAD_ROWS: list[tuple[str, dict[str, str], dict[str, str], str]] = [
    ("short row", SELF_ROW, {}, "fields, expected 16"),
    ("bad check digit", SELF_ROW, {"national_id": "0499370898"}, "fails its check digit"),
    ("id too short", SELF_ROW, {"national_id": "1234567"}, "must have 10 digits, not 7"),
    ("id with letters", SELF_ROW, {"national_id": "04993708a9"}, "digits only"),
    ("id missing", SELF_ROW, {"national_id": ""}, "national id is empty"),
    ("id repeated", SELF_ROW, {"national_id": "1111111111"}, "cannot repeat one digit"),
    ("no birth date", SELF_ROW, {"birth_date": ""}, "birth_date is required"),
    ("birth date format", SELF_ROW, {"birth_date": "17/05/1980"}, "birth_date '17/05/1980'"),
    ("no such birth day", SELF_ROW, {"birth_date": "1980-02-30"}, "is not a date"),
    ("compact date", SELF_ROW, {"birth_date": "19800517"}, "is not a date YYYY-MM-DD"),
    ("week date", SELF_ROW, {"birth_date": "2026-W48-1"}, "is not a date YYYY-MM-DD"),
    ("future birth date", CHILD_ROW, {"birth_date": "2026-11-24"}, "is in the future"),
    ("bad sex", SELF_ROW, {"sex": "X"}, "sex must be M or F, not 'X'"),
    ("empty sex", SELF_ROW, {"sex": ""}, "sex must be M or F"),
    ("local phone", SELF_ROW, {"phone": "09121110001"}, "is not in E.164 form"),
    ("phone with spaces", SELF_ROW, {"phone": "+98 912 111 0001"}, "E.164"),
    ("phone too short", SELF_ROW, {"phone": "+12345"}, "E.164"),
    ("unknown relationship", CHILD_ROW, {"relationship": "grandparent"}, "'grandparent' is not"),
    ("relationship case", CHILD_ROW, {"relationship": "Child"}, "relationship 'Child'"),
    ("principal on self row", SELF_ROW, {"principal_id": CHILD}, "principal_id must be empty"),
    ("no cover start", SELF_ROW, {"cover_start": ""}, "cover_start and cover_end are required"),
    ("no cover end", SELF_ROW, {"cover_end": ""}, "cover_start and cover_end are required"),
    ("bad cover date", SELF_ROW, {"cover_end": "2026-12-32"}, "cover_end '2026-12-32'"),
    (
        "cover ends before it starts",
        SELF_ROW,
        {"cover_start": "2026-12-31", "cover_end": "2026-01-01"},
        "cover_end is before cover_start",
    ),
    ("dependent without principal", CHILD_ROW, {"principal_id": ""}, "principal_id is required"),
    (
        "principal id check digit",
        CHILD_ROW,
        {"principal_id": "0499370898"},
        "principal_id '0499370898': national id fails its check digit",
    ),
    ("principal id length", CHILD_ROW, {"principal_id": "12345"}, "principal_id '12345'"),
    ("own principal", CHILD_ROW, {"principal_id": CHILD}, "person's own national id"),
    ("cover on dependent", CHILD_ROW, {"cover_start": "2026-01-01"}, "belong on the principal"),
    ("bad marital status", CHILD_ROW, {"marital_status": "engaged"}, "marital_status must be"),
    ("long insurer", CHILD_ROW, {"other_insurer": "X" * 33}, "is not one of IHIO, AFMSIO"),
    ("insurer control char", CHILD_ROW, {"other_insurer": "IH\x07IO"}, "is not one of IHIO"),
    ("insurer not in the pack", CHILD_ROW, {"other_insurer": "no"}, "'no' is not one of IHIO"),
    ("no given name", CHILD_ROW, {"given_name": ""}, "given_name is required"),
    ("no family name", CHILD_ROW, {"family_name": "  "}, "family_name is required"),
    ("long name", CHILD_ROW, {"given_name": "A" * (MAX_NAME + 1)}, "longer than 100"),
    ("NUL in name", CHILD_ROW, {"given_name": "Am\x00ir"}, "given_name contains control"),
    ("escape in name", CHILD_ROW, {"family_name": "Re\x1b[31mzaei"}, "family_name contains"),
    ("DEL in name", CHILD_ROW, {"family_name": "Rez\x7faei"}, "contains control characters"),
    ("newline in name", CHILD_ROW, {"given_name": "Am\nir"}, "contains control characters"),
    ("undecodable bytes", CHILD_ROW, {"given_name": "Am\udcc3ir"}, "is not valid UTF-8"),
    ("bad student date", CHILD_ROW, {"student_until": "2027-06"}, "student_until '2027-06'"),
    ("bad yes/no", CHILD_ROW, {"birth_certificate_seen": "y"}, "must be yes, no or empty"),
    ("bad disabled", CHILD_ROW, {"disabled": "true"}, "disabled must be yes, no or empty"),
    ("bad income", CHILD_ROW, {"has_income": "1"}, "has_income must be yes, no or empty"),
]


@pytest.mark.parametrize(
    ("row", "changes", "reason"),
    [(row, changes, reason) for _, row, changes, reason in BAD_ROWS],
    ids=[name for name, _, _, _ in BAD_ROWS],
)
def test_bad_rows_are_refused_with_their_reason(
    row: dict[str, str], changes: dict[str, str], reason: str
) -> None:
    fields = _fields(row, **changes)
    if reason.startswith("fields, expected"):
        fields = fields[:-1]
    with pytest.raises(RowError) as info:
        parse_row(fields, POSITIONS, IR, TODAY)
    assert reason in str(info.value)


def test_the_pack_decides_the_relationships_and_ids(ro_pack: RulePack) -> None:
    ro_principal = "1800101221144"
    ro_child = ro_pack.national_id.complete("500010140001")
    fields = _fields(
        CHILD_ROW, national_id=ro_child, principal_id=ro_principal, relationship="grandparent"
    )
    row = parse_row(fields, POSITIONS, ro_pack, TODAY)
    assert row.relationship == "grandparent"
    with pytest.raises(RowError, match="must have 13 digits"):
        parse_row(_fields(CHILD_ROW, principal_id=ro_principal), POSITIONS, ro_pack, TODAY)


def _outcome(read: Callable[[list[str]], RegistryRow], fields: list[str]) -> object:
    try:
        return read(fields)
    except RowError as exc:
        return str(exc)


def test_one_reader_for_many_rows_answers_as_a_reader_per_row() -> None:
    """What a reader remembers (dates, principals' ids) never changes an answer."""
    rows = [_fields(SELF_ROW), _fields(CHILD_ROW)]
    for _, row, changes, reason in BAD_ROWS:
        fields = _fields(row, **changes)
        rows.append(fields[:-1] if reason.startswith("fields, expected") else fields)
    rows += [
        _fields(CHILD_ROW, principal_id=f" {PRINCIPAL[:4]}-{PRINCIPAL[4:]}"),
        _fields(CHILD_ROW, given_name="", student_until="2027-13-01"),
        _fields(CHILD_ROW, family_name="x" * (MAX_NAME + 1), has_income="maybe"),
        _fields(CHILD_ROW, given_name="Am\x00ir", family_name="Re\udcc3zaei"),
        _fields(CHILD_ROW, disabled="YES", has_income="No", birth_certificate_seen="nO"),
        _fields(SELF_ROW, birth_date="2026-01-01", cover_start="1980-05-17"),
    ]
    reader = RowReader(POSITIONS, IR, TODAY)
    for fields in rows + rows[::-1] + rows:
        assert _outcome(reader.parse, fields) == _outcome(
            lambda f: parse_row(f, POSITIONS, IR, TODAY), fields
        )
