"""Budgets hold in every language: every text of every channel, rendered for every shipped
rule pack and language with realistic long names, every status and every reason.

SMS: never more than ``MAX_SEGMENTS`` parts, and one (GSM-7 160 / UCS-2 70) for the common
answers (the insured's own, a provider's with one reason, one line of a family) and every
fixed reply. USSD: every screen within its budget. Telegram: every message within 4096
UTF-16 units, every button's data within 64 bytes. A failure names the language, the text
and its length.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.telegram.answers import MAX_TEXT, answer_text, split_message
from eligibility_gw.channels.telegram.keyboards import (
    MAX_CALLBACK_BYTES,
    MENU,
    MemberButton,
    Tap,
    callback,
    family_page,
    language_keyboard,
    member_token,
    menu_label,
)
from eligibility_gw.channels.ussd.answers import Answered, Refused, Verified, render_outcome
from eligibility_gw.channels.ussd.checks import NOTICES, over_budget
from eligibility_gw.channels.ussd.hops import UssdChannel
from eligibility_gw.channels.ussd.screens import Budget
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.domain.answer import GENESIS_HASH, AnswerDraft, AnswerRecord
from eligibility_gw.domain.errors import (
    DateOutOfRange,
    EligibilityError,
    InvalidDate,
    InvalidNationalId,
    InvalidTrackingCode,
    NationalIdCheckDigit,
    ProviderInactive,
    QuotaExceeded,
)
from eligibility_gw.domain.model import (
    Decision,
    Person,
    PrivilegeOnFile,
    Reason,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.reminders import CoverEnding, DueReminder, EndingRule
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.notices import check_notice_text
from eligibility_gw.policy.disclosure import Disclosure, View, disclose
from eligibility_gw.reminders import Route, reminder_text
from eligibility_gw.rulepacks import load_rule_pack, shipped_rule_packs
from eligibility_gw.textbudget import sms_segments, ucs2_length
from eligibility_gw.wording import Wording, available_languages, catalogs, plural_catalogs

LANGUAGES = available_languages()
PACKS = shipped_rule_packs()
TODAY = date(2026, 11, 23)
#: The longest dates each calendar writes (two-digit days and months).
ENDS = date(2026, 12, 31)
ENDED = date(2026, 10, 28)
HOTLINE = "0800 800 950"
#: The hotline fixed replies name in one SMS: a short code, as insurers' hotlines are.
SHORT_HOTLINE = "1420"
#: Given and family names as long as real ones get, in each script the registries hold.
LONG_NAMES = (
    ("Maria-Magdalena", "Constantinescu-Dumitrescu"),
    ("Grzegorz", "Brzęczyszczykiewicz"),
    ("Александра", "Константинопольская"),
    ("محمدعلی", "حسین‌زاده اصفهانی"),
    ("Francisco-Bernardo", "Albuquerque Vasconcelos"),
)
#: Sample values for a message's fields, the longest each field takes in practice.
LONG_PARAMS: dict[str, str] = {
    "name": "Maria-Magdalena Constantinescu-Dumitrescu",
    "names": "Maria-Magdalena, Александра, محمدعلی",
    "provider": "Spitalul Clinic Județean de Urgență Cluj-Napoca",
    "hotline": HOTLINE,
    "date": "31.12.2026",
    "today": "23.11.2026",
    "earliest": "23.11.2025",
    "latest": "30.11.2026",
    "last_updated": "31.12.2025",
    "months": "12",
    "minutes": "1440",
    "count": "15",
    "reference": "UPL-4821-0937",
    "megabytes": "10",
    "code": "4821-0937-5526",
    "languages": "EN, FA, RO, PT, PL, RU",
    "example": "RO",
    "length": "11",
    "lengths": "11 / 15",
}


def _ids(pack: RulePack, n: int) -> str:
    return pack.national_id.sample(1, n)


def _members(pack: RulePack) -> list[Person]:
    """One person per long name; the relationships the pack knows, the principal first."""
    relationships = (pack.principal_relationship, *pack.dependent_relationships)
    category = next(iter(pack.categories), None)
    privileges = tuple(PrivilegeOnFile(kind, ENDS) for kind in pack.privileges)
    return [
        Person(
            national_id=_ids(pack, 40 + i),
            given_name=given,
            family_name=family,
            birth_date=date(1990, 1, 1),
            sex=Sex.FEMALE,
            relationship=relationships[i % len(relationships)],
            category=category,
            privileges=privileges,
        )
        for i, (given, family) in enumerate(LONG_NAMES)
    ]


def _reasons(pack: RulePack) -> list[Reason]:
    """Every reason the pack's rules can give, with the longest parameters."""
    dated = (("expired_on", ENDED.isoformat()),)
    codes = {
        key.removeprefix("short.reason.").removesuffix(".undated")
        for key in (*catalogs()["en"], *plural_catalogs()["en"])
        if key.startswith("short.reason.")
    }
    found = [
        Reason(code, params=(("age", "26"), ("insurer", "CASAOPSNAJ"), *dated))
        for code in sorted(codes - {"DOCUMENT_REQUIRED", "DOCUMENT_EXPIRED"})
        if code not in ("PRIVILEGE_REQUIRED", "PRIVILEGE_EXPIRED", "CATEGORY_AGE_LIMIT")
    ]
    found.append(
        Reason("COVER_ENDS_IN_PERIOD", params=(("ends_on", ENDED.isoformat()),)),
    )
    for kind in (*pack.documents, "income_declaration", "overlap_resolution"):
        found.append(Reason(f"{kind.upper()}_REQUIRED", resolve_with=kind))
        found.append(Reason(f"{kind.upper()}_EXPIRED", resolve_with=kind, params=dated))
    for kind, privilege in pack.privileges.items():
        held = (("privilege", kind),)
        found.append(Reason("PRIVILEGE_REQUIRED", privilege.document, held))
        found.append(Reason("PRIVILEGE_EXPIRED", privilege.document, (*held, *dated)))
    for code in pack.categories:
        found.append(
            Reason("CATEGORY_AGE_LIMIT", "category_update", (("category", code), ("to_age", "26")))
        )
    for fmt in getattr(pack.national_id, "formats", ()):
        found.append(Reason(f"{fmt.name.upper()}_REQUIRED", f"{fmt.name}_registration"))
    return found


