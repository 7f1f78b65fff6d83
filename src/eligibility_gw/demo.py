"""The demo registry: named personas that show every rule, plus synthetic families.

Persona ids are fixed (valid under the pack's check digit) so the README can list them;
their birth and certificate dates are set relative to the day the demo is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from eligibility_gw.domain.dates import add_months, anniversary, end_of_month
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import RegistryRow, Store
from eligibility_gw.providers import hash_api_key

DEMO_PROVIDER_ID = "demo-pharmacy"
DEMO_PROVIDER_PHONE = "+989350000001"
#: Only ever stored in a demo database; printed by ``eligibility-gw demo``.
DEMO_PROVIDER_KEY = "egw_demo_pharmacy_key_for_local_testing_only"


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo person and what the default answer about them shows."""

    key: str
    row: RegistryRow
    shows: str
    expected_status: str
    expected_reason: str | None = None


def persona_id(pack: RulePack, k: int) -> str:
    """The ``k``-th persona's national id under ``pack``."""
    width = pack.national_id.length - 1
    return pack.national_id.complete(f"1{k:0{width - 1}d}")


def _years_ago(today: date, years: int, days: int = 0) -> date:
    return anniversary(today, -years) + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class _Spec:
    key: str
    family: str
    given: str
    sex: str
    relationship: str
    birth: Callable[[date], date]
    shows: str
    status: str
    reason: str | None = None
    phone: str | None = None
    cover: Callable[[date], tuple[date, date]] | None = None
    marital: str = "single"
    student_until: Callable[[date], date] | None = None
    birth_cert: bool | None = None
    disabled: bool = False
    income: bool | None = False
    other: str | None = None


def _cover_long(t: date) -> tuple[date, date]:
    return add_months(t, -36), end_of_month(add_months(t, 14))


