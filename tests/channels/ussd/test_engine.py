"""The menu engine alone: state and newest input in, screen and state out; no I/O."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility_gw.channels.ussd.answers import Refused
from eligibility_gw.channels.ussd.checks import sample_context
from eligibility_gw.channels.ussd.engine import Context, Engine, Limits, Need, Reply, Step
from eligibility_gw.channels.ussd.menu import MENU, Menu
from eligibility_gw.channels.ussd.screens import (
    Budget,
    Caller,
    Choice,
    Effect,
    Entry,
    Info,
    Option,
    Standing,
)
from eligibility_gw.channels.ussd.state import SessionState
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.rulepacks import load_rule_pack

TODAY = date(2026, 11, 23)
ALI = Entry("ref-ali", "Ali", "self")
FAMILY = tuple(Entry(f"ref-{i}", f"Child{i}", "child") for i in range(1, 10))
INSURED = Caller(selves=(ALI,), family=FAMILY)
PROVIDER = Caller(Standing.ACTIVE)
STRANGER = Caller()


@pytest.fixture(scope="module")
def pack() -> RulePack:
    """The Iranian pack."""
    return load_rule_pack("ir-tamin")


def ctx(pack: RulePack, caller: Caller, languages: tuple[str, ...] = ("en", "fa")) -> Context:
    """A context for ``caller``."""
    return sample_context(pack, TODAY, languages, caller)


def reply(step: Step) -> Reply:
    """The step, which must be a screen."""
    assert isinstance(step, Reply), step
    return step


def walk(engine: Engine, context: Context, *inputs: str, language: str = "en") -> Step:
    """Start a session and answer ``inputs`` in turn."""
    step = engine.start(context, language)
    for text in inputs:
        step = engine.answer(reply(step).state, text, context)
    return step


@pytest.mark.parametrize(
    ("caller", "options"),
    [
        (INSURED, ["My cover", "A family member", "Verify a tracking code", "Language"]),
        (Caller(selves=(ALI,)), ["My cover", "Verify a tracking code", "Language"]),
        (PROVIDER, ["Check by national id", "Verify a tracking code", "Language"]),
        (Caller(Standing.INACTIVE), ["Check by national id", "Verify a tracking code", "Language"]),
        (STRANGER, ["Verify a tracking code", "Language", "Register this phone"]),
    ],
)
def test_the_main_menu_offers_what_the_caller_may_use(
    pack: RulePack, caller: Caller, options: list[str]
) -> None:
    first = reply(Engine().start(ctx(pack, caller), "en"))
    assert not first.end
    assert first.text.splitlines() == [
        "Treatment eligibility",
        *(f"{i}. {o}" for i, o in enumerate(options, start=1)),
    ]
    assert first.state.stack == ("home",)


def test_my_cover_of_a_single_person_needs_no_choice(pack: RulePack) -> None:
    step = walk(Engine(), ctx(pack, INSURED), "1")
    assert isinstance(step, Need)
    assert step.effect is Effect.ANSWER_MEMBER
    assert step.values == {"member": "ref-ali"}
    assert step.screen == "my_answer"


def test_a_family_member_is_chosen_by_number_across_pages(pack: RulePack) -> None:
    engine = Engine(limits=Limits(page_size=4))
    context = ctx(pack, INSURED)
    page1 = reply(walk(engine, context, "2"))
    assert "1. Child1 (child)" in page1.text
    assert "98 More" in page1.text
    page2 = reply(engine.answer(page1.state, "98", context))
    assert "5. Child5 (child)" in page2.text
    assert "1. Child1" not in page2.text
    assert reply(engine.answer(page2.state, "1", context)).text.startswith("Invalid choice")
    chosen = engine.answer(page2.state, "6", context)
    assert isinstance(chosen, Need)
    assert chosen.values == {"member": "ref-6"}


def test_back_goes_to_the_previous_page_then_the_previous_screen(pack: RulePack) -> None:
    engine = Engine(limits=Limits(page_size=4))
    context = ctx(pack, INSURED)
    page2 = reply(walk(engine, context, "2", "98", "98"))
    assert page2.state.page == 2
    assert reply(engine.answer(page2.state, "0", context)).state.page == 1
    home = reply(walk(engine, context, "2", "0"))
    assert home.state.stack == ("home",)
    assert reply(engine.answer(home.state, "0", context)).text == home.text


def test_home_forgets_what_was_typed(pack: RulePack) -> None:
    engine = Engine()
    context = ctx(pack, PROVIDER)
    on_date = reply(walk(engine, context, "1", "0499370899"))
    assert on_date.state.values == {"national_id": "0499370899"}
    home = reply(engine.answer(on_date.state, "00", context))
    assert home.state.values == {}
    assert home.state.stack == ("home",)


def test_the_provider_answer_needs_the_id_and_the_date(pack: RulePack) -> None:
    engine = Engine()
    context = ctx(pack, PROVIDER)
    today = walk(engine, context, "1", "۰۴۹۹-۳۷۰-۸۹۹", "1")
    assert isinstance(today, Need)
    assert today.effect is Effect.ANSWER_PROVIDER
    assert today.screen == "provider_answer"
    assert today.values == {"national_id": "0499370899", "service_date": ""}
    dated = walk(engine, context, "1", "0499370899", "1405/09/01")
    assert isinstance(dated, Need)
    assert dated.values["service_date"] == "2026-11-22"


def test_a_deactivated_provider_is_told_so(pack: RulePack) -> None:
    step = reply(walk(Engine(), ctx(pack, Caller(Standing.INACTIVE)), "1"))
    assert step.end
    assert "deactivated" in step.text


def test_invalid_answers_in_a_row_end_the_session(pack: RulePack) -> None:
    engine = Engine(limits=Limits(max_invalid=2))
    context = ctx(pack, STRANGER)
    once = reply(walk(engine, context, "7"))
    assert not once.end
    assert once.state.invalid == 1
    assert once.text.startswith("Invalid choice")
    twice = reply(engine.answer(once.state, "7", context))
    assert twice.end
    assert twice.text == "Too many invalid answers. Please dial again."


def test_a_valid_answer_resets_the_count(pack: RulePack) -> None:
    engine = Engine()
    context = ctx(pack, STRANGER)
    step = reply(walk(engine, context, "7", "1", "x", "0", "y"))
    assert not step.end
    assert step.state.invalid == 1


def test_the_language_changes_every_screen_after_it(pack: RulePack) -> None:
    engine = Engine()
    context = ctx(pack, INSURED)
    persian = reply(walk(engine, context, "4", "2"))
    assert persian.state.language == "fa"
    assert persian.text.splitlines()[0] == "استعلام درمان"
    assert "۱ اعتبار من" in persian.text


def test_an_ended_session_keeps_its_last_screen(pack: RulePack) -> None:
    engine = Engine()
    context = ctx(pack, STRANGER)
    ended = reply(walk(engine, context, "3"))
    assert ended.end
    assert reply(engine.answer(ended.state, "1", context)).text == ended.text


def test_finish_words_the_outcome(pack: RulePack) -> None:
    engine = Engine()
    context = ctx(pack, STRANGER)
    code = TrackingCode.new()
    need = walk(engine, context, "1", code.grouped())
    assert isinstance(need, Need)
    assert need.effect is Effect.VERIFY_CODE
    assert need.values == {"code": code.digits}
    done = engine.finish(need, Refused("ussd.verify.not_shown"), context)
    assert done.end
    assert done.text == "This code cannot be shown to this phone."
    assert done.state.values == {}


def test_state_survives_json(pack: RulePack) -> None:
    state = reply(walk(Engine(), ctx(pack, PROVIDER), "1", "0499370899")).state.but(seen="1*2")
    again = SessionState.from_json(json.loads(json.dumps(state.to_json())))
    assert again == state


@pytest.mark.parametrize(
    "data",
    [None, [], {"v": 99}, {"v": 1}, {"v": 1, "stack": [], "language": "en"}, "text"],
)
def test_state_from_elsewhere_is_refused(data: object) -> None:
    assert SessionState.from_json(data) is None


def test_a_menu_refuses_transitions_to_nowhere() -> None:
    with pytest.raises(ValueError, match="unknown screen"):
        Menu.of("home", Choice("home", "t", (Option("x", "nowhere"),)))
    with pytest.raises(ValueError, match="twice"):
        Menu.of("home", Info("home", "a"), Info("home", "b"))


def test_every_screen_is_reachable() -> None:
    reached = {MENU.home}
    frontier = [MENU.home]
    while frontier:
        for target in Menu.targets(MENU[frontier.pop()]):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(MENU.screens)


_PACK = load_rule_pack("ir-tamin")
INPUTS = st.sampled_from(
    [
        "0",
        "00",
        "98",
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "9",
        "",
        "abc",
        "۱",
        "٢",
        "1405/09/01",
        "0499370899",
        "4821-0937-5526",
        "x" * 300,
        "*",
        "1*2",
    ]
)
CALLERS = st.sampled_from([INSURED, PROVIDER, STRANGER, Caller(Standing.INACTIVE, (ALI,))])


@settings(max_examples=300, deadline=None)
@given(caller=CALLERS, language=st.sampled_from(["en", "fa"]), inputs=st.lists(INPUTS, max_size=12))
def test_any_input_gives_a_screen_that_fits(
    caller: Caller, language: str, inputs: list[str]
) -> None:
    pack = _PACK
    engine = Engine(limits=Limits(Budget(80, 182), page_size=3, hotline="1420"))
    context = ctx(pack, caller)
    step = engine.start(context, language)
    for text in inputs:
        if isinstance(step, Need):
            step = engine.finish(step, Refused("ussd.end.nobody"), context)
        assert engine.limits.budget.fits(step.text), step.text
        step = engine.answer(step.state, text, context)
    if isinstance(step, Reply):
        assert engine.limits.budget.fits(step.text), step.text
