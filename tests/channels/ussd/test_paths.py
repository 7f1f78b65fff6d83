"""Every path through the menus, hop after hop, in both dialects, as the gateways call us.

Each case is data: the phone that dials, the gateway's knobs, and each hop with what the
screen must and must not say. ``{name}`` in an input or expectation is filled from the
registry (national ids, dates) once the gateway is up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from eligibility_gw.demo import Persona
from eligibility_gw.domain.dates import add_months
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.textbudget import fits_ussd
from eligibility_gw.wording import Wording
from tests.channels.ussd.conftest import MakeGateway
from tests.channels.ussd.support import (
    AHMADI,
    KARIMI,
    PROVIDER,
    PROVIDER_OFF,
    REZAEI,
    SHARED,
    STRANGER,
    Gateway,
    Screen,
    Session,
    persona,
)

DIAL = "<dial>"
REPEAT = "<repeat>"
HANGUP = "<hangup>"
WAIT = "<wait>"
BOTH = ("africastalking", "hubtel")
#: "Well inside" the operators' 15 s for one hop.
HOP_LIMIT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Hop:
    """What the caller does, and what the screen must show."""

    send: str
    end: bool = False
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    same: bool = False


def hop(send: str, *has: str, end: bool = False, lacks: tuple[str, ...] = ()) -> Hop:
    """A hop whose screen continues (``end`` for the last one)."""
    return Hop(send, end, has, lacks)


def last(send: str, *has: str, lacks: tuple[str, ...] = ()) -> Hop:
    """A hop whose screen ends the session."""
    return Hop(send, True, has, lacks)


def again(end: bool = False) -> Hop:
    """The same callback again: the very same screen."""
    return Hop(REPEAT, end, same=True)


@dataclass(frozen=True, slots=True)
class Path:
    """One walk through the menus."""

    name: str
    phone: str
    hops: tuple[Hop, ...]
    answers: int
    languages: tuple[str, ...] = ("en", "fa")
    knobs: Mapping[str, object] = field(default_factory=dict)
    dialects: tuple[str, ...] = BOTH


REZAEI_HOME = ("1. My cover", "2. A family member", "3. Verify a tracking code", "4. Language")
PROVIDER_HOME = ("1. Check by national id", "2. Verify a tracking code", "3. Language")
NOT_FOR_PROVIDERS = ("My cover", "family member", "Register")

PATHS = (
    Path(
        "my cover: covered principal",
        REZAEI,
        (
            hop(DIAL, "Treatment eligibility", *REZAEI_HOME, lacks=("national id", "Register")),
            last("1", "Ali: Eligible until", "Code "),
        ),
        answers=1,
    ),
    Path(
        "my cover: cover ended",
        AHMADI,
        (hop(DIAL), last("1", "Saman: Not eligible", "no cover on this date", "Code ")),
        answers=1,
    ),
    Path(
        "my cover: cover ends today",
        KARIMI,
        (hop(DIAL), last("1", "Hossein: Eligible until {today}")),
        answers=1,
    ),
    Path(
        "my cover: a phone on file for two people",
        SHARED,
        (
            hop(DIAL, "1. My cover", lacks=("family member",)),
            hop("1", "Whose cover?", "1. Nima (insured person)", "2. Neda (insured person)"),
            last("2", "Neda: Eligible until", lacks=("Nima",)),
        ),
        answers=1,
    ),
    Path(
        "family member: a missing document",
        REZAEI,
        (
            hop(DIAL),
            hop("2", "Which family member?", "4. Hamid (child)", "0 Back  00 Main menu"),
            last("4", "Hamid: Not eligible", "student certificate needed", "bring it to a branch"),
        ),
        answers=1,
    ),
    Path(
        "family member: cannot determine",
        KARIMI,
        (
            hop(DIAL),
            hop("2", "7. Zahra (spouse)"),
            last("7", "Zahra: Cannot determine", "income status not on file"),
        ),
        answers=1,
    ),
    Path(
        "family member: pages, back and main menu",
        KARIMI,
        (
            hop(DIAL),
            hop("2", "1. Mehdi (child)", "4. Saeed (child)", "98 More", lacks=("5. Mohammad",)),
            hop("98", "5. Mohammad (parent)", "7. Zahra (spouse)", lacks=("1. Mehdi", "98 More")),
            hop("98", "Invalid choice", "7. Zahra (spouse)"),
            hop("1", "Invalid choice", "7. Zahra (spouse)"),
            hop("0", "1. Mehdi (child)", lacks=("Invalid choice",)),
            hop("0", *REZAEI_HOME),
            hop("2", "1. Mehdi (child)"),
            hop("98", "5. Mohammad (parent)"),
            hop("00", *REZAEI_HOME),
            hop("2", "1. Mehdi (child)"),
            hop("98"),
            last("5", "Mohammad: Not eligible", "has own income"),
        ),
        answers=1,
        knobs={"page_size": 4},
    ),
    Path(
        "invalid answers: three in a row end the session",
        REZAEI,
        (
            hop(DIAL),
            hop("9", "Invalid choice. Choose a number:", *REZAEI_HOME, lacks=("Treatment",)),
            hop("abc", "Invalid choice"),
            last("", "Too many invalid answers. Please dial again."),
        ),
        answers=0,
    ),
    Path(
        "invalid answers: only those in a row count",
        REZAEI,
        (
            hop(DIAL),
            hop("9", "Invalid choice"),
            hop("2", "Which family member?"),
            hop("9", "Invalid choice"),
            hop("77", "Invalid choice", "1. Maryam (spouse)"),
            last("x", "Too many invalid answers"),
        ),
        answers=0,
    ),
    Path(
        "back and main menu",
        REZAEI,
        (
            hop(DIAL),
            hop("4", "Language", "1. English", "2. فارسی"),
            hop("0", *REZAEI_HOME),
            hop("0", *REZAEI_HOME),
            hop("2", "Which family member?"),
            hop("00", *REZAEI_HOME),
            hop("3", "Tracking code (12 digits):"),
            hop("0", *REZAEI_HOME),
            hop("98", "Invalid choice"),
        ),
        answers=0,
    ),
    Path(
        "Persian screens, Persian digits and pages",
        REZAEI,
        (
            hop(DIAL, "استعلام درمان", "۱ اعتبار من", "۲ خانواده", "۴ زبان Language"),
            hop("۲", "کدام عضو خانواده؟", "۱ Maryam (همسر)", "۹۸ بیشتر", "۰ قبل ۰۰ خانه"),
            hop("۹۸", "Hamid", lacks=("۱ Maryam",)),
            hop("۰", "۱ Maryam (همسر)"),
            hop("۷", "انتخاب نامعتبر", "۱ Maryam (همسر)"),
            last("۱", "Maryam: دارای اعتبار درمان تا", "کد "),
        ),
        answers=1,
        languages=("fa", "en"),
    ),
    Path(
        "language: switch to Persian",
        REZAEI,
        (
            hop(DIAL, *REZAEI_HOME),
            hop("4", "1. English", "2. فارسی"),
            hop("2", "استعلام درمان", "۱ اعتبار من"),
            last("1", "Ali: دارای اعتبار درمان تا ", "کد "),
        ),
        answers=1,
    ),
    Path(
        "provider: check by national id, today",
        PROVIDER,
        (
            hop(DIAL, *PROVIDER_HOME, lacks=NOT_FOR_PROVIDERS),
            hop("1", "National id of the insured person (10 digits):", "0 Back  00 Main menu"),
            hop("{hamid}", "Service date? 1 Today", "{today}"),
            last(
                "1",
                "H*** R*** (child)",
                "Not eligible on {today}",
                "student certificate needed",
                "Code ",
                lacks=("Hamid", "until"),
            ),
        ),
        answers=1,
    ),
    Path(
        "provider: Persian digits and a Solar Hijri date",
        PROVIDER,
        (
            hop(DIAL, "۱ استعلام کد ملی"),
            hop("۱", "کد ملی ۱۰ رقمی بیمه‌شده:"),
            hop("{hamid_fa}", "تاریخ خدمت؟"),
            last("{today_fa}", "در {today_fa}", "گواهی تحصیل لازم است", "کد "),
        ),
        answers=1,
        languages=("fa", "en"),
    ),
    Path(
        "provider: typing errors are asked again",
        PROVIDER,
        (
            hop(DIAL),
            hop("1"),
            hop("123", "A national id has 10 digits.", "National id of the insured person"),
            hop("{hamid_typo}", "fails its check digit", "National id"),
            hop("{hamid}", "Service date?"),
            hop("{too_old}", "Dates from {earliest} to {latest} only.", "Service date?"),
            hop("2026-13-45", "Cannot read the date", "Service date?"),
            last("{yesterday}", "Not eligible on {yesterday}", "Code "),
        ),
        answers=1,
    ),
    Path(
        "provider: nobody has this national id",
        PROVIDER,
        (
            hop(DIAL),
            hop("1"),
            hop("{nobody}"),
            last("1", "Not eligible on {today}", "not in the registry", lacks=("***",)),
        ),
        answers=1,
    ),
    Path(
        "provider: back from the date question",
        PROVIDER,
        (
            hop(DIAL),
            hop("1"),
            hop("{hamid}", "Service date?"),
            hop("0", "National id of the insured person"),
            hop("{ali}", "Service date?"),
            hop("00", *PROVIDER_HOME),
        ),
        answers=0,
    ),
    Path(
        "provider: deactivated",
        PROVIDER_OFF,
        (
            hop(DIAL, "1. Check by national id", lacks=("My cover",)),
            last("1", "This provider is deactivated", "activated again"),
        ),
        answers=0,
    ),
    Path(
        "unknown phone: nothing but what needs no registration",
        STRANGER,
        (
            hop(
                DIAL,
                "1. Verify a tracking code",
                "2. Language",
                "3. Register this phone",
                lacks=("My cover", "family", "national id"),
            ),
            hop("1", "Tracking code (12 digits):"),
            hop("123", "Not a valid tracking code"),
            last("{unknown_code}", "This code cannot be shown to this phone."),
        ),
        answers=0,
    ),
    Path(
        "unknown phone: how to register",
        STRANGER,
        (hop(DIAL), last("3", "This phone is not registered", "1420")),
        answers=0,
    ),
    Path(
        "repeated callbacks get the same screen, and one answer",
        REZAEI,
        (
            hop(DIAL),
            again(),
            hop("2", "Which family member?"),
            again(),
            last("4", "Hamid: Not eligible"),
            again(end=True),
            again(end=True),
        ),
        answers=1,
    ),
    Path(
        "timeout: input for a session there is no state of",
        REZAEI,
        (last("1", "This session has expired. Please dial again."),),
        answers=0,
    ),
    Path(
        "timeout: told in the caller's language",
        REZAEI,
        (last("۱", "زمان نشست تمام شد"),),
        answers=0,
        languages=("fa", "en"),
    ),
    Path(
        "timeout: the session expires between two hops",
        REZAEI,
        (hop(DIAL), hop(WAIT), last("1", "This session has expired")),
        answers=0,
        knobs={"session_ttl": 1},
    ),
    Path(
        "timeout: the network ends the session",
        REZAEI,
        (hop(DIAL), last(HANGUP, "Goodbye."), last("1", "This session has expired")),
        answers=0,
        dialects=("hubtel",),
    ),
    Path(
        "rate limit: too many hops from one phone",
        REZAEI,
        (hop(DIAL), hop("4"), hop("0"), last("4", "Too many requests from this phone")),
        answers=0,
        knobs={"hops_per_minute": 3},
    ),
)


def facts(people: list[Persona], gateway: Gateway) -> dict[str, str]:
    """What the cases refer to by name."""
    core = gateway.core
    today = core.service.today()
    earliest, latest = core.service.window()
    pack = core.pack
    hamid = persona(people, "rezaei-son-no-cert").row.national_id
    fa = Wording("fa")
    return {
        "today": today.isoformat(),
        "today_fa": fa.date(today),
        "yesterday": (today - timedelta(days=1)).isoformat(),
        "too_old": add_months(today, -pack.months_back - 1).isoformat(),
        "earliest": earliest.isoformat(),
        "latest": latest.isoformat(),
        "hamid": hamid,
        "hamid_fa": fa.digits(f"{hamid[:3]} {hamid[3:]}"),
        "hamid_typo": hamid[:-1] + str((int(hamid[-1]) + 1) % 10),
        "ali": persona(people, "rezaei").row.national_id,
        "nobody": pack.national_id.complete("987654321"),
        "unknown_code": TrackingCode.new().grouped(),
    }


async def take(session: Session, step: Hop, known: Mapping[str, str]) -> Screen | None:
    """Do one hop; None for a pause."""
    if step.send == DIAL:
        return await session.dial()
    if step.send == REPEAT:
        return await session.repeat()
    if step.send == WAIT:
        await asyncio.sleep(1.2)
        return None
    if step.send == HANGUP:
        screen = await session.hangup()
        assert screen is not None
        return screen
    return await session.send(step.send.format_map(known))


CASES = [pytest.param(p, d, id=f"{d}: {p.name}") for p in PATHS for d in p.dialects]


@pytest.mark.parametrize(("path", "dialect_name"), CASES)
async def test_path(
    path: Path, dialect_name: str, make_gateway: MakeGateway, people: list[Persona]
) -> None:
    gateway = await make_gateway(path.languages, **path.knobs)
    known = facts(people, gateway)
    session = gateway.session(dialect_name, path.phone)
    before = await gateway.answers()
    previous: Screen | None = None
    for number, step in enumerate(path.hops, start=1):
        where = f"hop {number} ({step.send!r})"
        screen = await take(session, step, known)
        if screen is None:
            continue
        assert screen.status == 200, where
        assert screen.end is step.end, f"{where}: {screen.text!r}"
        assert screen.text, where
        assert fits_ussd(screen.text), f"{where}: over budget: {screen.text!r}"
        assert screen.seconds < HOP_LIMIT_SECONDS, where
        for text in step.has:
            assert text.format_map(known) in screen.text, f"{where}: {screen.text!r}"
        for text in step.lacks:
            assert text.format_map(known) not in screen.text, f"{where}: {screen.text!r}"
        if step.same:
            assert previous is not None
            assert screen.text == previous.text, where
        previous = screen
    assert await gateway.answers() - before == path.answers