def _ir_specs() -> list[_Spec]:
    return [
        _Spec(
            "rezaei",
            "Rezaei",
            "Ali",
            "M",
            "self",
            lambda t: _years_ago(t, 46),
            "insured principal, covered; cover end = end of his cover period",
            "eligible",
            phone="+989121110001",
            cover=_cover_long,
            marital="married",
        ),
        _Spec(
            "rezaei-wife",
            "Rezaei",
            "Maryam",
            "F",
            "spouse",
            lambda t: _years_ago(t, 43),
            "spouse without own income: covered",
            "eligible",
            marital="married",
        ),
        _Spec(
            "rezaei-son-18",
            "Rezaei",
            "Amir",
            "M",
            "child",
            lambda t: anniversary(t + timedelta(days=1), -19),  # 19 tomorrow, even on 29 Feb
            "son turning 19 tomorrow: covered, cover ends today",
            "eligible",
        ),
        _Spec(
            "rezaei-son-student",
            "Rezaei",
            "Reza",
            "M",
            "child",
            lambda t: _years_ago(t, 20),
            "son of 20 with a student certificate valid 6 more months",
            "eligible",
            student_until=lambda t: add_months(t, 6),
        ),
        _Spec(
            "rezaei-son-no-cert",
            "Rezaei",
            "Hamid",
            "M",
            "child",
            lambda t: _years_ago(t, 20, days=-40),
            "son of 20 without a student certificate",
            "not_eligible",
            "STUDENT_CERTIFICATE_REQUIRED",
        ),
        _Spec(
            "rezaei-daughter-no-bc",
            "Rezaei",
            "Sara",
            "F",
            "child",
            lambda t: _years_ago(t, 20, days=-90),
            "daughter of 20 whose birth certificate was not presented",
            "not_eligible",
            "BIRTH_CERTIFICATE_REQUIRED",
            birth_cert=False,
        ),
        _Spec(
            "karimi",
            "Karimi",
            "Hossein",
            "M",
            "self",
            lambda t: _years_ago(t, 58),
            "insured principal whose cover ends today",
            "eligible",
            phone="+989121110002",
            cover=lambda t: (add_months(t, -12), t),
            marital="married",
        ),
        _Spec(
            "karimi-son-lapsed",
            "Karimi",
            "Mehdi",
            "M",
            "child",
            lambda t: _years_ago(t, 21, days=-10),
            "son of 21 whose student certificate lapsed yesterday",
            "not_eligible",
            "STUDENT_CERTIFICATE_EXPIRED",
            student_until=lambda t: t - timedelta(days=1),
        ),
        _Spec(
            "karimi-daughter",
            "Karimi",
            "Narges",
            "F",
            "child",
            lambda t: _years_ago(t, 22, days=-30),
            "daughter of 22, birth certificate seen, single, no income",
            "eligible",
            birth_cert=True,
        ),
        _Spec(
            "karimi-daughter-married",
            "Karimi",
            "Leila",
            "F",
            "child",
            lambda t: _years_ago(t, 25, days=-30),
            "daughter of 25, married",
            "not_eligible",
            "MARRIED",
            marital="married",
            birth_cert=True,
        ),
        _Spec(
            "karimi-son-disabled",
            "Karimi",
            "Saeed",
            "M",
            "child",
            lambda t: _years_ago(t, 27, days=-30),
            "son of 27, unable to work: covered without a certificate",
            "eligible",
            disabled=True,
        ),
        _Spec(
            "karimi-father",
            "Karimi",
            "Mohammad",
            "M",
            "parent",
            lambda t: _years_ago(t, 80, days=-30),
            "father with own income",
            "not_eligible",
            "HAS_INCOME",
            marital="married",
            income=True,
        ),
        _Spec(
            "karimi-mother",
            "Karimi",
            "Fatemeh",
            "F",
            "parent",
            lambda t: _years_ago(t, 76, days=-30),
            "mother also insured elsewhere: eligible, but an inpatient check is "
            "undetermined (overlap)",
            "eligible",
            marital="married",
            other="IHIO",
        ),
        _Spec(
            "karimi-wife",
            "Karimi",
            "Zahra",
            "F",
            "spouse",
            lambda t: _years_ago(t, 54, days=-30),
            "spouse whose income is not on file: cannot determine",
            "undetermined",
            "INCOME_UNKNOWN",
            marital="married",
            income=None,
        ),
        _Spec(
            "ahmadi",
            "Ahmadi",
            "Saman",
            "M",
            "self",
            lambda t: _years_ago(t, 39),
            "insured principal whose cover ended two months ago",
            "not_eligible",
            "OUTSIDE_COVER_PERIOD",
            phone="+989121110003",
            cover=lambda t: (add_months(t, -26), add_months(t, -2)),
            marital="married",
        ),
        _Spec(
            "ahmadi-son",
            "Ahmadi",
            "Arman",
            "M",
            "child",
            lambda t: _years_ago(t, 8),
            "child of an uncovered principal",
            "not_eligible",
            "PRINCIPAL_NOT_COVERED",
        ),
    ]