def _decisions(pack: RulePack) -> list[Decision]:
    """Every status: covered (with the member's category and privileges), each reason alone
    (not covered, and undetermined), and many reasons at once."""

    def made(
        status: Status,
        reasons: tuple[Reason, ...],
        cover_end: date | None = None,
        cover_ended: date | None = None,
        category: str | None = None,
        privileges: tuple[PrivilegeOnFile, ...] = (),
    ) -> Decision:
        return Decision(
            status, reasons, cover_end, pack.name, pack.version, cover_ended, category, privileges
        )

    category = next(iter(pack.categories), None)
    privileges = tuple(PrivilegeOnFile(kind, ENDS) for kind in pack.privileges)
    found = [
        made(Status.ELIGIBLE, (), cover_end=ENDS, category=category, privileges=privileges),
        made(Status.ELIGIBLE, (Reason("EVIDENCE_ON_FILE"),), cover_end=ENDS),
        made(Status.ELIGIBLE, (), cover_end=date.max),
    ]
    reasons = _reasons(pack)
    for reason in reasons:
        found.append(made(Status.NOT_ELIGIBLE, (reason,), cover_ended=ENDED, category=category))
        found.append(made(Status.UNDETERMINED, (reason,)))
    found.append(made(Status.NOT_ELIGIBLE, tuple(reasons[:4]), cover_ended=ENDED))
    return found


def _asked(pack: RulePack, member: Person, decision: Decision, view: View) -> Disclosure:
    draft = AnswerDraft(
        channel="sms",
        asker_kind="insured" if view is View.INSURED else "provider",
        asker_id="+40721000001",
        national_id=member.national_id,
        service_date=TODAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=decision,
        member_relationship=member.relationship,
        member_masked=f"{member.given_name[:1]}*** {member.family_name[:1]}***",
    )
    record = AnswerRecord(1, TrackingCode.new(), datetime.now(UTC), draft, GENESIS_HASH, "0" * 64)
    return disclose(record, view, member, decision)


