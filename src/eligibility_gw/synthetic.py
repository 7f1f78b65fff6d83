"""Synthetic registries for the demo, tests and benchmarks: plausible families, valid ids."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from eligibility_gw.domain.dates import add_months, anniversary
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import RegistryRow
from eligibility_gw.registry_csv import COLUMNS

_GIVEN = {
    "M": ["Ali", "Reza", "Hossein", "Mehdi", "Amir", "Saeed", "Hamid", "Mohammad", "Ion", "Andrei"],
    "F": ["Maryam", "Zahra", "Fatemeh", "Sara", "Neda", "Leila", "Narges", "Elena", "Maria", "Ana"],
}
_FAMILY = ["Rahimi", "Hosseini", "Moradi", "Jafari", "Karimi", "Sadeghi", "Popescu", "Ionescu"]
#: Synthetic ids start here, far from the demo personas' ids.
SYNTHETIC_ID_BASE = 3


def synthetic_id(pack: RulePack, n: int) -> str:
    """The ``n``-th synthetic national id: valid under the pack's check digit."""
    return pack.national_id.sample(SYNTHETIC_ID_BASE, n)


def _dependent(
    pack: RulePack,
    n: int,
    rng: random.Random,
    principal: RegistryRow,
    rel: str,
    sex: str,
    birth: date,
    **facts: object,
) -> RegistryRow:
    values: dict[str, object] = {
        "marital_status": "single",
        "student_until": None,
        "birth_certificate_seen": None,
        "disabled": False,
        "has_income": False,
        "other_insurer": None,
    }
    values.update(facts)
    return RegistryRow(
        synthetic_id(pack, n),
        rng.choice(_GIVEN[sex]),
        principal.family_name,
        birth,
        sex,
        None,
        rel,
        principal.national_id,
        None,
        None,
        **values,  # type: ignore[arg-type]
    )


def synthetic_rows(
    pack: RulePack, families: int, today: date, seed: int = 7
) -> Iterator[RegistryRow]:
    """Rows for ``families`` families: a principal, often a spouse, children, some parents."""
    rng = random.Random(seed)
    n = 0
    phone_base = 9_120_000_000
    for f in range(families):
        n += 1
        p_sex = rng.choice("MF")
        p_birth = today - timedelta(days=rng.randint(25 * 365, 65 * 365))
        start = add_months(today, -rng.randint(1, 60))
        end = max(start, add_months(today, rng.randint(-3, 24)))
        principal = RegistryRow(
            synthetic_id(pack, n),
            rng.choice(_GIVEN[p_sex]),
            rng.choice(_FAMILY),
            p_birth,
            p_sex,
            f"+98{phone_base + f}",
            "self",
            None,
            start,
            end,
            "married",
            None,
            True,
            False,
            False,
            None,
        )
        yield principal
        if not pack.dependent_relationships:  # every member holds cover of their own
            continue
        if rng.random() < 0.8 and "spouse" in pack.dependent_relationships:
            n += 1
            yield _dependent(
                pack,
                n,
                rng,
                principal,
                "spouse",
                "F" if p_sex == "M" else "M",
                p_birth + timedelta(days=rng.randint(-1500, 1500)),
                marital_status="married",
                has_income=rng.random() < 0.2,
            )
        for _ in range(
            rng.choice((0, 1, 2, 2, 3, 4)) if "child" in pack.dependent_relationships else 0
        ):
            n += 1
            age_days = rng.randint(0, 26 * 365)
            student = None
            if age_days > 18 * 365 and rng.random() < 0.6:
                student = add_months(today, rng.randint(-6, 18))
            married = age_days > 21 * 365 and rng.random() < 0.3
            yield _dependent(
                pack,
                n,
                rng,
                principal,
                "child",
                rng.choice("MF"),
                today - timedelta(days=age_days),
                student_until=student,
                birth_certificate_seen=rng.random() < 0.7,
                marital_status="married" if married else "single",
                has_income=age_days > 20 * 365 and rng.random() < 0.2,
                disabled=rng.random() < 0.02,
            )
        if rng.random() < 0.1 and "parent" in pack.dependent_relationships:
            n += 1
            yield _dependent(
                pack,
                n,
                rng,
                principal,
                "parent",
                rng.choice("MF"),
                anniversary(p_birth, -28),
                marital_status="married",
                has_income=rng.random() < 0.5,
            )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, rows: Iterator[RegistryRow]) -> int:
    """Write rows in the registry CSV format; return how many."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([_cell(getattr(r, c)) for c in COLUMNS])
            count += 1
    return count