def _ro_specs() -> list[_Spec]:
    return [
        _Spec(
            "popescu",
            "Popescu",
            "Ion",
            "M",
            "self",
            lambda t: _years_ago(t, 45),
            "insured person, covered",
            "eligible",
            phone="+40721000001",
            cover=_cover_long,
            marital="married",
        ),
        _Spec(
            "popescu-wife",
            "Popescu",
            "Elena",
            "F",
            "spouse",
            lambda t: _years_ago(t, 42),
            "spouse without own income (category 09)",
            "eligible",
            marital="married",
        ),
        _Spec(
            "popescu-child",
            "Popescu",
            "Ana",
            "F",
            "child",
            lambda t: _years_ago(t, 12),
            "child under 18 (category 01)",
            "eligible",
        ),
        _Spec(
            "popescu-turns-18",
            "Popescu",
            "Mihai",
            "M",
            "child",
            lambda t: anniversary(t + timedelta(days=1), -18),  # 18 tomorrow, even on 29 Feb
            "child turning 18 tomorrow: cover ends today",
            "eligible",
        ),
        _Spec(
            "popescu-student",
            "Popescu",
            "Andrei",
            "M",
            "child",
            lambda t: _years_ago(t, 21),
            "student of 21 without income (category 07)",
            "eligible",
            student_until=lambda t: add_months(t, 9),
        ),
        _Spec(
            "popescu-no-student",
            "Popescu",
            "Maria",
            "F",
            "child",
            lambda t: _years_ago(t, 22),
            "22, no student certificate",
            "not_eligible",
            "STUDENT_CERTIFICATE_REQUIRED",
        ),
        _Spec(
            "popescu-27",
            "Popescu",
            "Victor",
            "M",
            "child",
            lambda t: _years_ago(t, 27),
            "27, past the age limit",
            "not_eligible",
            "AGE_LIMIT_REACHED",
        ),
        _Spec(
            "popescu-disabled",
            "Popescu",
            "Radu",
            "M",
            "child",
            lambda t: _years_ago(t, 30),
            "30 with a disability, no income (category 08)",
            "eligible",
            disabled=True,
        ),
        _Spec(
            "popescu-grandmother",
            "Popescu",
            "Ioana",
            "F",
            "grandparent",
            lambda t: _years_ago(t, 82),
            "grandmother without income",
            "eligible",
            marital="widowed",
        ),
        _Spec(
            "popescu-father",
            "Popescu",
            "Gheorghe",
            "M",
            "parent",
            lambda t: _years_ago(t, 70),
            "father with a pension (own income)",
            "not_eligible",
            "HAS_INCOME",
            marital="married",
            income=True,
        ),
    ]


def personas(pack: RulePack, today: date) -> list[Persona]:
    """The named demo personas for ``pack`` (ir-tamin's, or ro-cnas' for that pack)."""
    specs = _ro_specs() if pack.name.startswith("ro-") else _ir_specs()
    ids = {s.key: persona_id(pack, i + 1) for i, s in enumerate(specs)}
    out = []
    principal_id = ""
    for s in specs:
        if s.relationship == "self":
            principal_id = ids[s.key]
        start, end = s.cover(today) if s.cover else (None, None)
        row = RegistryRow(
            national_id=ids[s.key],
            given_name=s.given,
            family_name=s.family,
            birth_date=s.birth(today),
            sex=s.sex,
            phone=s.phone,
            relationship=s.relationship,
            principal_id=None if s.relationship == "self" else principal_id,
            cover_start=start,
            cover_end=end,
            marital_status=s.marital,
            student_until=s.student_until(today) if s.student_until else None,
            birth_certificate_seen=s.birth_cert,
            disabled=s.disabled,
            has_income=s.income,
            other_insurer=s.other,
        )
        out.append(Persona(s.key, row, s.shows, s.status, s.reason))
    return out


def persona_rows(pack: RulePack, today: date) -> Iterator[RegistryRow]:
    """Just the rows."""
    return (p.row for p in personas(pack, today))


async def seed_demo(
    store: Store,
    pack: RulePack,
    today: date,
    api_key: str = DEMO_PROVIDER_KEY,
    phone: str = DEMO_PROVIDER_PHONE,
) -> list[Persona]:
    """Put the personas of ``pack`` into ``store`` and register the demo pharmacy (holding
    ``api_key``, registered to ``phone``) unless it is there already; the personas."""
    people = personas(pack, today)
    await store.registry.upsert_rows([p.row for p in people])
    if await store.providers.get(DEMO_PROVIDER_ID) is None:
        await store.providers.add(
            DEMO_PROVIDER_ID, "Demo Pharmacy", ProviderKind.PHARMACY, phone, hash_api_key(api_key)
        )
    return people
