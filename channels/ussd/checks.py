"""Render every fixed screen in every language, to check that each fits one USSD screen.

Run at start-up (a budget too small for the shipped texts refuses to start) and by the
tests, which add the screens whose text depends on data: lists and answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from eligibility_gw.channels.ussd.engine import Context, Engine
from eligibility_gw.channels.ussd.screens import (
    Asking,
    Caller,
    Entry,
    Info,
    Invalid,
    Listing,
    Parse,
    Pick,
    Prompt,
    Rules,
    Standing,
)
from eligibility_gw.channels.ussd.state import SessionState
from eligibility_gw.domain.dates import service_window
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.quotas import QuotaSettings
from eligibility_gw.wording import Wording

#: Messages shown as a whole last screen by the channel itself (not through a menu screen).
NOTICES = (
    "ussd.end.bad_request",
    "ussd.end.date_moved",
    "ussd.end.expired",
    "ussd.end.goodbye",
    "ussd.end.nobody",
    "ussd.end.not_on_file",
    "ussd.end.out_of_step",
    "ussd.end.quota.asker",
    "ussd.end.quota.national_id",
    "ussd.end.quota.provider_national_id",
    "ussd.end.rate_limited",
    "ussd.end.too_many_invalid",
    "ussd.end.unavailable",
    "ussd.verify.not_shown",
)
#: Minutes a quota refusal names when no settings are at hand: an hour, the longest default.
DEFAULT_WAIT = 60


def longest_wait(quotas: QuotaSettings) -> int:
    """The most minutes a quota refusal can name under ``quotas`` (its screen must fit)."""
    hour = 60  # the insured's and staff's own budgets renew every hour; providers' each minute
    return max(hour, -(-quotas.national_id_window_seconds // 60))


_ALI = Entry("r1", "Ali", "self")
_MARYAM = Entry("r2", "Maryam", "spouse")
#: One caller per shape of the main menu: unknown, provider only, insured alone, everything.
SAMPLE_CALLERS = (
    Caller(),
    Caller(Standing.ACTIVE),
    Caller(Standing.INACTIVE),
    Caller(selves=(_ALI,)),
    Caller(Standing.ACTIVE, selves=(_ALI, _MARYAM), family=(_MARYAM, _ALI)),
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One screen as shown."""

    language: str
    screen: str
    variant: str
    text: str


def sample_context(
    pack: RulePack, today: date, languages: tuple[str, ...], caller: Caller
) -> Context:
    """A context for rendering without a store."""
    earliest, latest = service_window(today, pack.months_back)
    return Context(caller, Rules(pack, today, earliest, latest), languages)


def bad_inputs(pack: RulePack) -> dict[Parse, tuple[str, ...]]:
    """Answers each kind of question refuses, one per hint it can give."""
    good = pack.national_id.sample(1, 1)
    wrong_check = good[:-1] + str((int(good[-1]) + 1) % 10)
    return {
        Parse.NATIONAL_ID: ("12", wrong_check, "abc"),
        Parse.SERVICE_DATE: ("31/31/31", "1900-01-01"),
        Parse.TRACKING_CODE: ("123", "123456789012"),
    }


def fixed_screens(
    engine: Engine,
    pack: RulePack,
    today: date,
    languages: tuple[str, ...],
    wait: int = DEFAULT_WAIT,
) -> Iterator[Rendered]:
    """Every menu screen (with each hint it can show) and notice, in every language.

    Notices that name minutes (quota refusals) are rendered with ``wait``, the most they
    can name.
    """
    bad = bad_inputs(pack)
    for language in languages:
        w = Wording(language)
        for key in NOTICES:
            text = w.n(key, wait, minutes=w.digits(str(wait)))
            yield Rendered(language, key, "notice", text)
        for number, caller in enumerate(SAMPLE_CALLERS):
            ctx = sample_context(pack, today, languages, caller)
            for screen_id, screen in engine.menu.screens.items():
                if isinstance(screen, Info):
                    yield Rendered(
                        language, screen_id, "info", engine.render(screen_id, ctx, language)
                    )
                if not isinstance(screen, Asking):
                    continue
                if isinstance(screen, Pick) and not caller.entries(screen.source):
                    continue
                variant = f"caller {number}"
                yield Rendered(
                    language, screen_id, variant, engine.render(screen_id, ctx, language)
                )
                for hint in _hints(engine, screen, ctx, language, bad):
                    text = engine.render(screen_id, ctx, language, hint=hint)
                    yield Rendered(language, screen_id, f"{variant}, hint", text)
                yield from _later_pages(engine, screen, ctx, language, variant)


def _later_pages(
    engine: Engine, screen: Asking, ctx: Context, language: str, variant: str
) -> Iterator[Rendered]:
    """The pages after the first of a list (the six languages take two), with its hint."""
    if not isinstance(screen, Listing):
        return
    page = 0
    while screen.has_more(engine.view(SessionState(language, (screen.id,), page=page), ctx)):
        page += 1
        view = engine.view(SessionState(language, (screen.id,), page=page), ctx)
        text = engine.render(screen.id, ctx, language, page=page)
        yield Rendered(language, screen.id, f"{variant}, page {page + 1}", text)
        hint = view.t(screen.hint_key)
        text = engine.render(screen.id, ctx, language, page=page, hint=hint)
        yield Rendered(language, screen.id, f"{variant}, page {page + 1}, hint", text)


def _hints(
    engine: Engine, screen: Asking, ctx: Context, language: str, bad: dict[Parse, tuple[str, ...]]
) -> list[str]:
    view = engine.view(SessionState(language, (screen.id,)), ctx)
    tries = bad[screen.parse] if isinstance(screen, Prompt) else ("99",)
    hints = []
    for text in tries:
        move = screen.read(text, view)
        if isinstance(move, Invalid):
            hints.append(move.hint)
    return hints


def over_budget(
    engine: Engine,
    pack: RulePack,
    today: date,
    languages: tuple[str, ...],
    wait: int = DEFAULT_WAIT,
) -> list[Rendered]:
    """The fixed screens that do not fit the engine's budget (``wait``: see ``fixed_screens``)."""
    budget = engine.limits.budget
    screens = fixed_screens(engine, pack, today, languages, wait)
    return [r for r in screens if not budget.fits(r.text)]
