"""Every screen of every menu, in every shipped language, fits one USSD screen.

182 GSM-7 characters, or the UCS-2 budget (80 by default) once one character is not GSM-7.
Fixed screens are rendered for every shape of caller, with every hint they can show; lists
are rendered page by page with long names; answers for every status, reason and audience.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from eligibility_gw.channels.ussd.answers import Answered, Refused, Verified, render_outcome
from eligibility_gw.channels.ussd.checks import (
    NOTICES,
    fixed_screens,
    longest_wait,
    over_budget,
    sample_context,
)
from eligibility_gw.channels.ussd.engine import Engine
from eligibility_gw.channels.ussd.hops import UssdChannel
from eligibility_gw.channels.ussd.menu import MENU
from eligibility_gw.channels.ussd.screens import (
    Asking,
    Budget,
    Caller,
    Entry,
    Go,
    Info,
    Pick,
    Source,
    Standing,
)
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.channels.ussd.state import SessionState
from eligibility_gw.domain.answer import AnswerDraft, AnswerRecord
from eligibility_gw.domain.model import Decision, Person, Reason, ServiceSetting, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import Disclosure, View, disclose
from eligibility_gw.policy.quotas import QuotaSettings
from eligibility_gw.rulepacks import load_rule_pack, shipped_rule_packs
from eligibility_gw.wording import Wording, available_languages, catalogs, placeholders

TODAY = date(2026, 11, 23)
LANGUAGES = available_languages()
DEFAULT = UssdSettings()
BUDGET = Budget(DEFAULT.ucs2_budget, DEFAULT.gsm7_budget)


@pytest.fixture(scope="module", params=shipped_rule_packs())
def pack(request: pytest.FixtureRequest) -> RulePack:
    """Each shipped rule pack."""
    return load_rule_pack(str(request.param))


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The engine the channel runs with its default knobs."""
    return UssdChannel(DEFAULT).engine


def test_shipped_languages_are_tested() -> None:
    assert {"en", "fa"} <= set(LANGUAGES)


def test_every_fixed_screen_fits(engine: Engine, pack: RulePack) -> None:
    assert over_budget(engine, pack, TODAY, LANGUAGES) == []


def test_quota_screens_fit_the_longest_wait_the_settings_allow(engine: Engine) -> None:
    """A day-long window per person names four-digit minutes; the screens still fit."""
    wait = longest_wait(QuotaSettings(national_id_window_seconds=86400))
    assert wait == 1440
    assert longest_wait(QuotaSettings()) == 60
    quota = [
        r
        for r in fixed_screens(engine, load_rule_pack("ir-tamin"), TODAY, LANGUAGES, wait)
        if r.screen.startswith("ussd.end.quota.")
    ]
    assert len(quota) == 3 * len(LANGUAGES)
    for rendered in quota:
        assert Wording(rendered.language).digits("1440") in rendered.text
        assert BUDGET.fits(rendered.text), rendered


def test_every_screen_of_the_menu_is_rendered(engine: Engine, pack: RulePack) -> None:
    rendered = {(r.language, r.screen) for r in fixed_screens(engine, pack, TODAY, LANGUAGES)}
    shown = {s for s in MENU.screens.values() if isinstance(s, Asking | Info)}
    for language in LANGUAGES:
        assert {s.id for s in shown} <= {screen for lang, screen in rendered if lang == language}
        assert set(NOTICES) <= {screen for lang, screen in rendered if lang == language}


def test_every_ussd_text_is_translated() -> None:
    cats = catalogs()
    ids = {k for k in cats["en"] if k.startswith("ussd.")}
    assert ids
    for language in LANGUAGES:
        own = {k for k in cats[language] if k.startswith("ussd.")}
        assert own == ids, language
        for key in ids:
            assert placeholders(cats[language][key]) <= placeholders(cats["en"][key]), key


LONG_NAMES = (
    "Mohammad-Hossein",
    "عبدالرحیم",
    "Maria-Magdalena Alexandrescu-Popovici",
    "محمدحسین‌علی‌اکبر‌عبدالرحیم‌زاده‌گان",
    "A",
    "Ştefan",
    "Maria-Magdalena Constantinescu-Dumitrescu",
    "Grzegorz Brzęczyszczykiewicz",
    "Александра Константинопольская",
    "محمدعلی حسین‌زاده اصفهانی",
)


