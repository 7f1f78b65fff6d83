"""The menu engine: (session state, newest input) → (screen text, continue or end, new state).

It walks the declarative menu (``menu.py``) and knows nothing of dialects, HTTP or stores.
A screen that needs the core (an answer) is returned as a ``Need``; whoever runs the engine
does the asking and hands the outcome to ``finish``. Navigation is the same everywhere:
``0`` back (or the previous page), ``00`` main menu, ``98`` more; an invalid answer asks the
same question again with a hint, and ``max_invalid`` of them in a row end the session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from eligibility_gw.channels.ussd.answers import Outcome, render_outcome
from eligibility_gw.channels.ussd.menu import MENU, Menu
from eligibility_gw.channels.ussd.screens import (
    BACK,
    HOME,
    MORE,
    Asking,
    Budget,
    Caller,
    Effect,
    Gate,
    Info,
    Invalid,
    Listing,
    Pick,
    Result,
    Rules,
    SetLanguage,
    View,
    allows,
    cleaned,
)
from eligibility_gw.channels.ussd.state import SessionState
from eligibility_gw.wording import Wording


@dataclass(frozen=True, slots=True)
class Context:
    """What the engine may know for one hop: the caller, the rules, the languages offered."""

    caller: Caller
    rules: Rules
    languages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """The channel's knobs the menus obey."""

    budget: Budget = field(default_factory=Budget)
    page_size: int = 7
    max_invalid: int = 3
    hotline: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A screen to show; ``end`` closes the session."""

    text: str
    end: bool
    state: SessionState
    screen: str


@dataclass(frozen=True, slots=True)
class Need:
    """The core must answer (``effect`` on ``values``) before the final screen is known."""

    effect: Effect
    values: Mapping[str, str]
    state: SessionState
    screen: str


Step = Reply | Need


class Engine:
    """Run sessions through one menu under one set of limits."""

    def __init__(self, menu: Menu = MENU, limits: Limits | None = None) -> None:
        self.menu = menu
        self.limits = limits or Limits()

    def view(self, state: SessionState, ctx: Context) -> View:
        """What the current screen may read."""
        return View(
            w=Wording(state.language),
            caller=ctx.caller,
            rules=ctx.rules,
            languages=ctx.languages,
            budget=self.limits.budget,
            page_size=self.limits.page_size,
            page=state.page,
            home=not state.stack or state.current == self.menu.home,
            hotline=self.limits.hotline,
        )

    def start(self, ctx: Context, language: str, caller: str = "") -> Step:
        """The first screen of a session."""
        return self._enter(SessionState(language, (), caller=caller), self.menu.home, ctx)

    def answer(self, state: SessionState, text: str, ctx: Context) -> Step:
        """Read the newest input on the current screen and move on."""
        if state.last_end:
            return Reply(state.last_text, True, state, state.current)
        token = cleaned(text)
        if token == HOME:
            return self._enter(state, self.menu.home, ctx)
        if token == BACK:
            return self._back(state, ctx)
        screen = self.menu[state.current]
        if not isinstance(screen, Asking):  # pragma: no cover - only asking screens are stacked
            return self._enter(state, self.menu.home, ctx)
        view = self.view(state, ctx)
        if token == MORE and isinstance(screen, Listing) and screen.has_more(view):
            return self._show(state.but(page=state.page + 1, invalid=0), ctx)
        move = screen.read(text, view)
        if isinstance(move, Invalid):
            return self._invalid(state, move.hint, ctx)
        if isinstance(move, SetLanguage):
            language = move.language if move.language in ctx.languages else state.language
            return self._enter(state.but(language=language), move.target, ctx)
        return self._enter(state.but(values={**state.values, **move.values}), move.target, ctx)

    def finish(self, need: Need, outcome: Outcome, ctx: Context) -> Reply:
        """The final screen once the core has answered."""
        w = Wording(need.state.language)
        text = render_outcome(outcome, w, ctx.rules.pack, self.limits.budget)
        return self._end(need.state, text, need.screen)

    def render(
        self,
        screen_id: str,
        ctx: Context,
        language: str,
        page: int = 0,
        hint: str | None = None,
    ) -> str:
        """One screen's text as it would be shown (for budget checks and the menu tree)."""
        screen = self.menu[screen_id]
        state = SessionState(language, (screen_id,), page=page)
        view = self.view(state, ctx)
        if isinstance(screen, Info):
            return screen.render(view)
        if not isinstance(screen, Asking):
            raise ValueError(f"screen {screen_id!r} has no text of its own")
        return screen.render(view, hint)

    def _enter(self, state: SessionState, target: str, ctx: Context) -> Step:
        screen = self.menu[target]
        if target == self.menu.home:
            state = state.but(stack=(), values={}, page=0)
        if isinstance(screen, Gate):
            passed = allows(screen.requires, ctx.caller)
            return self._enter(state, screen.then if passed else screen.otherwise, ctx)
        if isinstance(screen, Pick):
            entries = ctx.caller.entries(screen.source)
            if screen.skip_single and len(entries) == 1:
                values = {**state.values, screen.store: entries[0].ref}
                return self._enter(state.but(values=values), screen.target, ctx)
            if not entries:
                text = Wording(state.language).t("ussd.end.nobody")
                return self._end(state, text, target)
        if isinstance(screen, Result):
            return Need(screen.effect, dict(state.values), state, target)
        if isinstance(screen, Info):
            return self._end(state, screen.render(self.view(state, ctx)), target)
        stacked = state.but(stack=(*state.stack, target), page=0, invalid=0)
        return self._show(stacked, ctx)

    def _show(self, state: SessionState, ctx: Context, hint: str | None = None) -> Reply:
        screen = self.menu[state.current]
        assert isinstance(screen, Asking)
        text = screen.render(self.view(state, ctx), hint)
        return Reply(text, False, state.but(last_text=text, last_end=False), state.current)

    def _back(self, state: SessionState, ctx: Context) -> Reply:
        screen = self.menu[state.current]
        if isinstance(screen, Listing) and state.page > 0:
            return self._show(state.but(page=state.page - 1, invalid=0), ctx)
        if len(state.stack) > 1:
            return self._show(state.but(stack=state.stack[:-1], page=0, invalid=0), ctx)
        return self._show(state.but(invalid=0), ctx)

    def _invalid(self, state: SessionState, hint: str, ctx: Context) -> Reply:
        count = state.invalid + 1
        if count >= self.limits.max_invalid:
            text = Wording(state.language).t("ussd.end.too_many_invalid")
            return self._end(state.but(invalid=count), text, state.current)
        return self._show(state.but(invalid=count), ctx, hint)

    def _end(self, state: SessionState, text: str, screen: str) -> Reply:
        final = state.but(values={}, last_text=text, last_end=True)
        return Reply(text, True, final, screen)
