"""The demo registry: named personas that show every rule, plus synthetic families.

Persona ids are fixed (valid under the pack's check digit) so the README can list them;
their birth and certificate dates are set relative to the day the demo is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from eligibility_gw.domain.dates import add_months, anniversary, end_of_month
from eligibility_gw.domain.model import Decision, Document, PrivilegeOnFile
from eligibility_gw.domain.national_id import NationalIdScheme
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import RegistryRow, Store
from eligibility_gw.providers import hash_api_key
from eligibility_gw.wording import Wording

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
    #: A service setting whose answer the persona shows too (``sanatorium``), with its status
    #: and first reason.
    setting: str | None = None
    setting_status: str | None = None
    setting_reason: str | None = None


def persona_id(pack: RulePack, k: int, id_format: str | None = None) -> str:
    """The ``k``-th persona's national id under ``pack`` (of the format named, if several)."""
    ids = pack.national_id
    if id_format is not None and isinstance(ids, NationalIdScheme):
        return ids.sample_of(id_format, 1, k)
    return ids.sample(1, k)


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
    category: str | None = None
    privileges: Callable[[date], tuple[PrivilegeOnFile, ...]] | None = None
    documents: Callable[[date], tuple[Document, ...]] | None = None
    #: Of a scheme with several id formats: the format of the persona's id.
    id_format: str | None = None
    setting: str | None = None
    setting_status: str | None = None
    setting_reason: str | None = None


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
            category="03",
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
            category="09",
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
            category="01",
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
            category="01",
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
            category="07",
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
            category="07",
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
            category="07",
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
            category="08",
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
            category="09",
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
            category="09",
        ),
        _Spec(
            "ionescu",
            "Ionescu",
            "Vasile",
            "M",
            "self",
            lambda t: _years_ago(t, 58),
            "disability pensioner (category 05) whose pension decision was issued 13 months"
            " ago: the proof lapsed after 12",
            "not_eligible",
            "DISABILITY_PENSION_DECISION_EXPIRED",
            phone="+40721000002",
            cover=_cover_long,
            marital="married",
            category="05",
            documents=lambda t: (Document("disability_pension_decision", add_months(t, -13)),),
        ),
        _Spec(
            "stan",
            "Stan",
            "Elisabeta",
            "F",
            "self",
            lambda t: _years_ago(t, 84),
            "resident of a care home (category 18), certificate issued 2 months ago",
            "eligible",
            cover=_cover_long,
            marital="widowed",
            category="18",
            documents=lambda t: (Document("care_home_certificate", add_months(t, -2)),),
        ),
    ]


