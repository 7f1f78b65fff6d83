"""Pure decisions per second on one core: ``decide()`` over in-memory families.

Persons come from ``synthetic_rows`` (principals, spouses, children of every age with and
without certificates, parents) plus the demo personas, built into ``Family`` objects before
the clock starts; only the ``decide()`` calls are timed.

    python -m bench.bench_decide [--persons 200000] [--repeat 5] [--pack ir-tamin]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date

from bench._common import Figure, load_text, machine, pack_for, print_figures, today_for
from eligibility_gw.demo import personas
from eligibility_gw.domain.dates import age_on
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.model import (
    CoverPeriod,
    Document,
    Family,
    MaritalStatus,
    Person,
    ServiceSetting,
    Sex,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import RegistryRow
from eligibility_gw.synthetic import synthetic_rows

PACKS = ("ir-tamin", "ro-cnas")
DEFAULT_PERSONS = 200_000
DEFAULT_REPEAT = 5
TARGET_PER_SECOND = 100_000.0
#: One inquiry in ten is inpatient (the overlap check).
INPATIENT_EVERY = 10

Case = tuple[Person, Family, ServiceSetting]


def to_person(row: RegistryRow) -> Person:
    """A registry row as the store would hand it to the engine."""
    periods: tuple[CoverPeriod, ...] = ()
    if row.cover_start is not None and row.cover_end is not None:
        periods = (CoverPeriod(row.cover_start, row.cover_end),)
    docs: list[Document] = []
    if row.student_until is not None:
        docs.append(Document("student_certificate", valid_until=row.student_until))
    if row.birth_certificate_seen:
        docs.append(Document("birth_certificate"))
    return Person(
        national_id=row.national_id,
        given_name=row.given_name,
        family_name=row.family_name,
        birth_date=row.birth_date,
        sex=Sex(row.sex),
        relationship=row.relationship,
        principal_id=row.principal_id,
        phone=row.phone,
        marital_status=MaritalStatus(row.marital_status) if row.marital_status else None,
        disabled=row.disabled,
        has_income=row.has_income,
        other_insurer=row.other_insurer,
        cover_periods=periods,
        documents=tuple(docs),
    )


def families_of(rows: Iterable[RegistryRow]) -> list[Family]:
    """Group rows into families (dependents of a principal not among the rows are dropped)."""
    order: list[str] = []
    principals: dict[str, Person] = {}
    dependents: dict[str, list[Person]] = {}
    for row in rows:
        person = to_person(row)
        if row.principal_id is None:
            principals[row.national_id] = person
            order.append(row.national_id)
        else:
            dependents.setdefault(row.principal_id, []).append(person)
    return [Family(principals[pid], tuple(dependents.get(pid, ()))) for pid in order]


def build_cases(pack: RulePack, persons: int, today: date) -> list[Case]:
    """About ``persons`` (person, family, setting) cases: synthetic families and the personas."""
    rows = itertools.islice(synthetic_rows(pack, persons, today), persons)
    families = families_of(rows)
    families += families_of(p.row for p in personas(pack, today))
    cases: list[Case] = []
    for family in families:
        for person in family.members:
            setting = (
                ServiceSetting.INPATIENT
                if len(cases) % INPATIENT_EVERY == 0
                else ServiceSetting.OUTPATIENT
            )
            cases.append((person, family, setting))
    return cases


def category(person: Person, today: date) -> str:
    """Which part of the mix a person belongs to."""
    if person.is_principal:
        return "principal"
    if person.relationship != "child" or person.birth_date is None:
        return person.relationship
    kind = "son" if person.sex is Sex.MALE else "daughter"
    age = age_on(person.birth_date, today)
    band = "<18" if age < 18 else "18-20" if age <= 20 else "21+"
    return f"{kind} {band}"


def time_decisions(cases: Sequence[Case], day: date, pack: RulePack) -> tuple[float, float]:
    """Wall and CPU seconds for one ``decide()`` per case, the garbage collector paused.

    CPU time only shows whether the run had a core to itself (CPU / wall near 100%).
    """
    gc.disable()
    try:
        cpu = time.thread_time()
        started = time.perf_counter()
        for person, family, setting in cases:
            decide(person, family, day, setting, pack)
        return time.perf_counter() - started, time.thread_time() - cpu
    finally:
        gc.enable()


def bench_pack(pack_name: str, persons: int, repeat: int) -> Figure:
    """Decisions per second for one pack (best of ``repeat`` runs over the same cases)."""
    pack = pack_for(pack_name)
    today = today_for(pack_name)
    started = time.perf_counter()
    cases = build_cases(pack, persons, today)
    built = time.perf_counter() - started
    mix = Counter(category(p, today) for p, _, _ in cases)
    statuses = Counter(decide(p, f, today, s, pack).status.value for p, f, s in cases)
    print(f"  {pack_name}: {len(cases):,} persons built in {built:.1f} s")
    print("    mix: " + ", ".join(f"{k} {v / len(cases):.1%}" for k, v in sorted(mix.items())))
    print(
        "    answers: "
        + ", ".join(f"{k} {v / len(cases):.1%}" for k, v in sorted(statuses.items()))
    )
    runs = [time_decisions(cases, today, pack) for _ in range(repeat)]
    rates = sorted(len(cases) / wall for wall, _ in runs)
    print(
        "    runs: "
        + ", ".join(f"{len(cases) / wall:,.0f}/s (cpu {cpu / wall:.0%})" for wall, cpu in runs)
    )
    median = rates[len(rates) // 2]
    return Figure(
        f"decide() {pack_name}",
        rates[-1],
        "decisions/s",
        TARGET_PER_SECOND,
        note=f"best of {repeat} over {len(cases):,} persons; median {median:,.0f}/s",
    )


def run(
    persons: int = DEFAULT_PERSONS, repeat: int = DEFAULT_REPEAT, packs: Sequence[str] = PACKS
) -> list[Figure]:
    """Every pack's figure."""
    print(f"bench_decide: {persons:,} persons per pack, best of {repeat}, one core; {load_text()}")
    figures = []
    for name in packs:
        figures.append(bench_pack(name, persons, repeat))
        gc.collect()
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_decide", description=__doc__)
    parser.add_argument("--persons", type=int, default=DEFAULT_PERSONS)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--pack", action="append", choices=PACKS, help="default: both packs")
    args = parser.parse_args(argv)
    print(machine())
    figures = run(args.persons, args.repeat, args.pack or PACKS)
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
