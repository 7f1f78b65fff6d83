"""The USSD menus, as data: every screen, its kind, its texts (message ids) and where it leads.

Read it top to bottom as the tree a caller walks (``eligibility-gw ussd-menu`` prints it).
Numbers are given by position among the options a caller sees; ``0`` back, ``00`` main menu
and ``98`` more work on every screen that asks something.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eligibility_gw.channels.ussd.screens import (
    Choice,
    Effect,
    Gate,
    Guard,
    Info,
    LanguageChoice,
    Option,
    Parse,
    Pick,
    Prompt,
    Result,
    Screen,
    Source,
)


@dataclass(frozen=True, slots=True)
class Menu:
    """Screens by id, and the one every session starts on."""

    home: str
    screens: Mapping[str, Screen]

    @classmethod
    def of(cls, home: str, *screens: Screen) -> Menu:
        """Build a menu, refusing ids used twice and transitions to nowhere."""
        by_id: dict[str, Screen] = {}
        for s in screens:
            if s.id in by_id:
                raise ValueError(f"USSD menu: screen {s.id!r} defined twice")
            by_id[s.id] = s
        menu = cls(home, by_id)
        for s in screens:
            for target in menu.targets(s):
                if target not in by_id:
                    raise ValueError(f"USSD menu: {s.id!r} leads to unknown screen {target!r}")
        if home not in by_id:
            raise ValueError(f"USSD menu: no home screen {home!r}")
        return menu

    def __getitem__(self, screen_id: str) -> Screen:
        return self.screens[screen_id]

    def __contains__(self, screen_id: object) -> bool:
        return screen_id in self.screens

    @staticmethod
    def targets(screen: Screen) -> tuple[str, ...]:
        """Where a screen may lead."""
        if isinstance(screen, Choice):
            return tuple(o.target for o in screen.options)
        if isinstance(screen, Pick | Prompt | LanguageChoice):
            return (screen.target,)
        if isinstance(screen, Gate):
            return (screen.then, screen.otherwise)
        return ()


MENU = Menu.of(
    "home",
    Choice(
        "home",
        title="ussd.home.title",
        options=(
            Option("ussd.option.my_cover", "my_cover", when=Guard.INSURED),
            Option("ussd.option.family", "family", when=Guard.FAMILY),
            Option("ussd.option.check_id", "check_id", when=Guard.PROVIDER),
            Option("ussd.option.verify", "verify_code"),
            Option("ussd.option.language", "language"),
            Option("ussd.option.register", "register", when=Guard.UNKNOWN),
        ),
    ),
    # 1. My cover: straight to the answer when the phone is on file for one person only.
    Pick(
        "my_cover",
        title="ussd.pick.self",
        source=Source.SELVES,
        store="member",
        target="my_answer",
        skip_single=True,
    ),
    Result("my_answer", effect=Effect.ANSWER_MEMBER),
    # 2. A family member.
    Pick(
        "family",
        title="ussd.pick.family",
        source=Source.FAMILY,
        store="member",
        target="family_answer",
    ),
    Result("family_answer", effect=Effect.ANSWER_MEMBER),
    # 3. Check by national id: registered provider phones only; a deactivated one is told so.
    Gate("check_id", requires=Guard.ACTIVE_PROVIDER, then="national_id", otherwise="deactivated"),
    Prompt(
        "national_id",
        question="ussd.ask.national_id",
        parse=Parse.NATIONAL_ID,
        store="national_id",
        target="service_date",
    ),
    Prompt(
        "service_date",
        question="ussd.ask.service_date",
        parse=Parse.SERVICE_DATE,
        store="service_date",
        target="provider_answer",
    ),
    Result("provider_answer", effect=Effect.ANSWER_PROVIDER),
    Info("deactivated", text="ussd.info.deactivated"),
    # 4. Verify a tracking code.
    Prompt(
        "verify_code",
        question="ussd.ask.tracking_code",
        parse=Parse.TRACKING_CODE,
        store="code",
        target="verify_answer",
    ),
    Result("verify_answer", effect=Effect.VERIFY_CODE),
    # 5. Language.
    LanguageChoice("language", title="ussd.language.title", target="home"),
    # Unknown phones: how to register.
    Info("register", text="ussd.info.register"),
)
