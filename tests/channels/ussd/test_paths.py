"""Every path through the menus, hop after hop, in both dialects, as the gateways call us.

Each case is data: the phone that dials, the gateway's knobs, and each hop with what the
screen must and must not say, and which dates it may show. ``{name}`` in an input or
expectation is filled from the registry (national ids, dates) once the gateway is up. Most
paths run on the in-memory store; a few go end to end on SQLite.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from eligibility_gw.domain.dates import add_months
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.textbudget import fits_ussd
from eligibility_gw.wording import Wording
from tests.channels.ussd.conftest import MakeUssd
from tests.channels.ussd.support import (
    AHMADI,
    KARIMI,
    PROVIDER,
    PROVIDER_OFF,
    REZAEI,
    SHARED,
    STRANGER,
    Screen,
    Session,
    UssdGateway,
)

DIAL = "<dial>"
REPEAT = "<repeat>"
HANGUP = "<hangup>"
WAIT = "<wait>"
BOTH = ("africastalking", "hubtel")
#: "Well inside" the operators' 15 s for one hop.
HOP_LIMIT_SECONDS = 2.0


#: A date as screens write them: ISO 8601, or Solar Hijri in Persian digits.
DATE = re.compile(r"\d{4}-\d{2}-\d{2}|[۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2}")


@dataclass(frozen=True, slots=True)
class Hop:
    """What the caller does, and what the screen must show.

    ``dates``, when given, are every date the screen may show (none: no date at all).
    """

    send: str
    end: bool = False
    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    same: bool = False
    dates: tuple[str, ...] | None = None


def hop(send: str, *has: str, end: bool = False, lacks: tuple[str, ...] = ()) -> Hop:
    """A hop whose screen continues (``end`` for the last one)."""
    return Hop(send, end, has, lacks)


def last(
    send: str, *has: str, lacks: tuple[str, ...] = (), dates: tuple[str, ...] | None = None
) -> Hop:
    """A hop whose screen ends the session."""
    return Hop(send, True, has, lacks, dates=dates)


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
    store: str = "memory"


REZAEI_HOME = ("1. My cover", "2. A family member", "3. Verify a tracking code", "4. Language")
PROVIDER_HOME = ("1. Check by national id", "2. Verify a tracking code", "3. Language")
NOT_FOR_PROVIDERS = ("My cover", "family member", "Register")

PATHS = (
    Path(
        "my cover: covered principal",
        REZAEI,
        (
            hop(DIAL, "Treatment eligibility", *REZAEI_HOME, lacks=("national id", "Register")),
            last("1", "Ali: Eligible until {rezaei_end}", "Code ", dates=("{rezaei_end}",)),
        ),
        answers=1,
        store="sqlite",
    ),
    Path(
        "my cover: cover ended, and when",
        AHMADI,
        (
            hop(DIAL),
            last(
                "1",
                "Saman: Not eligible (ended {ahmadi_ended})",
                "no cover on this date",
                "Code ",
                dates=("{ahmadi_ended}",),
            ),
        ),
        answers=1,
    ),
    Path(
        "my cover: when it ended, in Persian",
        AHMADI,
        (hop(DIAL), last("۱", "Saman: فاقد اعتبار (پایان {ahmadi_ended_fa})", "کد ")),
        answers=1,
        languages=("fa", "en"),
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
            hop("1", "Whose cover?", "1. Nima (insured)", "2. Neda (insured)"),
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
        "family member: a lapsed certificate, with its dates",
        KARIMI,
        (
            hop(DIAL),
            hop("2", "1. Mehdi (child)"),
            last(
                "1",
                "Mehdi: Not eligible (ended {mehdi_ended})",
                "student cert. expired {mehdi_expired}",
                dates=("{mehdi_ended}", "{mehdi_expired}"),
            ),
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
                dates=("{today}",),
            ),
        ),
        answers=1,
        store="sqlite",
    ),
    Path(
        "provider: a lapsed certificate, and no date of the member's",
        PROVIDER,
        (
            hop(DIAL),
            hop("1"),
            hop("{mehdi}"),
            last(
                "1",
                "M*** K*** (child)",
                "Not eligible on {today}",
                "student cert. expired",
                lacks=("Mehdi", "until", "ended", "{mehdi_expired}"),
                dates=("{today}",),
            ),
        ),
        answers=1,
    ),
    Path(
        "provider: a lapsed certificate, in Persian",
        PROVIDER,
        (
            hop(DIAL),
            hop("۱"),
            hop("{mehdi}"),
            last("۱", "فاقد اعتبار در {today_fa}", "گواهی تحصیل منقضی", dates=("{today_fa}",)),
        ),
        answers=1,
        languages=("fa", "en"),
    ),
    Path(
        "provider: a lapsed cover, and no date of the member's",
        PROVIDER,
        (
            hop(DIAL),
            hop("1"),
            hop("{ahmadi}"),
            last("1", "Not eligible on {today}", "no cover on this date", dates=("{today}",)),
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


def facts(gateway: UssdGateway) -> dict[str, str]:
    """What the cases refer to by name."""
    inquiries = gateway.inquiries
    today = inquiries.today()
    earliest, latest = inquiries.window()
    pack = gateway.pack
    hamid = gateway.nid("rezaei-son-no-cert")
    rows = {key: p.row for key, p in gateway.test.people.items()}
    # The principals' cover runs to the last day of their one period; Mehdi's certificate
    # lapsed after its last valid day, his last covered day.
    ahmadi_ended = rows["ahmadi"].cover_end
    mehdi_expired = rows["karimi-son-lapsed"].student_until
    rezaei_end = rows["rezaei"].cover_end
    assert ahmadi_ended and mehdi_expired and rezaei_end
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
        "ali": gateway.nid("rezaei"),
        "mehdi": gateway.nid("karimi-son-lapsed"),
        "ahmadi": gateway.nid("ahmadi"),
        "ahmadi_ended": ahmadi_ended.isoformat(),
        "ahmadi_ended_fa": fa.date(ahmadi_ended),
        "mehdi_expired": mehdi_expired.isoformat(),
        "mehdi_ended": mehdi_expired.isoformat(),
        "rezaei_end": rezaei_end.isoformat(),
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
async def test_path(path: Path, dialect_name: str, make_ussd: MakeUssd) -> None:
    gateway = await make_ussd(store=path.store, languages=path.languages, **path.knobs)
    known = facts(gateway)
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
        if step.dates is not None:
            shown = set(DATE.findall(screen.text))
            assert shown == {d.format_map(known) for d in step.dates}, f"{where}: {screen.text!r}"
        if step.same:
            assert previous is not None
            assert screen.text == previous.text, where
        previous = screen
    assert await gateway.answers() - before == path.answers