def _answers(pack: RulePack, view: View) -> Iterator[Disclosure]:
    members = _members(pack)
    for i, decision in enumerate(_decisions(pack)):
        yield _asked(pack, members[i % len(members)], decision, view)


def _fail(language: str, what: str, text: str, limit: str) -> str:
    size = f"{ucs2_length(text)} units, {sms_segments(text)} SMS"
    return f"[{language}] {what} over {limit} ({size}): {text!r}"


@pytest.fixture(scope="module", params=PACKS)
def pack(request: pytest.FixtureRequest) -> RulePack:
    return load_rule_pack(str(request.param))


# --- SMS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_answers_fit(pack: RulePack, language: str) -> None:
    w = Wording(language)
    over: list[str] = []
    for view in (View.INSURED, View.PROVIDER):
        for shown in _answers(pack, view):
            texts = (
                [replies.insured_answer(w, pack, shown, d) for d in (False, True)]
                if view is View.INSURED
                else [replies.provider_answer(w, shown, d, pack=pack) for d in (False, True)]
            )
            texts.append(replies.recorded_answer(w, pack, shown))
            for text in texts:
                if sms_segments(text) > replies.MAX_SEGMENTS:
                    over.append(_fail(language, f"{view.value} answer", text, "3 SMS"))
                if text.endswith("..."):
                    over.append(_fail(language, f"{view.value} answer clipped", text, "3 SMS"))
    assert not over, "\n".join(over)


@pytest.mark.parametrize("language", LANGUAGES)
def test_common_sms_answers_fit_one_sms(pack: RulePack, language: str) -> None:
    """The insured person's own cover, a provider's answer with one reason and each line of a
    family: one SMS, tracking code included, with the longest names."""
    w = Wording(language)
    over: list[str] = []
    members = _members(pack)
    covered = Decision(Status.ELIGIBLE, (), ENDS, pack.name, pack.version)
    for member in members:
        insured = _asked(pack, member, covered, View.INSURED)
        text = replies.insured_answer(w, pack, insured, show_date=False)
        if sms_segments(text) != 1:
            over.append(_fail(language, "insured answer", text, "1 SMS"))
        assert w.digits(insured.tracking_code.grouped()) in text
        family = replies.family_answer(w, [insured])
        if sms_segments(family) != 1:
            over.append(_fail(language, "family line", family, "1 SMS"))
    generic = {
        k.removeprefix("short.reason.") for k in (*catalogs()["en"], *plural_catalogs()["en"])
    }
    for shown in _answers(pack, View.PROVIDER):
        # One reason the catalogs word themselves (a pack's own documents and privileges
        # may take two); what privileges ask of a provider is never left out.
        if len(shown.reasons) > 1 or shown.privileges:
            continue
        code = shown.reasons[0].code if shown.reasons else ""
        if code and (code not in generic or code.startswith(("PRIVILEGE_", "CATEGORY_"))):
            continue
        text = replies.provider_answer(w, shown, show_date=False, pack=pack)
        if sms_segments(text) != 1:
            over.append(_fail(language, "provider answer", text, "1 SMS"))
    assert not over, "\n".join(over)


@pytest.mark.parametrize("language", LANGUAGES)
def test_family_lists_fit_with_long_names(pack: RulePack, language: str) -> None:
    w = Wording(language)
    members = [*_members(pack)] * 3
    covered = Decision(Status.ELIGIBLE, (), ENDS, pack.name, pack.version)
    for size in (1, 2, 3, 5, 15):
        lines = [_asked(pack, m, covered, View.INSURED) for m in members[:size]]
        text = replies.family_answer(w, lines)
        assert sms_segments(text) <= replies.MAX_SEGMENTS, _fail(language, "family", text, "3")