@pytest.mark.parametrize("count", [1, 2, 7, 8, 23])
@pytest.mark.parametrize("language", LANGUAGES)
def test_lists_page_within_the_budget(
    engine: Engine, pack: RulePack, language: str, count: int
) -> None:
    relationships = (*pack.dependent_relationships, pack.principal_relationship)
    entries = tuple(
        Entry(f"ref{i}", LONG_NAMES[i % len(LONG_NAMES)], relationships[i % len(relationships)])
        for i in range(count)
    )
    caller = Caller(Standing.ACTIVE, entries, entries)
    ctx = sample_context(pack, TODAY, LANGUAGES, caller)
    pick = MENU["family"]
    assert isinstance(pick, Pick) and pick.source is Source.FAMILY
    chosen: list[str] = []
    page = 0
    while True:
        view = engine.view(SessionState(language, ("family",), page=page), ctx)
        for hint in (None, view.t("ussd.hint.choice")):
            text = pick.render(view, hint)
            assert BUDGET.fits(text), text
        for n in range(1, count + 1):
            move = pick.read(str(n), view)
            if isinstance(move, Go):
                assert view.w.digits(str(n)) in pick.render(view)
                chosen.append(move.values["member"])
        if not pick.has_more(view):
            break
        page += 1
        assert page <= count
    assert chosen == [e.ref for e in entries]


def _record(status: Status, reasons: tuple[Reason, ...], cover_end: date | None) -> AnswerRecord:
    """A logged answer as the core keeps it (with the member's dates in its reasons)."""
    draft = AnswerDraft(
        channel="ussd",
        asker_kind="provider",
        asker_id="p1",
        national_id="0499370899",
        service_date=TODAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(status, reasons, cover_end, "ir-tamin", "2026.1"),
        member_relationship="grandparent",
        member_masked="M*** A***",
    )
    return AnswerRecord(1, TrackingCode.new(), datetime.now(UTC), draft, "0" * 64, "0" * 64)


def _reasons(pack: RulePack) -> list[tuple[Reason, ...]]:
    """One of each reason the gateway gives, and a few together."""
    documents = tuple(pack.documents) or ("student_certificate",)
    single = [
        Reason("OUTSIDE_COVER_PERIOD", params=(("ended_on", "2026-01-31"),)),
        Reason("PRINCIPAL_NOT_COVERED"),
        Reason("RELATIONSHIP_NOT_COVERED", params=(("relationship", "grandparent"),)),
        Reason("BIRTH_DATE_UNKNOWN", resolve_with="birth_certificate"),
        Reason("NOT_BORN_ON_DATE"),
        Reason("INCOME_UNKNOWN", resolve_with="income_declaration"),
        Reason("HAS_INCOME"),
        Reason("MARITAL_STATUS_UNKNOWN", resolve_with="birth_certificate"),
        Reason("MARRIED"),
        Reason("AGE_LIMIT_REACHED", params=(("age", "26"),)),
        Reason("NOT_FOUND"),
        Reason("REGISTRY_UNAVAILABLE"),
        Reason("OVERLAP_WITH_OTHER_INSURER", "overlap_resolution", (("insurer", "IHIO"),)),
        *(Reason(f"{d.upper()}_REQUIRED", resolve_with=d) for d in documents),
        *(
            Reason(f"{d.upper()}_EXPIRED", resolve_with=d, params=(("expired_on", "2026-11-22"),))
            for d in documents
        ),
    ]
    return [(), *((r,) for r in single), tuple(single[:4]), tuple(single[-3:])]


def _member(name: str) -> Person:
    return Person("0499370899", name, name, date(1950, 1, 1), None, "grandparent", "0")


def _shown(
    status: Status, reasons: tuple[Reason, ...], view: View, name: str = "Hamid"
) -> Disclosure:
    """What the core discloses of such an answer to ``view``."""
    eligible = status is Status.ELIGIBLE
    record = _record(status, reasons, date(2027, 12, 31) if eligible else None)
    ended = date(2026, 1, 31) if status is Status.NOT_ELIGIBLE else None
    decision = Decision(status, reasons, record.draft.decision.cover_end, cover_ended=ended)
    return disclose(record, view, _member(name), decision)