def _pl_specs() -> list[_Spec]:
    return [
        _Spec(
            "kowalski",
            "Kowalski",
            "Jan",
            "M",
            "self",
            lambda t: _years_ago(t, 47),
            "insured person, honorary blood donor of merit: providers are told to serve him"
            " out of turn",
            "eligible",
            phone="+48601000001",
            cover=_cover_long,
            marital="married",
            privileges=lambda t: (
                PrivilegeOnFile("honorary_blood_donor", end_of_month(add_months(t, 24))),
            ),
        ),
        _Spec(
            "kowalska",
            "Kowalska",
            "Anna",
            "F",
            "spouse",
            lambda t: _years_ago(t, 44),
            "spouse: covered without conditions",
            "eligible",
            marital="married",
        ),
        _Spec(
            "kowalski-turns-18",
            "Kowalski",
            "Piotr",
            "M",
            "child",
            lambda t: anniversary(t + timedelta(days=1), -18),
            "child turning 18 tomorrow without a school certificate: cover ends today",
            "eligible",
        ),
        _Spec(
            "kowalska-pupil",
            "Kowalska",
            "Katarzyna",
            "F",
            "child",
            lambda t: _years_ago(t, 20),
            "child of 20 in education (school certificate on file)",
            "eligible",
            documents=lambda t: (Document("school_certificate", None, add_months(t, 8)),),
        ),
        _Spec(
            "kowalski-no-school",
            "Kowalski",
            "Tomasz",
            "M",
            "child",
            lambda t: _years_ago(t, 21, days=-20),
            "child of 21 without a school certificate",
            "not_eligible",
            "SCHOOL_CERTIFICATE_REQUIRED",
        ),
        _Spec(
            "kowalski-turns-26",
            "Kowalski",
            "Marek",
            "M",
            "child",
            lambda t: anniversary(t + timedelta(days=1), -26),
            "student turning 26 tomorrow: cover ends today",
            "eligible",
            documents=lambda t: (Document("school_certificate", None, add_months(t, 8)),),
        ),
        _Spec(
            "kowalska-disability",
            "Kowalska",
            "Ewa",
            "F",
            "child",
            lambda t: _years_ago(t, 31),
            "daughter of 31 with a certificate of significant disability: no age limit",
            "eligible",
            documents=lambda t: (Document("disability_certificate"),),
        ),
        _Spec(
            "kowalska-mother",
            "Kowalska",
            "Zofia",
            "F",
            "parent",
            lambda t: _years_ago(t, 74),
            "mother living in a common household",
            "eligible",
            marital="widowed",
            documents=lambda t: (Document("common_household_declaration"),),
        ),
        _Spec(
            "kowalski-grandfather",
            "Kowalski",
            "Stanisław",
            "M",
            "grandparent",
            lambda t: _years_ago(t, 95),
            "grandfather without a declaration of common household",
            "not_eligible",
            "COMMON_HOUSEHOLD_DECLARATION_REQUIRED",
            marital="widowed",
        ),
        _Spec(
            "nowak",
            "Nowak",
            "Henryk",
            "M",
            "self",
            lambda t: _years_ago(t, 99),
            "war invalid: served out of turn",
            "eligible",
            phone="+48601000002",
            cover=_cover_long,
            marital="widowed",
            privileges=lambda t: (PrivilegeOnFile("war_invalid"),),
        ),
        _Spec(
            "wisniewski",
            "Wiśniewski",
            "Adam",
            "M",
            "self",
            lambda t: _years_ago(t, 36),
            "insured person whose cover ended two months ago",
            "not_eligible",
            "OUTSIDE_COVER_PERIOD",
            phone="+48601000003",
            cover=lambda t: (add_months(t, -26), add_months(t, -2)),
            marital="single",
        ),
    ]


def _cover_open(t: date) -> tuple[date, date]:
    return add_months(t, -120), date.max


def _br_specs() -> list[_Spec]:
    return [
        _Spec(
            "silva",
            "Silva",
            "João",
            "M",
            "self",
            lambda t: _years_ago(t, 52),
            "registered with a CNS: covered, with no end",
            "eligible",
            phone="+5511987650001",
            cover=_cover_open,
            marital="married",
            id_format="cns",
        ),
        _Spec(
            "oliveira",
            "Oliveira",
            "Ana",
            "F",
            "self",
            lambda t: _years_ago(t, 7),
            "child registered with a CNS: covered (everyone holds cover of their own)",
            "eligible",
            cover=_cover_open,
            id_format="cns",
        ),
        _Spec(
            "souza",
            "Souza",
            "Maria",
            "F",
            "self",
            lambda t: _years_ago(t, 33),
            "known only by her CPF: must register for a CNS at a health unit",
            "not_eligible",
            "CNS_REQUIRED",
            phone="+5511987650002",
            cover=_cover_open,
            id_format="cpf",
        ),
        _Spec(
            "santos",
            "Santos",
            "Pedro",
            "M",
            "self",
            lambda t: _years_ago(t, 61),
            "registration with the SUS ended a month ago",
            "not_eligible",
            "OUTSIDE_COVER_PERIOD",
            cover=lambda t: (add_months(t, -120), add_months(t, -1)),
            id_format="cns",
        ),
    ]


def issued_lasting_until(today: date, months: int) -> date:
    """The issue date of a document valid ``months`` months whose last day is ``today``, or
    the first after it when no date is (no 31 June: on 31 December a six-month certificate
    issued on 30 June ended the day before, one issued on 1 July still counts)."""
    issued = add_months(today, -months)
    while add_months(issued, months) < today:
        issued += timedelta(days=1)
    return issued


