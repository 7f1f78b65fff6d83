"""Callers the registry does not know learn nothing about anyone.

A phone on file for nobody walks every USSD screen it can reach, sends every SMS command and
every Telegram command and button; none of the replies holds a registry name, national id,
phone, date or status. A deactivated provider's phone, and an unknown or deactivated API key,
get the same answer whichever person they ask about; so does an insured phone asking about
anyone outside its family, whether that person exists or not.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pytest

from eligibility_gw.channels.telegram.keyboards import MENU as TELEGRAM_MENU
from eligibility_gw.channels.telegram.keyboards import Action, member_token, menu_label
from eligibility_gw.channels.ussd.checks import sample_context
from eligibility_gw.channels.ussd.hops import UssdChannel
from eligibility_gw.channels.ussd.menu import MENU, Menu
from eligibility_gw.channels.ussd.screens import (
    Asking,
    Caller,
    Choice,
    Gate,
    Info,
    Pick,
    Result,
    allows,
)
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.demo import Persona
from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.model import Status
from eligibility_gw.wording import Wording, available_languages, catalogs
from tests.channels.sms.support import twilio_form
from tests.hostile.conftest import MakeHostile
from tests.hostile.support import (
    AT_PATH,
    CLOSED_KEY,
    CLOSED_PHONE,
    PROVIDER_KEY,
    REZAEI_PHONE,
    STRANGER_PHONE,
    TELEGRAM_TOKEN,
    UNKNOWN_KEY,
    Answer,
    Hostile,
    assert_twiml,
    codes_in,
    form_body,
)
from tests.privacy_scan import LogLine, readable, scan

#: Persian the default, then every other shipped language.
LANGUAGES = ("fa", *(lang for lang in available_languages() if lang != "fa"))
#: The key the bot makes member buttons with (the channel derives it from its token).
MEMBER_KEY = hashlib.sha256(b"eligibility-gw telegram members\0" + TELEGRAM_TOKEN.encode()).digest()
#: Deep enough for every screen an unknown phone can reach (the deepest is two answers in).
MAX_DEPTH = 4
_DIGIT_RUN = re.compile(r"[0-9]+")


@pytest.fixture
async def gateway(make_hostile: MakeHostile) -> Hostile:
    """A gateway offering every shipped language: none may say more to a stranger."""
    return await make_hostile(languages=LANGUAGES)


def _date_digits(day: date) -> set[str]:
    """A date as the digits a reply writes it with, in every language: ISO 8601, the
    locales' own (23.11.2026, 23/11/2026) and Solar Hijri."""
    written = (day.isoformat(), *(Wording(lang).date(day) for lang in LANGUAGES))
    return {"".join(_DIGIT_RUN.findall(ascii_digits(text))) for text in written}


def _fixed_numbers() -> set[str]:
    """Numbers the catalogs write for everyone (an example date is nobody's date)."""
    return {
        run
        for texts in catalogs().values()
        for text in texts.values()
        for run in _DIGIT_RUN.findall(readable(text))
    }


@dataclass(frozen=True)
class Secrets:
    """What the registry knows of people, and how a reply would show it."""

    ids: frozenset[str]
    phones: frozenset[str]
    names: re.Pattern[str]
    dates: frozenset[str]
    statuses: tuple[str, ...]

    @classmethod
    def of(cls, people: Sequence[Persona]) -> Secrets:
        rows = [p.row for p in people]
        days = [
            d
            for r in rows
            for d in (r.birth_date, r.cover_start, r.cover_end, r.student_until)
            if d is not None
        ]
        names = sorted({n for r in rows for n in (r.given_name, r.family_name)}, key=len)
        statuses = tuple(
            Wording(lang).t(f"{prefix}status.{s.value}")
            for lang in LANGUAGES
            for prefix in ("", "short.")
            for s in Status
        )
        return cls(
            frozenset(r.national_id for r in rows),
            frozenset(r.phone for r in rows if r.phone),
            re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names[::-1]) + r")\b"),
            frozenset(set().union(*(_date_digits(d) for d in days)) - _fixed_numbers()),
            statuses,
        )

    def assert_hidden(self, text: str, where: str) -> None:
        """Nothing of any person in ``text``."""
        line = LogLine("reply", where, text)
        assert not scan([line], self.ids, self.phones), f"{where}: an id or phone in {text!r}"
        assert not self.names.search(text), f"{where}: a name in {text!r}"
        runs = set(_DIGIT_RUN.findall(readable(ascii_digits(text))))
        assert not runs & self.dates, f"{where}: a date of a person in {text!r}"
        for status in self.statuses:
            assert not re.search(rf"(?<!\w){re.escape(status)}(?!\w)", text), (where, text)


