"""The new packs' national ids (python-stdnum's where it knows them, weights as data where it
does not), and the registry CSV's optional columns: category, privileges, documents."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility_gw.domain.errors import InvalidNationalId, NationalIdCheckDigit
from eligibility_gw.domain.model import Document, PrivilegeOnFile
from eligibility_gw.domain.national_id import NationalIdFormat, NationalIdScheme, StdnumFormat
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import RegistryRow
from eligibility_gw.registry_csv import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    RowError,
    column_positions,
    optional_positions,
    parse_row,
)
from eligibility_gw.rulepacks import load_rule_pack, shipped_rule_packs
from eligibility_gw.wording import Wording

TODAY = date(2026, 11, 23)
PL = load_rule_pack("pl-nfz")
BR = load_rule_pack("br-sus")
RU = load_rule_pack("ru-oms")
RO = load_rule_pack("ro-cnas")


# --- national ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pack", "typed", "canonical"),
    [
        (PL, "44051401359", "44051401359"),
        (PL, "440 514 013 59", "44051401359"),
        (BR, "390.533.447-05", "39053344705"),  # a CPF
        (BR, "898 0011 6066 0761", "898001160660761"),  # a CNS
        (RU, "112-233-445 95", "11223344595"),  # SNILS
        (RU, "1000 0000 0000 0016", "1000000000000016"),  # the unified OMS policy number
    ],
)
def test_each_accepted_id_is_read_in_its_own_format(
    pack: RulePack, typed: str, canonical: str
) -> None:
    assert pack.national_id.normalise(typed) == canonical
    assert pack.national_id.is_valid(canonical)


@pytest.mark.parametrize(
    ("pack", "typed", "error", "problem"),
    [
        (PL, "44051401358", NationalIdCheckDigit, None),
        (PL, "02381307589", InvalidNationalId, "component"),  # 38th of a month: no date
        (PL, "4405140135", InvalidNationalId, "length"),
        (BR, "39053344706", NationalIdCheckDigit, None),
        (BR, "898001160660762", NationalIdCheckDigit, None),
        (BR, "398001160660761", InvalidNationalId, "component"),  # a CNS starts 1, 2, 7-9
        (BR, "1234567890123", InvalidNationalId, "lengths"),  # neither 11 nor 15 digits
        (RU, "11223344596", NationalIdCheckDigit, None),
        (RU, "1000000000000017", NationalIdCheckDigit, None),
        (RU, "123", InvalidNationalId, "lengths"),
    ],
)
def test_a_bad_id_is_refused_before_lookup_with_why(
    pack: RulePack, typed: str, error: type[Exception], problem: str | None
) -> None:
    with pytest.raises(error) as info:
        pack.national_id.normalise(typed)
    assert isinstance(info.value, InvalidNationalId)
    assert info.value.params.get("problem") == problem
    for language in ("en", "fa"):
        text = Wording(language).error(info.value)
        assert "{" not in text and not text.startswith("error."), text


@pytest.mark.parametrize("name", shipped_rule_packs())
def test_samples_of_every_format_are_valid_and_distinct(name: str) -> None:
    ids = load_rule_pack(name).national_id
    assert isinstance(ids, NationalIdScheme | NationalIdFormat | StdnumFormat)
    formats = ids.formats if isinstance(ids, NationalIdScheme) else (ids,)
    for fmt in formats:
        found = {fmt.sample(series, n) for series in (1, 3) for n in range(1, 400)}
        assert len(found) == 2 * 399
        assert all(ids.normalise(x) == x for x in found)
        assert all(ids.format_of(x) == fmt.name for x in found)
        assert not fmt.example or fmt.is_valid(fmt.example)


# --- the optional registry columns --------------------------------------------------------

HEADER = [*COLUMNS, *OPTIONAL_COLUMNS]


def _row(pack: RulePack, **cells: str) -> dict[str, str]:
    base = {
        "national_id": pack.national_id.sample(2, 1),
        "given_name": "Jan",
        "family_name": "Kowalski",
        "birth_date": "1980-05-17",
        "sex": "M",
        "relationship": "self",
        "cover_start": "2026-01-01",
        "cover_end": "2027-12-31",
        "marital_status": "married",
        "disabled": "no",
        "has_income": "yes",
    }
    base.update(cells)
    return base


def _parse(pack: RulePack, cells: dict[str, str], header: list[str] = HEADER) -> RegistryRow:
    return parse_row(
        [cells.get(c, "") for c in header],
        column_positions(header),
        pack,
        TODAY,
        len(header),
        optional_positions(header),
    )


def test_the_category_is_read_as_the_pack_prints_it() -> None:
    for typed in ("3", "03", "003"):
        assert _parse(RO, _row(RO, category=typed)).category == "03"
    assert _parse(RO, _row(RO)).category is None


@pytest.mark.parametrize(
    ("pack", "cells", "message"),
    [
        (RO, {"category": "2"}, "category '2' is not one of 01, 03, 04, 05"),
        (RO, {"category": "07"}, "category 07 is for child rows, not 'self'"),
        (PL, {"category": "01"}, "has no categories; leave it empty"),
        (PL, {"privileges": "blood_donor"}, "'blood_donor' is not a privilege of"),
        (PL, {"privileges": "war_invalid until 2027-13-01"}, "is not a date YYYY-MM-DD"),
        (PL, {"privileges": "war_invalid issued 2020-01-01"}, "give 'until' (or nothing)"),
        (PL, {"privileges": "war_invalid; war_invalid"}, "war_invalid is listed twice"),
        (PL, {"privileges": "war_invalid until"}, "is not KIND, KIND until"),
        (RU, {"documents": "sanatorium_referral"}, "give 'sanatorium_referral issued"),
        (RU, {"documents": "sanatorium_referral issued 2026-12-01"}, "is in the future"),
        (RU, {"documents": "spa_voucher issued 2026-01-01"}, "'spa_voucher' is not one of"),
        (RO, {"documents": "student_certificate until 2027-01-01"}, "a column of its own"),
        (
            RU,
            {"documents": "sanatorium_referral issued 2026-05-01 until 2026-04-01"},
            "valid until before it was issued",
        ),
        (RU, {"documents": "sanatorium_referral dated 2026-05-01"}, "expected 'issued' or"),
        (PL, {"cover_end": ""}, "cover_start and cover_end are required"),
    ],
)
def test_a_bad_cell_of_the_new_columns_is_refused_with_why(
    pack: RulePack, cells: dict[str, str], message: str
) -> None:
    with pytest.raises(RowError) as info:
        _parse(pack, _row(pack, **cells))
    assert message in str(info.value)


def test_privileges_and_documents_are_read_with_their_dates() -> None:
    row = _parse(
        PL,
        _row(
            PL,
            privileges="honorary_blood_donor until 2028-12-31; war_invalid",
            documents="school_certificate until 2027-06-30;disability_certificate",
        ),
    )
    assert row.privileges == (
        PrivilegeOnFile("honorary_blood_donor", date(2028, 12, 31)),
        PrivilegeOnFile("war_invalid"),
    )
    assert row.documents == (
        Document("school_certificate", None, date(2027, 6, 30)),
        Document("disability_certificate"),
    )
    referral = _parse(RU, _row(RU, documents="sanatorium_referral issued 2026-06-01"))
    assert referral.documents == (Document("sanatorium_referral", date(2026, 6, 1)),)


def test_universal_cover_may_have_no_end() -> None:
    row = _parse(BR, _row(BR, cover_end=""))
    assert row.cover_end == date.max
    assert _parse(BR, _row(BR)).cover_end == date(2027, 12, 31)


def test_a_file_without_the_optional_columns_reads_as_before() -> None:
    header = list(COLUMNS)
    row = _parse(RO, _row(RO), header)
    assert (row.category, row.privileges, row.documents) == (None, (), ())
    assert optional_positions(["national_id", "CATEGORY ", "documents"]) == {
        "category": 1,
        "documents": 2,
    }