@pytest.mark.parametrize("view", [View.INSURED, View.PROVIDER])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_answer_fits(pack: RulePack, language: str, view: View) -> None:
    w = Wording(language)
    for status in Status:
        for reasons in _reasons(pack):
            for name in LONG_NAMES:
                shown = _shown(status, reasons, view, name)
                text = render_outcome(Answered(shown), w, pack, BUDGET)
                assert BUDGET.fits(text), text
                assert w.digits(shown.tracking_code.grouped()) in text
                assert w.t(f"short.status.{status.value}") in text or w.status(status) in text
            verified = render_outcome(Verified(shown), w, pack, BUDGET)
            assert BUDGET.fits(verified), verified


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_provider_answer_shows_no_date_of_the_members(pack: RulePack, language: str) -> None:
    """Only the service date: never when cover ended, a certificate lapsed, cover ends."""
    w = Wording(language)
    member_dates = [w.date(d) for d in (date(2026, 1, 31), date(2026, 11, 22), date(2027, 12, 31))]
    service_date = w.date(TODAY)
    for status in Status:
        for reasons in _reasons(pack):
            shown = _shown(status, reasons, View.PROVIDER)
            for text in (
                render_outcome(Answered(shown), w, pack, BUDGET),
                render_outcome(Answered(shown), w, pack, Budget(400, 400)),  # the richest form
                render_outcome(Verified(shown), w, pack, BUDGET),
            ):
                assert service_date in text
                for day in member_dates:
                    assert day not in text, text


def test_an_insured_answer_says_when_cover_ended(pack: RulePack) -> None:
    w = Wording("en")
    lapsed = Reason(
        "STUDENT_CERTIFICATE_EXPIRED",
        resolve_with="student_certificate",
        params=(("expired_on", "2026-01-31"),),
    )
    shown = _shown(Status.NOT_ELIGIBLE, (lapsed,), View.INSURED)
    text = render_outcome(Answered(shown), w, pack, BUDGET)
    assert text.splitlines() == [
        "Hamid: Not eligible (ended 2026-01-31)",
        "student cert. expired 2026-01-31; bring it to a branch",
        f"Code {shown.tracking_code.grouped()}",
    ]
    fa = render_outcome(Answered(shown), Wording("fa"), pack, BUDGET)
    assert f"(پایان {Wording('fa').date(date(2026, 1, 31))})" in fa
    covered = _shown(Status.ELIGIBLE, (), View.INSURED)
    assert render_outcome(Answered(covered), w, pack, BUDGET).splitlines()[0] == (
        "Hamid: Eligible until 2027-12-31"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_refusals_fit(language: str) -> None:
    w = Wording(language)
    for key in (*NOTICES, "ussd.info.deactivated"):
        text = render_outcome(
            Refused(key, {"minutes": "60"}), w, load_rule_pack("ir-tamin"), BUDGET
        )
        assert BUDGET.fits(text), text
        assert text != key
        assert "{" not in text, text


def test_refusals_write_their_numbers_in_the_screens_digits() -> None:
    refused = Refused("ussd.end.quota.national_id", {"minutes": "42"})
    pack = load_rule_pack("ir-tamin")
    assert "in 42 minutes" in render_outcome(refused, Wording("en"), pack, BUDGET)
    assert "۴۲ دقیقه" in render_outcome(refused, Wording("fa"), pack, BUDGET)


def test_the_full_answer_is_given_when_it_fits(pack: RulePack) -> None:
    w = Wording("en")
    reason = Reason("STUDENT_CERTIFICATE_REQUIRED", resolve_with="student_certificate")
    record = _record(Status.NOT_ELIGIBLE, (reason,), None)
    shown = disclose(record, View.INSURED, _member("Hamid"))
    text = render_outcome(Answered(shown), w, pack, BUDGET)
    assert text.splitlines() == [
        "Hamid: Not eligible",
        "student certificate needed; bring it to a branch",
        f"Code {record.tracking_code.grouped()}",
    ]
    provider = render_outcome(Answered(disclose(record, View.PROVIDER)), w, pack, BUDGET)
    assert provider.splitlines() == [
        "M*** A*** (grandparent)",
        f"Not eligible on {TODAY.isoformat()}",
        "student certificate needed; bring it to a branch",
        f"Code {record.tracking_code.grouped()}",
    ]
