"""A registry file with the optional columns (category, privileges, documents), imported
into a real SQLite file and read back by the answers; bad cells refused by line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from eligibility_gw.adapters.sqlite import SqliteStore
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import ServiceSetting, Status
from eligibility_gw.importer import ImportProblem, import_registry
from eligibility_gw.registry_csv import COLUMNS, OPTIONAL_COLUMNS
from eligibility_gw.rulepacks import load_rule_pack
from tests.conftest import dependent_csv_row, principal_csv_row, write_registry_csv

TODAY = date(2026, 11, 23)
RO = load_rule_pack("ro-cnas")
RU = load_rule_pack("ru-oms")


async def test_categories_documents_and_privileges_are_imported_and_decide(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    head = RO.national_id.sample(5, 1)
    child = RO.national_id.sample(5, 2)
    pensioner = RO.national_id.sample(5, 3)
    issued = (TODAY - timedelta(days=100)).isoformat()
    rows = [
        principal_csv_row(head, category="3"),
        dependent_csv_row(child, head, birth_date="2012-01-01", category="01"),
        dependent_csv_row(RO.national_id.sample(5, 4), head, category="05"),  # not a child's
        principal_csv_row(RO.national_id.sample(5, 5), category="02"),  # no such category
        principal_csv_row(
            pensioner, category="05", documents=f"disability_pension_decision issued {issued}"
        ),
    ]
    path = write_registry_csv(tmp_path / "ro.csv", rows, [*COLUMNS, *OPTIONAL_COLUMNS])
    report = await import_registry(path, sqlite_store.registry, RO, TODAY, progress=False)
    assert report.rows_imported == 3
    assert report.problems == [
        ImportProblem(4, "category 05 is for self rows, not 'child'"),
        ImportProblem(
            5, "category '02' is not one of 01, 03, 04, 05, 06, 07, 08, 09, 16, 18 (or empty)"
        ),
    ]
    family = await sqlite_store.registry.find_family(pensioner)
    assert family is not None
    d = decide(family.principal, family, TODAY, ServiceSetting.OUTPATIENT, RO)
    assert (d.status, d.category) == (Status.ELIGIBLE, "05")
    assert d.cover_end is not None and d.cover_end < date(2099, 12, 31)  # the proof's end
    kids = await sqlite_store.registry.find_family(child)
    assert kids is not None
    assert [m.category for m in kids.members] == ["03", "01"]


async def test_a_sanatorium_referral_and_the_benefit_from_the_file(
    sqlite_store: SqliteStore, tmp_path: Path
) -> None:
    ivan = RU.national_id.sample(5, 1)
    issued = (TODAY - timedelta(days=10)).isoformat()
    row = principal_csv_row(
        ivan,
        privileges="social_services_set until 2027-12-31",
        documents=f"sanatorium_referral issued {issued}",
    )
    path = write_registry_csv(tmp_path / "ru.csv", [row], [*COLUMNS, *OPTIONAL_COLUMNS])
    report = await import_registry(path, sqlite_store.registry, RU, TODAY, progress=False)
    assert (report.rows_imported, report.problems) == (1, [])
    family = await sqlite_store.registry.find_family(ivan)
    assert family is not None
    d = decide(family.principal, family, TODAY, ServiceSetting.SANATORIUM, RU)
    assert d.status is Status.ELIGIBLE
    assert d.cover_end == date(2027, 5, 13)  # six months from the issue, to the same day
    # The same person again without the columns' cells: neither stays on file.
    bare = write_registry_csv(tmp_path / "ru-2.csv", [principal_csv_row(ivan)])
    await import_registry(bare, sqlite_store.registry, RU, TODAY, progress=False)
    family = await sqlite_store.registry.find_family(ivan)
    assert family is not None
    assert (family.principal.privileges, family.principal.documents) == ((), ())