def test_the_check_finds_what_it_looks_for(gateway: Hostile) -> None:
    secrets = Secrets.of(gateway.people)
    row = next(p.row for p in gateway.people if p.row.phone)
    assert row.birth_date is not None
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    telling = [
        f"Hello {row.given_name}",
        f"کد {row.national_id.translate(persian)}",
        f"call {row.phone}",
        f"born {row.birth_date.isoformat()}",
        f"تولد {Wording('fa').date(row.birth_date)}",
        Wording("en").t("status.eligible"),
        f"وضعیت: {Wording('fa').t('short.status.not_eligible')}",
    ]
    for text in telling:
        with pytest.raises(AssertionError):
            secrets.assert_hidden(text, "check")
    secrets.assert_hidden(Wording("fa").t("ussd.home.title"), "check")


def nobody_id(gateway: Hostile) -> str:
    """A well-formed national id on file for nobody."""
    return gateway.pack.national_id.complete("987654321")


def asked_ids(gateway: Hostile) -> list[str]:
    """Well-formed national ids: every persona (each status and reason), and one of nobody."""
    return [*(p.row.national_id for p in gateway.people), nobody_id(gateway)]


async def issued_code(gateway: Hostile) -> str:
    """A tracking code the active provider was given (no unknown caller may read it)."""
    body = json.dumps({"national_id": gateway.people[0].row.national_id}).encode()
    headers = {"Authorization": f"Bearer {PROVIDER_KEY}"}
    made = await gateway.send("POST", "/api/v1/inquiries", body, "application/json", headers)
    return str(made.json()["tracking_code"]).replace("-", "")


def assert_one_answer(replies: dict[str, str], what: str) -> None:
    """The same reply whichever person was asked about."""
    assert len(set(replies.values())) == 1, f"{what}: the reply depends on the person asked about"


# --- USSD: every screen an unknown phone can reach --------------------------------------------


def reachable(menu: Menu, caller: Caller) -> set[str]:
    """The screens of ``menu`` a ``caller`` can reach, following its options, gates and lists."""
    found: set[str] = set()
    todo = [menu.home]
    while todo:
        screen_id = todo.pop()
        if screen_id in found:
            continue
        found.add(screen_id)
        screen = menu[screen_id]
        if isinstance(screen, Choice):
            todo.extend(o.target for o in screen.shown(caller))
        elif isinstance(screen, Gate):
            todo.append(screen.then if allows(screen.requires, caller) else screen.otherwise)
        elif isinstance(screen, Pick):
            todo.extend([screen.target] if caller.entries(screen.source) else [])
        else:
            todo.extend(menu.targets(screen))
    return found


def expected_texts(gateway: Hostile, screen_id: str) -> set[str]:
    """What the screen shows an unknown caller, in each language."""
    engine = UssdChannel(UssdSettings()).engine
    screen = MENU[screen_id]
    texts = set()
    for language in LANGUAGES:
        ctx = sample_context(gateway.pack, gateway.settings.today(), LANGUAGES, Caller())
        if isinstance(screen, Asking | Info):
            texts.add(engine.render(screen_id, ctx, language))
        elif isinstance(screen, Result):  # the one answer screen: a code it did not receive
            texts.add(Wording(language).t("ussd.verify.not_shown"))
    return texts


def options_on(text: str) -> list[str]:
    """The option numbers a screen lists (ASCII or Persian digits at the start of a line)."""
    return [m.group(1) for m in re.finditer(r"^([0-9]+)[ .]", ascii_digits(text), re.MULTILINE)]