ERRORS: list[EligibilityError] = [
    InvalidNationalId("empty", problem="empty"),
    InvalidNationalId("digits", problem="digits"),
    InvalidNationalId("length", problem="length", length=16),
    InvalidNationalId("lengths", problem="lengths", lengths="11 / 15"),
    InvalidNationalId("repeated", problem="repeated"),
    InvalidNationalId("component", problem="component"),
    NationalIdCheckDigit("check"),
    InvalidDate("date"),
    DateOutOfRange("range", earliest=date(2025, 11, 23), latest=date(2026, 12, 31)),
    InvalidTrackingCode("code"),
]
WAITS = (1, 59, 61, 119, 121, 1259, 1321, 3599, 3600, 86400)


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixed_sms_replies_fit_one_sms(language: str) -> None:
    w = Wording(language)
    texts = {
        "help": replies.help_text(w),
        "help, not understood": replies.help_text(w, understood=False),
        "not on file": replies.not_on_file(w, SHORT_HOTLINE),
        "provider inactive": replies.provider_inactive(w),
        "unavailable": replies.unavailable(w),
        "unknown code": replies.unknown_code(w),
        "busy": replies.busy(w),
        "thanks": replies.thanks_for_report(w, SHORT_HOTLINE),
        **{f"rate limited {s}s": replies.rate_limited(w, "sender", s) for s in WAITS},
        **{
            f"quota {scope} {s}s": replies.quota_exceeded(
                w, QuotaExceeded("x", scope=scope, retry_after=s, limit=5)
            )
            for scope in ("asker", "provider_national_id", "national_id")
            for s in WAITS
        },
        **{f"refusal {e.params.get('problem', e.code)}": replies.refusal(w, e) for e in ERRORS},
    }
    over = [_fail(language, what, t, "1 SMS") for what, t in texts.items() if sms_segments(t) != 1]
    assert not over, "\n".join(over)
    stale = ProviderInactive("stale", problem="stale", last_updated=ENDED, months=12)
    text = replies.provider_inactive(w, stale)
    assert sms_segments(text) <= 2, _fail(language, "provider stale", text, "2 SMS")
    assert w.date(ENDED) in text


