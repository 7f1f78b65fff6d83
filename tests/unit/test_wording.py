"""Catalogs and wording: same ids and fields in every language, no raw codes, Persian dates."""

from __future__ import annotations

import inspect
import re
from dataclasses import replace
from datetime import date, timedelta
from importlib import resources
from itertools import product

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from eligibility_gw.domain import errors
from eligibility_gw.domain.decide import CATEGORY_AGE_LIMIT, OVERLAP, decide
from eligibility_gw.domain.errors import InvalidInput, InvalidNationalId, NationalIdCheckDigit
from eligibility_gw.domain.model import (
    CoverPeriod,
    Document,
    MaritalStatus,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.rulepacks import load_rule_pack, shipped_rule_packs
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording, available_languages, catalogs, placeholders
from tests.unit.builders import birth_certificate, dependent, family, principal, student

PACKS = [load_rule_pack(name) for name in shipped_rule_packs()]
LANGUAGES = available_languages()
DAY = date(2026, 11, 23)
OUT = ServiceSetting.OUTPATIENT
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def engine_reasons(pack: RulePack) -> list[Reason]:
    """Every reason decide() can give under ``pack``, with the params it gives them."""
    reasons = [
        Reason("OUTSIDE_COVER_PERIOD"),
        Reason("OUTSIDE_COVER_PERIOD", params=(("ended_on", "2026-06-30"),)),
        Reason("OUTSIDE_COVER_PERIOD", params=(("starts_on", "2027-01-01"),)),
        Reason(
            "OUTSIDE_COVER_PERIOD",
            params=(("ended_on", "2026-06-30"), ("starts_on", "2027-01-01")),
        ),
        Reason("PRINCIPAL_NOT_COVERED"),
        Reason("RELATIONSHIP_NOT_COVERED", params=(("relationship", "sibling"),)),
    ]
    if pack.inpatient_overlap != "ignore":
        reasons.append(
            Reason(
                OVERLAP,
                resolve_with="overlap_resolution",
                params=(("insurer", "IHIO"),),
                blocking=pack.inpatient_overlap == "undetermined",
            )
        )
    named = pack.condition_names()
    if pack.dependent_relationships:  # what only a dependent's rules read
        reasons += [
            Reason("BIRTH_DATE_UNKNOWN", resolve_with="birth_certificate"),
            Reason("NOT_BORN_ON_DATE"),
        ]
    if "no_income" in named:
        reasons += [
            Reason("INCOME_UNKNOWN", resolve_with="income_declaration"),
            Reason("HAS_INCOME"),
        ]
    if "unmarried" in named:
        reasons += [
            Reason("MARITAL_STATUS_UNKNOWN", resolve_with="birth_certificate"),
            Reason("MARRIED"),
        ]
    for rule in pack.rules:
        if any(c.name == "disabled" for alt in rule.any_of for c in alt):
            reasons.append(Reason("AGE_LIMIT_REACHED", params=(("age", str(rule.from_age)),)))
    for kind in (k for k in pack.documents if k in named):
        prefix = kind.upper()
        reasons.append(Reason(f"{prefix}_REQUIRED", resolve_with=kind))
        reasons.append(
            Reason(f"{prefix}_EXPIRED", resolve_with=kind, params=(("expired_on", "2026-11-22"),))
        )
    for code, category in pack.categories.items():
        limits = (("from_age", category.from_age), ("to_age", category.to_age))
        reasons.append(
            Reason(
                CATEGORY_AGE_LIMIT,
                resolve_with="category_update",
                params=(("category", code), *((k, str(v)) for k, v in limits if v is not None)),
            )
        )
    for kind, privilege in ((k, p) for k, p in pack.privileges.items() if k in named):
        reasons.append(Reason("PRIVILEGE_REQUIRED", privilege.document, (("privilege", kind),)))
        reasons.append(
            Reason(
                "PRIVILEGE_EXPIRED",
                privilege.document,
                (("privilege", kind), ("expired_on", "2026-11-22")),
            )
        )
    for rule in pack.rules:
        for alternative in rule.any_of:
            for condition in alternative:
                if condition.id_format is not None:
                    name = condition.id_format
                    reasons.append(Reason(f"{name.upper()}_REQUIRED", f"{name}_registration"))
    return reasons


def _grid_codes(pack: RulePack) -> set[str]:
    """Reason codes decide() actually gives over a grid of members and dates."""
    head = principal(
        CoverPeriod(date(2025, 1, 1), date(2025, 12, 31)),
        CoverPeriod(date(2026, 3, 1), date(2027, 12, 31)),
        other_insurer="IHIO",
    )
    docs = [(), (student(DAY - timedelta(days=1)),), (student(date(2027, 6, 1)),)]
    docs += [(birth_certificate(), student(date(2027, 6, 1)))]
    others = [k for k in pack.documents if k in pack.condition_names()]
    docs += [
        tuple(Document(k, None, until) for k in others)
        for until in (DAY - timedelta(days=1), date(2027, 6, 1))
    ]
    codes: set[str] = set()
    members = [
        dependent(rel, birth, sex, marital=m, disabled=dis, has_income=inc, documents=d)
        for rel, birth, sex, m, dis, inc, d in product(
            ["spouse", "child", "parent", "grandparent", "sibling"],
            [None, date(2027, 1, 1), date(2015, 1, 1), date(2006, 1, 1), date(1995, 1, 1)],
            [Sex.MALE, Sex.FEMALE],
            [None, MaritalStatus.MARRIED],
            [None, True],
            [None, False, True],
            docs,
        )
    ]
    for code in pack.categories:  # each category, held by a head and by children
        held = [replace(head, category=code)]
        held += [replace(m, category=code) for m in members[:: max(1, len(members) // 40)]]
        for member in held:
            fam = family(head, member) if member.principal_id else family(member)
            for day in (date(2026, 1, 15), DAY):
                codes.update(r.code for r in decide(member, fam, day, OUT, pack).reasons)
    for member in [head, *members]:
        fam = family(head, member) if member is not head else family(head)
        for day in (date(2024, 6, 1), date(2026, 1, 15), DAY):
            for setting in ServiceSetting:
                codes.update(r.code for r in decide(member, fam, day, setting, pack).reasons)
    return codes


# --- catalogs -----------------------------------------------------------------------------------


def test_english_and_persian_are_shipped() -> None:
    assert set(LANGUAGES) >= {"en", "fa"}


def test_every_language_has_the_same_message_ids() -> None:
    cats = catalogs()
    reference = set(cats["en"])
    assert len(reference) > 50
    for language in LANGUAGES:
        assert set(cats[language]) == reference, language


def _core_ids() -> set[str]:
    """The ids of the core catalog, ``messages.po`` (the channels' parts come on top)."""
    po = resources.files("eligibility_gw.locale").joinpath("en", "LC_MESSAGES", "messages.po")
    with po.open("rb") as fh:
        return {m.id for m in read_po(fh, locale="en") if isinstance(m.id, str) and m.id}


def test_every_core_message_has_the_same_placeholders_in_every_language() -> None:
    cats = catalogs()
    core = _core_ids()
    assert "reason.DOCUMENT_EXPIRED" in core
    for key in core:
        for language in LANGUAGES:
            assert placeholders(cats[language][key]) == placeholders(cats["en"][key]), (
                language,
                key,
            )


def test_no_translation_uses_a_field_the_code_does_not_pass() -> None:
    # Channel texts (SMS, USSD, portal) may leave a field out to save space, never add one.
    cats = catalogs()
    for key, english in cats["en"].items():
        for language in LANGUAGES:
            assert placeholders(cats[language][key]) <= placeholders(english), (language, key)


def test_no_message_is_empty_or_untranslated_into_persian() -> None:
    cats = catalogs()
    for key, text in cats["fa"].items():
        assert text.strip(), key
        if key.startswith(("reason.", "status.", "error.")):
            assert _ARABIC_SCRIPT.search(text), key


def test_placeholders() -> None:
    assert placeholders("The {document} expired on {expired_on}.") == {"document", "expired_on"}
    assert placeholders("no fields") == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_status_relationship_document_and_issuer_has_words(language: str) -> None:
    w = Wording(language)
    for status in Status:
        assert w.has(f"status.{status.value}")
        assert w.has(f"short.status.{status.value}")
        assert w.status(status) != f"status.{status.value}"
    for pack in PACKS:
        for rel in pack.relationships:
            assert w.has(f"relationship.{rel}"), (pack.name, rel)
        for kind, doc in pack.documents.items():
            assert w.has(f"document.{kind}"), kind
            assert w.has(f"issuer.{doc.issued_by}"), doc.issued_by


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_input_error_has_a_message(language: str) -> None:
    w = Wording(language)
    codes = [
        cls.code
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, InvalidInput)
    ]
    assert "NATIONAL_ID_CHECK_DIGIT" in codes
    for code in codes:
        assert w.has(f"error.{code}"), code
    for problem in ("empty", "digits", "length", "repeated"):
        assert w.has(f"error.INVALID_NATIONAL_ID.{problem}"), problem


# --- reasons in words ---------------------------------------------------------------------------


def test_the_list_of_engine_reasons_is_complete() -> None:
    for pack in PACKS:
        known = {r.code for r in engine_reasons(pack)}
        seen = _grid_codes(pack)
        assert seen <= known, seen - known
        assert len(seen) >= len(known) - 3, known - seen  # the grid reaches nearly all


@pytest.mark.parametrize(("pack", "language"), list(product(PACKS, LANGUAGES)))
def test_every_engine_reason_reads_as_words(pack: RulePack, language: str) -> None:
    w = Wording(language)
    for reason in engine_reasons(pack):
        for short in (False, True):
            text = w.reason(reason, short=short)
            assert text.strip(), reason
            assert reason.code not in text, (reason, text)
            assert "{" not in text, (reason, text)
            assert "}" not in text, (reason, text)
            assert "_" not in text, (reason, text)
            if language == "fa":
                assert _ARABIC_SCRIPT.search(text), (reason, text)
                assert not re.search("[0-9]", text), (reason, text)
        if reason.resolve_with is not None:
            doc = pack.documents.get(reason.resolve_with)
            resolve = w.resolve(reason, doc.issued_by if doc else None)
            assert resolve, reason
            assert "{" not in resolve
            assert not re.search(r"\b(issuer|document|resolve)\.", resolve), resolve
        else:
            assert w.resolve(reason) is None


def test_specific_reason_messages_in_english() -> None:
    w = Wording("en")
    assert w.reason(Reason("AGE_LIMIT_REACHED", params=(("age", "26"),))) == (
        "Children are covered only until age 26."
    )
    expired = Reason(
        "STUDENT_CERTIFICATE_EXPIRED",
        resolve_with="student_certificate",
        params=(("expired_on", "2026-11-22"),),
    )
    assert "2026-11-22" in w.reason(expired)
    outside = Reason(
        "OUTSIDE_COVER_PERIOD", params=(("ended_on", "2026-06-30"), ("starts_on", "2027-01-01"))
    )
    text = w.reason(outside)
    assert text.startswith("No cover on this date.")
    assert "Cover ended on 2026-06-30." in text
    assert "Cover starts on 2027-01-01." in text
    assert w.reason(Reason(OVERLAP, params=(("insurer", "IHIO"),)), short=True) == (
        "also insured with IHIO"
    )


def test_generic_document_messages_for_a_kind_without_its_own() -> None:
    w = Wording("en")
    required = Reason("GUARDIANSHIP_ORDER_REQUIRED", resolve_with="guardianship_order")
    assert w.reason(required) == "A valid guardianship order is required and not on file."
    expired = Reason(
        "BIRTH_CERTIFICATE_EXPIRED",
        resolve_with="birth_certificate",
        params=(("expired_on", "2026-01-31"),),
    )
    assert w.reason(expired) == "The original birth certificate on file expired on 2026-01-31."
    assert w.reason(Reason("SOMETHING_ELSE")) == "SOMETHING_ELSE"


def test_persian_reason_shows_a_solar_hijri_date() -> None:
    w = Wording("fa")
    expired = Reason(
        "STUDENT_CERTIFICATE_EXPIRED",
        resolve_with="student_certificate",
        params=(("expired_on", "2026-11-22"),),
    )
    assert "۱۴۰۵/۰۹/۰۱" in w.reason(expired)
    assert "۲۶" in w.reason(Reason("AGE_LIMIT_REACHED", params=(("age", "26"),)))


# --- dates and digits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "persian"),
    [
        (date(2026, 11, 23), "۱۴۰۵/۰۹/۰۲"),
        (date(2026, 3, 21), "۱۴۰۵/۰۱/۰۱"),
        (date(2026, 3, 20), "۱۴۰۴/۱۲/۲۹"),
        (date(2025, 3, 20), "۱۴۰۳/۱۲/۳۰"),
        (date(2000, 1, 1), "۱۳۷۸/۱۰/۱۱"),
    ],
)
def test_persian_dates_are_solar_hijri_with_persian_digits(day: date, persian: str) -> None:
    assert Wording("fa").date(day) == persian
    assert Wording("en").date(day) == day.isoformat()
    assert parse_date(persian) == day


@given(day=st.dates(min_value=date(1925, 1, 1), max_value=date(2100, 12, 31)))
def test_persian_dates_read_back(day: date) -> None:
    shown = Wording("fa").date(day)
    assert re.fullmatch("[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}", shown)
    assert parse_date(shown) == day


def test_digits_follow_the_language() -> None:
    assert Wording("fa").digits("Code 4821-0937") == "Code ۴۸۲۱-۰۹۳۷"
    assert Wording("en").digits("4821") == "4821"


@pytest.mark.parametrize(
    ("asked", "language", "rtl"),
    [
        ("fa", "fa", True),
        ("fa-IR", "fa", True),
        ("fa_IR", "fa", True),
        ("FA", "fa", True),
        ("en", "en", False),
        ("en-GB", "en", False),
        ("de", "en", False),
        ("", "en", False),
    ],
)
def test_language_choice_falls_back_to_english(asked: str, language: str, rtl: bool) -> None:
    w = Wording(asked)
    assert w.language == language
    assert w.rtl is rtl


def test_missing_keys_and_fields_stay_visible() -> None:
    w = Wording("en")
    assert w.t("no.such.key") == "no.such.key"
    assert not w.has("no.such.key")
    assert w.t("reason.AGE_LIMIT_REACHED") == "Children are covered only until age {age}."
    assert w.t("reason.DOCUMENT_EXPIRED", document="x") == "The x on file expired on {expired_on}."


def test_errors_in_words() -> None:
    en, fa = Wording("en"), Wording("fa")
    length = InvalidNationalId("x", field="national_id", length=10, problem="length")
    assert "10" in en.error(length)
    assert "۱۰" in fa.error(length)
    assert en.error(length) != en.t("error.INVALID_NATIONAL_ID")
    check = NationalIdCheckDigit("x", field="national_id")
    assert en.error(check) == en.t("error.NATIONAL_ID_CHECK_DIGIT")
    unknown_problem = InvalidNationalId("x", problem="nope")
    assert en.error(unknown_problem) == en.t("error.INVALID_NATIONAL_ID")


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("pt-BR", "pt_BR"),
        ("pt_br", "pt_BR"),
        ("pt", "pt_BR"),
        ("fa-IR", "fa"),
        ("EN", "en"),
        ("ru", None),
    ],
)
def test_a_language_tag_finds_its_catalog(tag: str, found: str | None) -> None:
    from eligibility_gw.wording import shipped_language

    assert shipped_language(tag, {"en": {}, "fa": {}, "pt_BR": {}}) == found