async def session(gateway: Hostile, phone: str, inputs: Sequence[str], number: int) -> list[str]:
    """Dial, then answer ``inputs``; each screen's text (CON/END kept)."""
    screens = []
    for depth in range(len(inputs) + 1):
        pairs = [("sessionId", f"walk-{number}"), ("phoneNumber", phone)]
        pairs.append(("text", "*".join(inputs[:depth])))
        answer = await gateway.send(
            "POST", AT_PATH, form_body(pairs), "application/x-www-form-urlencoded"
        )
        assert answer.status == 200, answer
        screens.append(answer.text)
        if answer.text.startswith("END "):
            break
    return screens


async def test_ussd_tells_an_unknown_phone_nothing_on_any_screen(gateway: Hostile) -> None:
    secrets = Secrets.of(gateway.people)
    tries = ["0", "00", "98", "99", *asked_ids(gateway)[:2], await issued_code(gateway), "abc"]
    seen: set[str] = set()
    expanded: set[str] = set()
    paths: list[tuple[str, ...]] = [()]
    number = 0
    while paths:
        path = paths.pop(0)
        number += 1
        screens = await session(gateway, STRANGER_PHONE, path, number)
        for text in screens:
            secrets.assert_hidden(text, f"USSD after {path}")
            seen.add(text[4:])
        last = screens[-1]
        if len(screens) <= len(path) or last.startswith("END ") or len(path) >= MAX_DEPTH:
            continue
        if last in expanded:
            continue
        expanded.add(last)
        paths.extend((*path, typed) for typed in [*options_on(last[4:]), *tries])
    for screen_id in reachable(MENU, Caller()):
        if isinstance(MENU[screen_id], Gate):
            continue
        assert expected_texts(gateway, screen_id) & seen, f"screen {screen_id!r} was not reached"


# --- SMS: every command -----------------------------------------------------------------------


def sms_commands(ids: Iterable[str], code: str) -> dict[str, list[str]]:
    """Each command in each script, by what it asks for; asking about several people or codes."""
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    ids = list(ids)
    return {
        "id": ids,
        "id, Persian digits": [i.translate(persian) for i in ids],
        "id and date": [f"{i} 2026-01-15" for i in ids],
        "ID keyword": [f"ID {i}" for i in ids],
        "Persian keyword": [f"کد ملی {i.translate(persian)}" for i in ids],
        "code": [f"CODE {code}", "CODE 4821-0937-5526"],
        "Persian code": [f"کد رهگیری {code.translate(persian)}", "رهگیری ۴۸۲۱۰۹۳۷۵۵۲۶"],
        "family": ["FAMILY", "FAM"],
        "Persian family": ["خانواده", "خانوار"],
        "no": ["NO"],
        "Persian no": ["خیر"],
        "help": ["HELP"],
        "Persian help": ["راهنما"],
        "not understood": ["what is this?", "؟؟؟"],
    }


@pytest.mark.parametrize("phone", [STRANGER_PHONE, CLOSED_PHONE], ids=["unknown", "deactivated"])
async def test_sms_tells_an_unknown_phone_nothing_whatever_it_sends(
    gateway: Hostile, phone: str
) -> None:
    secrets = Secrets.of(gateway.people)
    code = await issued_code(gateway)
    before = (await gateway.store.answers.verify()).rows
    for what, bodies in sms_commands(asked_ids(gateway), code).items():
        replies = {}
        for body in bodies:
            answer = await gateway.sms(form_body(list(twilio_form(phone, body).items())))
            text = assert_twiml(answer)
            assert text, (what, body, answer)
            secrets.assert_hidden(text, f"SMS {what}")
            replies[body] = text
        assert_one_answer(replies, f"SMS {what}")
    assert (await gateway.store.answers.verify()).rows == before  # nobody was answered


# --- Telegram: every command and button -------------------------------------------------------