def _filled(w: Wording, key: str, text: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    params = {f: w.digits(LONG_PARAMS.get(f, "x" * 20)) for f in fields}
    return text.format_map(params)


def _every_text(language: str, prefix: str) -> Iterator[tuple[str, str]]:
    """Every message of a part (plain, and each plural form), with long fields."""
    w = Wording(language)
    own = catalogs()[language]
    for key, text in own.items():
        if key.startswith(prefix) and ".keyword." not in key:
            yield key, _filled(w, key, text)
    for key, forms in plural_catalogs()[language].items():
        if key.startswith(prefix):
            for i, form in enumerate(forms):
                yield f"{key}[{i}]", _filled(w, key, form)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sms_message_fits_the_channel(language: str) -> None:
    """Whatever the message (uploads, notices, language choice…): three SMS at the most."""
    w = Wording(language)
    texts = list(_every_text(language, "sms."))
    for given, family in LONG_NAMES:
        notice = check_notice_text(w, f"{given} {family}", LONG_PARAMS["provider"], ENDS)
        texts.append(("check notice", notice))
        assert w.date(ENDS) in notice
    over = [
        _fail(language, key, text, "3 SMS")
        for key, text in texts
        if sms_segments(text) > replies.MAX_SEGMENTS
    ]
    assert not over, "\n".join(over)


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_sms_fit(pack: RulePack, language: str) -> None:
    w = Wording(language)
    over: list[str] = []
    for member in _members(pack):
        for reason in _reasons(pack):
            for rule in EndingRule:
                ending = CoverEnding(member, ENDS, reason, rule, age_then=26)
                due = DueReminder(ending, 30, 30, "+40721000001")
                for uploads in (True, False):
                    text = reminder_text(w, due, Route.SMS, uploads, HOTLINE)
                    if sms_segments(text) > replies.MAX_SEGMENTS:
                        over.append(_fail(language, f"reminder {rule}", text, "3 SMS"))
                    telegram = reminder_text(w, due, Route.TELEGRAM, uploads, HOTLINE)
                    if ucs2_length(telegram) > MAX_TEXT:
                        over.append(_fail(language, "reminder", telegram, "4096"))
    assert not over, "\n".join(dict.fromkeys(over))


# --- USSD ----------------------------------------------------------------------------------

USSD = UssdSettings()
BUDGET = Budget(USSD.ucs2_budget, USSD.gsm7_budget)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ussd_screen_fits(pack: RulePack, language: str) -> None:
    engine = UssdChannel(USSD).engine
    over = [
        _fail(language, f"{r.screen} ({r.variant})", r.text, "a USSD screen")
        for r in over_budget(engine, pack, TODAY, LANGUAGES, wait=1440)
        if r.language == language
    ]
    assert not over, "\n".join(over)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_ussd_answer_and_notice_fits(pack: RulePack, language: str) -> None:
    w = Wording(language)
    over: list[str] = []
    outcomes: list[Answered | Verified | Refused] = []
    for view in (View.INSURED, View.PROVIDER):
        for shown in _answers(pack, view):
            outcomes += [Answered(shown), Verified(shown)]
    for key in (*NOTICES, "ussd.end.provider_stale"):
        outcomes.append(Refused(key, {"minutes": "1440", "last_updated": "2025-12-31"}))
        outcomes.append(Refused(key, {"minutes": "1", "last_updated": "2025-12-31"}))
    for outcome in outcomes:
        text = render_outcome(outcome, w, pack, BUDGET)
        if not BUDGET.fits(text):
            over.append(_fail(language, type(outcome).__name__, text, "a USSD screen"))
    assert not over, "\n".join(over)


# --- Telegram ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_telegram_answers_and_messages_fit(pack: RulePack, language: str) -> None:
    w = Wording(language)
    over: list[str] = []
    for view in (View.INSURED, View.PROVIDER):
        for shown in _answers(pack, view):
            text = answer_text(shown, w, pack)
            if split_message(text) != [text]:
                over.append(_fail(language, "answer", text, "one message"))
    for key, text in _every_text(language, "telegram."):
        if ucs2_length(text) > MAX_TEXT:
            over.append(_fail(language, key, text, "4096"))
    assert not over, "\n".join(over)


@pytest.mark.parametrize("language", LANGUAGES)
def test_telegram_buttons_fit(pack: RulePack, language: str) -> None:
    w = Wording(language)
    members = [
        MemberButton(
            f"{m.given_name} {m.family_name} ({w.relationship(m.relationship)})",
            member_token(b"k" * 32, m.national_id),
        )
        for m in _members(pack) * 3
    ]
    for tap, page_tap in ((Tap.MEMBER, Tap.PAGE), (Tap.UPLOAD, Tap.UPLOAD_PAGE)):
        for page in range(3):
            keyboard = family_page(w, members, page, 5, tap, page_tap)
            for row in keyboard.inline_keyboard:
                for button in row:
                    data = str(button.callback_data)
                    assert len(data.encode()) <= MAX_CALLBACK_BYTES, (language, data)
                    assert 0 < ucs2_length(button.text) <= MAX_TEXT, (language, button.text)
    for row in language_keyboard(LANGUAGES).inline_keyboard:
        for button in row:
            assert len(str(button.callback_data).encode()) <= MAX_CALLBACK_BYTES
    for action in MENU:
        label = menu_label(w, action)
        assert label and len(label) <= 64, (language, label)
    assert len(callback(Tap.MEMBER, member_token(b"k" * 32, "9" * 16)).encode()) <= 64


def test_a_persian_sms_isolates_a_latin_name_it_starts_with() -> None:
    """Else the phone lays the whole reply out left to right, from its first letter."""
    pack = load_rule_pack("ir-tamin")
    member = _members(pack)[0]
    covered = Decision(Status.ELIGIBLE, (), ENDS, pack.name, pack.version)
    fa, en = Wording("fa"), Wording("en")
    insured = _asked(pack, member, covered, View.INSURED)
    assert replies.insured_answer(fa, pack, insured, False).startswith(f"\u2068{member.given_name}")
    assert replies.insured_answer(en, pack, insured, False).startswith(member.given_name)
    provider = _asked(pack, member, covered, View.PROVIDER)
    assert replies.provider_answer(fa, provider, False, pack=pack).startswith(
        "\u2068M*** C***\u2069"
    )
    family = replies.family_answer(fa, [insured])
    assert f"\u2068{member.given_name}\u2069:" in family
