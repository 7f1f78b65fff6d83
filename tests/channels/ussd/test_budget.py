"""Every screen of every menu, in every shipped language, fits one USSD screen.

182 GSM-7 characters, or the UCS-2 budget (80 by default) once one character is not GSM-7.
Fixed screens are rendered for every shape of caller, with every hint they can show; lists
are rendered page by page with long names; answers for every status, reason and audience.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from eligibility_gw.channels.ussd.answers import Answered, Refused, Verified, render_outcome
from eligibility_gw.channels.ussd.checks import NOTICES, fixed_screens, over_budget, sample_context
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
from eligibility_gw.domain.model import Decision, MemberView, Reason, ServiceSetting, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.presenting import Audience
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


@pytest.mark.parametrize("audience", [Audience.INSURED, Audience.PROVIDER])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_answer_fits(pack: RulePack, language: str, audience: Audience) -> None:
    w = Wording(language)
    for status in Status:
        for reasons in _reasons(pack):
            for name in LONG_NAMES:
                cover_end = date(2027, 12, 31) if status is Status.ELIGIBLE else None
                record = _record(status, reasons, cover_end)
                member = MemberView(name, name, "grandparent", "0499370899")
                answered = Answered(record, audience, member)
                text = render_outcome(answered, w, pack, BUDGET)
                assert BUDGET.fits(text), text
                assert w.digits(record.tracking_code.grouped()) in text
                assert w.t(f"short.status.{status.value}") in text or w.status(status) in text
            verified = render_outcome(Verified(record), w, pack, BUDGET)
            assert BUDGET.fits(verified), verified


@pytest.mark.parametrize("language", LANGUAGES)
def test_refusals_fit(language: str) -> None:
    w = Wording(language)
    for key in (*NOTICES, "ussd.info.deactivated"):
        text = render_outcome(Refused(key), w, load_rule_pack("ir-tamin"), BUDGET)
        assert BUDGET.fits(text), text
        assert text != key


def test_the_full_answer_is_given_when_it_fits(pack: RulePack) -> None:
    w = Wording("en")
    reason = Reason("STUDENT_CERTIFICATE_REQUIRED", resolve_with="student_certificate")
    record = _record(Status.NOT_ELIGIBLE, (reason,), None)
    member = MemberView("Hamid", "Rezaei", "child", "0499370899")
    text = render_outcome(Answered(record, Audience.INSURED, member), w, pack, BUDGET)
    assert text.splitlines() == [
        "Hamid: Not eligible",
        "student certificate needed; bring it to a branch",
        f"Code {record.tracking_code.grouped()}",
    ]