def telegram_words() -> list[str]:
    """Every command, and every menu button's label in every language."""
    commands = [f"/{action.value}" for action in Action]
    labels = [menu_label(Wording(lang), action) for lang in LANGUAGES for action in TELEGRAM_MENU]
    return [*commands, "/nope", *labels]


async def test_telegram_tells_a_chat_without_a_known_phone_nothing(gateway: Hostile) -> None:
    secrets = Secrets.of(gateway.people)
    code = await issued_code(gateway)
    user = 616_161_001
    for language in LANGUAGES:
        said: list[tuple[str, Answer]] = []
        for word in telegram_words():
            said.append((word, await gateway.chat(user, language, word)))
        replies = {}
        for national_id in asked_ids(gateway):
            answer = await gateway.chat(user, language, national_id)
            said.append((national_id, answer))
            replies[national_id] = answer.text
            token = member_token(MEMBER_KEY, national_id)
            said.append((f"member {national_id}", await gateway.tap(user, language, f"m:{token}")))
        assert_one_answer(replies, "Telegram id")
        codes = {c: (await gateway.chat(user, language, c)).text for c in (code, "482109375526")}
        assert_one_answer(codes, "Telegram code")
        for data in ("p:0", "p:1", "l:fa", "l:en", "x:y"):
            said.append((data, await gateway.tap(user, language, data)))
        # Someone else's number, then this user's own number that is on file for nobody.
        other = {"phone_number": REZAEI_PHONE, "first_name": "R", "user_id": user + 1}
        said.append(("other's contact", await gateway.chat(user, language, contact=other)))
        own = {"phone_number": STRANGER_PHONE, "first_name": "S", "user_id": user}
        said.append(("own contact", await gateway.chat(user, language, contact=own)))
        said.append(("after contact", await gateway.chat(user, language, "/cover")))
        for what, answer in said:
            assert answer.status == 200, (what, answer)
            secrets.assert_hidden(answer.text, f"Telegram {what} ({language})")


async def test_telegram_tells_a_deactivated_provider_the_same_whoever_it_asks_about(
    gateway: Hostile,
) -> None:
    secrets = Secrets.of(gateway.people)
    user = 616_161_002
    contact = {"phone_number": CLOSED_PHONE, "first_name": "C", "user_id": user}
    assert (await gateway.chat(user, "en", contact=contact)).status == 200
    await gateway.chat(user, "en", "/check")
    replies = {}
    for national_id in asked_ids(gateway):
        answer = await gateway.chat(user, "en", national_id)
        secrets.assert_hidden(answer.text, "Telegram deactivated provider")
        replies[national_id] = answer.text
    assert_one_answer(replies, "Telegram deactivated provider")


# --- USSD: a deactivated provider -------------------------------------------------------------


async def test_ussd_tells_a_deactivated_provider_nothing(gateway: Hostile) -> None:
    secrets = Secrets.of(gateway.people)
    screens = await session(gateway, CLOSED_PHONE, ["1", asked_ids(gateway)[0], "1"], 1)
    assert screens[-1] == "END " + Wording("fa").t("ussd.info.deactivated")
    for text in screens:
        secrets.assert_hidden(text, "USSD deactivated provider")


# --- an insured phone, about people outside its family --------------------------------------


async def outsiders(gateway: Hostile, phone: str) -> list[Persona]:
    """The demo personas the insured ``phone`` may not learn about (not of its family)."""
    identity = await gateway.tg.inquiries.identify(phone)
    family = {m.national_id for m, _, _ in await gateway.tg.inquiries.members(identity)}
    assert family, "the phone is on file for nobody"
    return [p for p in gateway.people if p.row.national_id not in family]


async def test_an_insured_phone_learns_nothing_by_sms_of_people_outside_its_family(
    gateway: Hostile,
) -> None:
    # Refused in the same words whether the person exists or not: ids are not to be probed.
    others = await outsiders(gateway, REZAEI_PHONE)
    secrets = Secrets.of(others)
    before = await gateway.answers()
    replies = {}
    for national_id in [*(p.row.national_id for p in others), nobody_id(gateway)]:
        text = assert_twiml(await gateway.text(REZAEI_PHONE, national_id))
        assert text is not None
        secrets.assert_hidden(text, "SMS: an insured phone about an outsider")
        replies[national_id] = text
    # "Not on file", in the default language: ASCII digits say no other.
    assert set(replies.values()) == {Wording("fa").t("sms.not_on_file", hotline="۱۴۲۰")}
    assert await gateway.answers() == before  # nobody was answered