def _ru_specs() -> list[_Spec]:
    social = PrivilegeOnFile("social_services_set")

    def referral(months: int, days: int = 0) -> Callable[[date], tuple[Document, ...]]:
        return lambda t: (
            Document("sanatorium_referral", issued_lasting_until(t, months) - timedelta(days=days)),
        )

    return [
        _Spec(
            "ivanov",
            "Ivanov",
            "Ivan",
            "M",
            "self",
            lambda t: _years_ago(t, 67),
            "beneficiary of the social services (L) whose sanatorium referral was issued 6"
            " months ago today: a sanatorium check is eligible, its last day",
            "eligible",
            phone="+79161000001",
            cover=_cover_long,
            marital="married",
            privileges=lambda t: (social,),
            documents=referral(6),
            setting="sanatorium",
            setting_status="eligible",
        ),
        _Spec(
            "petrova",
            "Petrova",
            "Anna",
            "F",
            "self",
            lambda t: _years_ago(t, 71),
            "beneficiary (L) whose referral was issued 6 months and a day ago: a sanatorium"
            " check is not eligible",
            "eligible",
            phone="+79161000002",
            cover=_cover_long,
            marital="widowed",
            privileges=lambda t: (social,),
            documents=referral(6, days=1),
            setting="sanatorium",
            setting_status="not_eligible",
            setting_reason="SANATORIUM_REFERRAL_EXPIRED",
        ),
        _Spec(
            "sidorov",
            "Sidorov",
            "Pavel",
            "M",
            "self",
            lambda t: _years_ago(t, 45),
            "referral issued last month but no social-services benefit: a sanatorium check is"
            " not eligible",
            "eligible",
            cover=_cover_long,
            marital="married",
            documents=referral(1),
            setting="sanatorium",
            setting_status="not_eligible",
            setting_reason="PRIVILEGE_REQUIRED",
        ),
        _Spec(
            "kuznetsova",
            "Kuznetsova",
            "Olga",
            "F",
            "self",
            lambda t: _years_ago(t, 29),
            "policy ended two months ago",
            "not_eligible",
            "OUTSIDE_COVER_PERIOD",
            phone="+79161000003",
            cover=lambda t: (add_months(t, -26), add_months(t, -2)),
        ),
        _Spec(
            "smirnov",
            "Smirnov",
            "Dmitry",
            "M",
            "self",
            lambda t: _years_ago(t, 8),
            "child registered by his 16-digit OMS policy number, policy active",
            "eligible",
            cover=_cover_long,
            id_format="oms",
        ),
    ]


def _specs(pack: RulePack) -> list[_Spec]:
    for prefix, specs in (("ro-", _ro_specs), ("pl-", _pl_specs), ("br-", _br_specs)):
        if pack.name.startswith(prefix):
            return specs()
    return _ru_specs() if pack.name.startswith("ru-") else _ir_specs()


def personas(pack: RulePack, today: date) -> list[Persona]:
    """The named demo personas for ``pack`` (ir-tamin's unless the pack is another country's)."""
    specs = _specs(pack)
    ids = {s.key: persona_id(pack, i + 1, s.id_format) for i, s in enumerate(specs)}
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
            category=s.category,
            privileges=s.privileges(today) if s.privileges else (),
            documents=s.documents(today) if s.documents else (),
        )
        out.append(
            Persona(
                s.key,
                row,
                s.shows,
                s.status,
                s.reason,
                s.setting,
                s.setting_status,
                s.setting_reason,
            )
        )
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


def answer_words(decision: Decision, w: Wording) -> str:
    """A persona's answer in ``w``'s language: the status, and the first reason if any."""
    status = w.status(decision.status)
    return f"{status} — {w.reason(decision.reasons[0])}" if decision.reasons else status


def language_hints(languages: tuple[str, ...]) -> list[str]:
    """How a person asks in another of the ``languages`` offered (the first is the default),
    on every channel: each line in English, with the words people type or pick as shipped."""
    names = ", ".join(f"{lang} ({Wording(lang).t('language.name')})" for lang in languages)
    other = next((lang for lang in languages[1:]), languages[0])
    keywords = dict.fromkeys(
        word
        for lang in languages
        for word in Wording(lang).t("sms.keyword.language").split("|")
        if word
    )
    header = other.replace("_", "-")
    return [
        f"languages offered: {names}; answers are in {languages[0]} unless asked otherwise",
        "to ask in another language:",
        f"  SMS       send 'LANG {other}' (or {', '.join(keywords)} and a language), then the id;"
        " the phone's choice is kept for SMS, USSD and Telegram",
        f"  USSD      the menu's '{Wording(languages[0]).t('ussd.option.language')}' entry"
        " lists every language offered",
        "  Telegram  the bot's language menu (a new chat starts in the app's language)",
        f"  API/FHIR  send the header 'Accept-Language: {header}'",
        f"  pages     the switcher at the top of /portal/ and /console/ (?lang={other} on any"
        " page; the browser remembers it)",
    ]
