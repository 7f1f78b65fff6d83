"""Every demo persona shows what it says, under its pack, whatever day the demo is built."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from eligibility_gw.demo import persona_id, personas
from eligibility_gw.domain.dates import anniversary
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import Document, PrivilegeOnFile, ServiceSetting, Status
from eligibility_gw.registry_csv import COLUMNS, OPTIONAL_COLUMNS, column_positions, parse_row
from eligibility_gw.rulepacks import load_rule_pack, shipped_rule_packs
from tests.unit.builders import families_from_rows

DAYS = [
    date(2026, 11, 23),
    date(2028, 2, 29),
    date(2027, 3, 1),
    date(2027, 2, 28),
    date(2026, 12, 31),
    date(2027, 1, 1),
    date(2026, 1, 31),
    date(2026, 3, 31),
]
PACKS = shipped_rule_packs()
CASES = [(name, day) for name in PACKS for day in DAYS]


@pytest.mark.parametrize(("pack_name", "today"), CASES)
def test_each_persona_gets_its_expected_answer(pack_name: str, today: date) -> None:
    pack = load_rule_pack(pack_name)
    people = personas(pack, today)
    assert len(people) >= 4
    families = families_from_rows([p.row for p in people])
    for persona in people:
        fam = families[persona.row.national_id]
        member = fam.member(persona.row.national_id)
        assert member is not None
        d = decide(member, fam, today, ServiceSetting.OUTPATIENT, pack)
        assert d.status is Status(persona.expected_status), (persona.key, d)
        codes = [r.code for r in d.reasons]
        if persona.expected_reason is not None:
            assert codes[0] == persona.expected_reason, (persona.key, codes)
        if d.status is Status.ELIGIBLE:
            # Universal cover has no end; any other ends on or after today.
            assert d.cover_end is not None or pack.open_ended_cover
            assert d.cover_end is None or d.cover_end >= today
        if persona.setting is not None:
            s = decide(member, fam, today, ServiceSetting(persona.setting), pack)
            assert persona.setting_status is not None
            assert s.status is Status(persona.setting_status), (persona.key, s)
            if persona.setting_reason is not None:
                assert s.reasons[0].code == persona.setting_reason, (persona.key, s)


@pytest.mark.parametrize(("pack_name", "today"), CASES)
def test_persona_rows_pass_the_csv_checks(pack_name: str, today: date) -> None:
    pack = load_rule_pack(pack_name)
    positions = column_positions(list(COLUMNS))
    for persona in personas(pack, today):
        row = persona.row
        values = {
            "national_id": row.national_id,
            "given_name": row.given_name,
            "family_name": row.family_name,
            "birth_date": row.birth_date.isoformat(),
            "sex": row.sex,
            "phone": row.phone or "",
            "relationship": row.relationship,
            "principal_id": row.principal_id or "",
            "cover_start": row.cover_start.isoformat() if row.cover_start else "",
            "cover_end": row.cover_end.isoformat() if row.cover_end else "",
            "marital_status": row.marital_status or "",
            "student_until": row.student_until.isoformat() if row.student_until else "",
            "birth_certificate_seen": _yes_no(row.birth_certificate_seen),
            "disabled": _yes_no(row.disabled),
            "has_income": _yes_no(row.has_income),
            "other_insurer": row.other_insurer or "",
            "category": row.category or "",
            "privileges": "; ".join(_privilege(p) for p in row.privileges),
            "documents": "; ".join(_document(d) for d in row.documents),
        }
        if row.cover_end == date.max:  # universal cover: no end in the file
            values["cover_end"] = ""
        header = [*COLUMNS, *OPTIONAL_COLUMNS]
        optional = {c: len(COLUMNS) + i for i, c in enumerate(OPTIONAL_COLUMNS)}
        parsed = parse_row([values[c] for c in header], positions, pack, today, None, optional)
        assert parsed == row, persona.key


def _privilege(p: PrivilegeOnFile) -> str:
    return p.kind + (f" until {p.valid_until}" if p.valid_until else "")


def _document(d: Document) -> str:
    issued = f" issued {d.valid_from}" if d.valid_from else ""
    return d.kind + issued + (f" until {d.valid_until}" if d.valid_until else "")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


@pytest.mark.parametrize("pack_name", PACKS)
def test_persona_ids_are_fixed_valid_and_distinct(pack_name: str) -> None:
    pack = load_rule_pack(pack_name)
    a = personas(pack, date(2026, 11, 23))
    b = personas(pack, date(2028, 2, 29))
    assert [p.row.national_id for p in a] == [p.row.national_id for p in b]
    ids = [p.row.national_id for p in a]
    assert len(set(ids)) == len(ids)
    for k, nid in enumerate(ids, start=1):
        assert nid == persona_id(pack, k, pack.national_id.format_of(nid))
        assert pack.national_id.normalise(nid) == nid
    keys = [p.key for p in a]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("pack_name", ["ir-tamin", "ro-cnas", "pl-nfz", "br-sus", "ru-oms"])
def test_personas_cover_every_status(pack_name: str) -> None:
    pack = load_rule_pack(pack_name)
    statuses = {p.expected_status for p in personas(pack, date(2026, 11, 23))}
    expected = {"eligible", "not_eligible"} | (
        {"undetermined"} if pack_name == "ir-tamin" else set()
    )
    assert statuses == expected


def test_ir_overlap_persona_is_undetermined_as_inpatient() -> None:
    pack = load_rule_pack("ir-tamin")
    today = date(2026, 11, 23)
    people = personas(pack, today)
    families = families_from_rows([p.row for p in people])
    mother = next(p for p in people if p.key == "karimi-mother")
    fam = families[mother.row.national_id]
    member = fam.member(mother.row.national_id)
    assert member is not None
    d = decide(member, fam, today, ServiceSetting.INPATIENT, pack)
    assert d.status is Status.UNDETERMINED
    assert [r.code for r in d.reasons] == ["OVERLAP_WITH_OTHER_INSURER"]


@pytest.mark.parametrize("today", [*DAYS, date(2024, 2, 29), date(2025, 2, 28)])
@pytest.mark.parametrize(
    ("pack_name", "key", "age"),
    [
        ("ir-tamin", "rezaei-son-18", 19),
        ("ro-cnas", "popescu-turns-18", 18),
        ("pl-nfz", "kowalski-turns-18", 18),
        ("pl-nfz", "kowalski-turns-26", 26),
    ],
)
def test_turning_personas_turn_tomorrow_and_end_cover_today(
    pack_name: str, key: str, age: int, today: date
) -> None:
    pack = load_rule_pack(pack_name)
    people = personas(pack, today)
    families = families_from_rows([p.row for p in people])
    persona = next(p for p in people if p.key == key)
    assert anniversary(persona.row.birth_date, age) == today + timedelta(days=1)
    fam = families[persona.row.national_id]
    member = fam.member(persona.row.national_id)
    assert member is not None
    d = decide(member, fam, today, ServiceSetting.OUTPATIENT, pack)
    assert d.cover_end == today


def test_nobody_can_turn_19_on_a_29_february() -> None:
    # The one day the demo cannot show "turns 19 tomorrow": a 29 February 19 years on from a
    # year without one. The persona then turns 19 the day after tomorrow instead.
    pack = load_rule_pack("ir-tamin")
    today = date(2028, 2, 28)
    persona = next(p for p in personas(pack, today) if p.key == "rezaei-son-18")
    assert persona.row.birth_date == date(2009, 3, 1)
    assert anniversary(persona.row.birth_date, 19) == date(2028, 3, 1)