async def test_an_insured_chat_learns_nothing_of_people_outside_its_family(
    gateway: Hostile,
) -> None:
    # The chat lists family members as buttons; a forged one names someone else.
    others = await outsiders(gateway, REZAEI_PHONE)
    secrets = Secrets.of(others)
    user = 616_161_003
    contact = {"phone_number": REZAEI_PHONE, "first_name": "R", "user_id": user}
    assert (await gateway.chat(user, "en", contact=contact)).status == 200
    before = await gateway.answers()
    typed, tapped = {}, {}
    for national_id in [*(p.row.national_id for p in others), nobody_id(gateway)]:
        answer = await gateway.chat(user, "en", national_id)
        assert answer.status == 200, answer
        typed[national_id] = answer.text
        forged = f"m:{member_token(MEMBER_KEY, national_id)}"
        answer = await gateway.tap(user, "en", forged)
        assert answer.status == 200, answer
        tapped[national_id] = answer.text
    for what, replies in (("typed", typed), ("forged button", tapped)):
        for text in replies.values():
            secrets.assert_hidden(text, f"Telegram: an insured chat, {what}")
        assert_one_answer(replies, f"Telegram: an insured chat, {what}")
    assert await gateway.answers() == before  # nobody was answered
    # The buttons were forged with the bot's own key: one naming a member is answered.
    own = next(p.row.national_id for p in gateway.people if p.row.phone == REZAEI_PHONE)
    answer = await gateway.tap(user, "en", f"m:{member_token(MEMBER_KEY, own)}")
    assert codes_in(answer.text), answer.text
    await gateway.assert_nothing_lost()


# --- the API: unknown and deactivated keys ----------------------------------------------------


def _without_instance(answer: Answer) -> tuple[int, str]:
    body = answer.json()
    body.pop("instance", None)
    return answer.status, json.dumps(body, sort_keys=True)


@pytest.mark.parametrize(
    "key",
    [UNKNOWN_KEY, CLOSED_KEY, "", "not a key;;"],
    ids=["unknown", "deactivated", "none", "garbage"],
)
async def test_an_unknown_or_deactivated_key_gets_one_answer_whoever_it_asks_about(
    gateway: Hostile, key: str
) -> None:
    secrets = Secrets.of(gateway.people)
    code = await issued_code(gateway)
    before = (await gateway.store.answers.verify()).rows
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    seen: dict[str, set[tuple[int, str]]] = {}
    for national_id in asked_ids(gateway):
        requests = {
            "inquiry": ("/api/v1/inquiries", {"national_id": national_id}, "application/json"),
            "batch": (
                "/api/v1/inquiries/batch",
                [{"national_id": national_id}],
                "application/json",
            ),
            "fhir": (
                "/fhir/r4/CoverageEligibilityRequest",
                {
                    "resourceType": "CoverageEligibilityRequest",
                    "purpose": ["validation"],
                    "patient": {"identifier": {"value": national_id}},
                },
                "application/fhir+json",
            ),
        }
        for what, (path, body, content_type) in requests.items():
            answer = await gateway.send(
                "POST", path, json.dumps(body).encode(), content_type, headers
            )
            assert answer.status in (401, 403), (what, answer)
            secrets.assert_hidden(answer.text, f"API {what}")
            seen.setdefault(what, set()).add(_without_instance(answer))
    for c in (code, "482109375526"):
        answer = await gateway.send("GET", f"/api/v1/inquiries/{c}", headers=headers)
        seen.setdefault("recorded answer", set()).add(_without_instance(answer))
    for what, answers in seen.items():
        assert len(answers) == 1, f"{what}: the answer depends on the person or code asked about"
    assert (await gateway.store.answers.verify()).rows == before  # nobody was answered
