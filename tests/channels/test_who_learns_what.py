"""Who learns what, across every channel: one table, persona × asker kind × channel.

Each case asks one question the way its users do (a provider through the API, FHIR, its pages,
its phone by SMS, USSD or Telegram; an insured principal by SMS, USSD or Telegram; staff at the
console), reads what the channel rendered, and checks the facts it discloses against the
policy's view of the same answer (``policy.disclosure.disclose``): the status, the dates of the
member's (never one to a provider; when cover ends or ended to the insured person and staff),
the name (never the full one to a provider), and the tracking code the log holds for that
asker and channel.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.domain.model import Status
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure, View, disclose
from eligibility_gw.presenting import category_name, privilege_name
from eligibility_gw.wording import Wording
from tests.channels.console.support import AGENT, AGENT_PASSWORD, StaffVisitor, add_staff
from tests.channels.sms.support import TOKEN as TWILIO_TOKEN
from tests.channels.sms.support import SmsGateway
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import SECRET, SECRET_ENV, TOKEN, TOKEN_ENV, TelegramGateway
from tests.channels.ussd.support import AtSession
from tests.channels.web.portal.support import Visitor
from tests.conftest import MakeGateway
from tests.gateway import TestGateway

EN = Wording("en")
PROVIDER_PHONE = "+989350000001"  # the demo pharmacy's registered phone
PRINCIPAL_PHONE = {"rezaei": "+989121110001", "karimi": "+989121110002", "ahmadi": "+989121110003"}
#: Personas whose answers carry every kind of fact: an end ahead, an end behind, a lapsed
#: certificate's date, a principal not covered, a missing document, undetermined.
PERSONAS = (
    "rezaei",
    "rezaei-son-student",
    "rezaei-son-no-cert",
    "karimi-son-lapsed",
    "karimi-daughter",
    "karimi-wife",
    "ahmadi",
    "ahmadi-son",
)
FAMILY_OF = {p: p.split("-", 1)[0] for p in PERSONAS}
PROVIDER_CHANNELS = ("api", "fhir", "portal", "sms", "ussd", "telegram")
INSURED_CHANNELS = ("sms", "ussd", "telegram")
_CODE = re.compile(r"\b(\d{4})-(\d{4})-(\d{4})\b")


@dataclass(frozen=True)
class Case:
    """One row of the table."""

    persona: str
    asker: str  # provider | insured | staff
    channel: str

    @property
    def label(self) -> str:
        return f"{self.asker}-{self.channel}-{self.persona}"


CASES = [
    *(Case(p, "provider", c) for p in PERSONAS for c in PROVIDER_CHANNELS),
    *(Case(p, "insured", c) for p in PERSONAS for c in INSURED_CHANNELS),
    *(Case(p, "staff", "console") for p in PERSONAS),
]


@dataclass
class Everything:
    """A gateway with every channel on, and what drives each."""

    test: TestGateway
    bot: TelegramGateway


@pytest.fixture
async def bot_api(aiohttp_server: AiohttpServer) -> tuple[FakeBotApi, str]:
    api = FakeBotApi(TOKEN)
    server: TestServer = await aiohttp_server(api.app())
    return api, str(server.make_url("")).rstrip("/")


@pytest.fixture
async def everything(
    make_gateway: MakeGateway,
    bot_api: tuple[FakeBotApi, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Everything:
    return await _everything(make_gateway, bot_api, monkeypatch, "ir-tamin")


async def _everything(
    make_gateway: MakeGateway,
    bot_api: tuple[FakeBotApi, str],
    monkeypatch: pytest.MonkeyPatch,
    rule_pack: str,
) -> Everything:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    api, url = bot_api
    test = await make_gateway(
        store="memory",
        rule_pack=rule_pack,
        languages=("en", "fa"),
        channels={
            "telegram": {
                "token_env": TOKEN_ENV,
                "secret_env": SECRET_ENV,
                "api_base_url": f"{url}/bot",
                "api_file_base_url": f"{url}/file/bot",
            },
            "web": {"cookie_secure": False},
            "console": {"cookie_secure": False},
        },
    )
    await add_staff(test.store.casework)
    return Everything(test, TelegramGateway(test, api))


# -- the channels, as their users drive them --------------------------------------------------


def _as_text(body: object) -> str:
    """A JSON answer as one spelling (``"key": "value"``), however compact the server wrote it."""
    return json.dumps(body, ensure_ascii=False)


async def _api(e: Everything, nid: str) -> str:
    response = await e.test.client.post(
        "/api/v1/inquiries",
        json={"national_id": nid},
        headers={**e.test.auth(), "Accept-Language": "en"},
    )
    assert response.status == 200
    return _as_text(await response.json(content_type=None))


async def _fhir(e: Everything, nid: str) -> str:
    body = {
        "resourceType": "CoverageEligibilityRequest",
        "status": "active",
        "purpose": ["validation"],
        "patient": {"identifier": {"value": nid}},
        "created": "2026-01-01",
        "insurer": {"display": "x"},
    }
    response = await e.test.client.post(
        "/fhir/r4/CoverageEligibilityRequest",
        json=body,
        headers={
            **e.test.auth(),
            "Content-Type": "application/fhir+json",
            "Accept-Language": "en",
        },
    )
    assert response.status == 200
    return _as_text(await response.json(content_type=None))


async def _portal(e: Everything, nid: str) -> str:
    visitor = Visitor(e.test.client, {"Accept-Language": "en"})
    signed = await visitor.sign_in(e.test.api_key)
    assert signed.status == 303
    response, page = await visitor.check(nid)
    assert response.status == 200
    return page


async def _sms(e: Everything, phone: str, nid: str) -> str:
    reply = await SmsGateway(e.test).text(phone, nid)
    assert reply.status == 200
    assert reply.message
    return reply.message


def _pick(screen: str, needle: str) -> str | None:
    """The number of the menu line that holds ``needle``."""
    for line in screen.splitlines():
        m = re.match(r"\s*(\d+)[.)]\s*(.*)", line)
        if m and needle in m.group(2):
            return m.group(1)
    return None


async def _ussd_provider(e: Everything, nid: str) -> str:
    session = AtSession(e.test.client, PROVIDER_PHONE)
    home = await session.dial()
    await session.send(_pick(home.text, EN.t("ussd.option.check_id")) or "1")
    await session.send(nid)
    screen = await session.send("1")  # today
    assert screen.end, screen.text
    return screen.text


async def _ussd_insured(e: Everything, phone: str, given_name: str, own: bool) -> str:
    session = AtSession(e.test.client, phone)
    screen = await session.dial()
    option = EN.t("ussd.option.my_cover" if own else "ussd.option.family")
    choice = _pick(screen.text, option)
    assert choice is not None, screen.text
    screen = await session.send(choice)
    for _ in range(5):  # through the pages of the family list to the member
        if screen.end:
            return screen.text
        member = _pick(screen.text, given_name)
        if member is not None:
            screen = await session.send(member)
            continue
        screen = await session.send("98")
    assert screen.end, screen.text
    return screen.text


async def _telegram_provider(e: Everything, nid: str) -> str:
    user = await e.bot.linked(PROVIDER_PHONE)
    calls = await user.say(nid)
    return "\n".join(c.text for c in calls if c.method == "sendMessage")


async def _telegram_insured(e: Everything, phone: str, given_name: str) -> str:
    user = await e.bot.linked(phone)
    calls = await user.say(EN.t("telegram.menu.family"))
    buttons = [b for c in calls for row in c.inline() for b in row]
    for _ in range(5):
        chosen = [data for label, data in buttons if label.startswith(given_name)]
        if chosen:
            calls = await user.tap(chosen[0])
            return "\n".join(c.text for c in calls if c.method == "sendMessage")
        pages = [data for label, data in buttons if label == EN.t("telegram.button.next")]
        assert pages, buttons
        calls = await user.tap(pages[-1])  # the buttons of the message change (an edit)
        buttons = [b for c in calls for row in c.inline() for b in row]
    raise AssertionError(f"no button for {given_name}")


async def _console(e: Everything, nid: str, given_name: str) -> str:
    staff = StaffVisitor(e.test.client, {"Accept-Language": "en"})
    assert (await staff.sign_in(AGENT, AGENT_PASSWORD)).status == 303
    response, page = await staff.search(nid, "national_id")
    assert response.status == 200
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S)
    mine = [r for r in rows if f"<bdi>{given_name} " in r]
    assert mine, page
    return re.sub(r"<[^>]+>", " ", mine[0])


async def ask(e: Everything, case: Case, phone: str | None = None) -> str:
    """What ``case``'s asker reads, as text (an insured asker from ``phone``, by default the
    principal's of the persona's family)."""
    nid = e.test.nid(case.persona)
    person = e.test.people[case.persona].row
    phone = phone or PRINCIPAL_PHONE[FAMILY_OF[case.persona]]
    if case.asker == "provider":
        return await {
            "api": lambda: _api(e, nid),
            "fhir": lambda: _fhir(e, nid),
            "portal": lambda: _portal(e, nid),
            "sms": lambda: _sms(e, PROVIDER_PHONE, nid),
            "ussd": lambda: _ussd_provider(e, nid),
            "telegram": lambda: _telegram_provider(e, nid),
        }[case.channel]()
    if case.asker == "insured":
        own = person.principal_id is None
        return await {
            "sms": lambda: _sms(e, phone, nid),
            "ussd": lambda: _ussd_insured(e, phone, person.given_name, own),
            "telegram": lambda: _telegram_insured(e, phone, person.given_name),
        }[case.channel]()
    return await _console(e, nid, person.given_name)


# -- the facts ----------------------------------------------------------------------------


def member_dates(shown: Disclosure) -> set[date]:
    """Every date of the member's the answer holds (in the staff view: all of them)."""
    dates = {d for d in (shown.cover_end, shown.cover_ended) if d is not None}
    for reason in shown.reasons:
        dates.update(date.fromisoformat(v) for k, v in reason.params if k.endswith("_on"))
    return dates


def status_words(status: Status) -> tuple[str, ...]:
    """How channels say a status: in English words (in full, or short on phones), or as the
    API's code."""
    return (EN.status(status), EN.t(f"short.status.{status.value}"), f'"status": "{status.value}"')


def codes_in(text: str) -> list[TrackingCode]:
    """The tracking codes a text shows (grouped), or the FHIR resource's id."""
    found = [TrackingCode("".join(m)) for m in _CODE.findall(text)]
    found += [TrackingCode(m) for m in re.findall(r'"id":\s*"(\d{12})"', text)]
    return found


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
async def test_every_channel_discloses_what_the_policy_says(
    everything: Everything, case: Case
) -> None:
    e = everything
    inquiries = e.test.inquiries
    staff = Asker.for_staff(AGENT)
    nid = e.test.nid(case.persona)
    family = await inquiries.family_of(staff, nid)
    assert family is not None
    person = family.member(nid)
    assert person is not None
    (today,) = [s.decision for s in await inquiries.preview(staff, family) if s.person is person]

    text = await ask(e, case)

    # The status, as the rules give it today (the preview is the same rules, not logged).
    assert any(word in text for word in status_words(today.status)), text
    if case.asker == "staff":
        # Staff see a preview of today's status: everything, end dates included.
        expected = today.cover_end or today.cover_ended
        if expected is not None:
            assert expected.isoformat() in text, text
        return

    # Providers and insured people get a logged answer: its code is in what they read, and
    # the log names them, and the channel they asked through.
    codes = codes_in(text)
    assert codes, text
    record = await e.test.store.answers.find(codes[0])
    assert record is not None, text
    assert record.draft.national_id == nid
    assert record.draft.asker_kind == case.asker
    channel = {"api": "web"}.get(case.channel, case.channel)
    assert record.draft.channel == channel

    view = View.PROVIDER if case.asker == "provider" else View.INSURED
    shown = disclose(record, view, person, today)
    everything_known = disclose(record, View.STAFF, person, today)
    assert shown.status is record.status is today.status
    if view is View.PROVIDER:
        # Never a date of the member's, never the full name. (When the provider asked is
        # theirs: instants such as ``asked_at`` or FHIR's ``created`` are not scanned.)
        dated = re.sub(r"\d{4}-\d{2}-\d{2}T[\d:.]+(?:[+-]\d{2}:\d{2}|Z)?", "", text)
        leaked = {d for d in member_dates(everything_known) if d.isoformat() in dated}
        leaked -= {record.draft.service_date}  # the date asked about is the provider's own
        assert not leaked, (leaked, text)
        assert person.given_name not in text, text
        assert person.family_name not in text or person.family_name[:1] + "***" in text
        assert member_dates(shown) == set()
    else:
        # When cover ends (eligible) or ended (not eligible): always told, as the rules say
        # today, and as the policy's view of this answer says.
        expected = today.cover_end if today.status is Status.ELIGIBLE else today.cover_ended
        assert (shown.cover_end or shown.cover_ended) == expected
        if expected is not None:
            assert expected.isoformat() in text, (expected, text)


# -- the schemes' facts: the insured category, a privilege ------------------------------------

#: Personas of other schemes: a category (ro-cnas), a privilege with an end and one without
#: (pl-nfz), and the insured phone their answers go to.
SCHEME_PERSONAS = {
    "ro-cnas": {"popescu": "+40721000001", "popescu-student": "+40721000001"},
    "pl-nfz": {"kowalski": "+48601000001", "nowak": "+48601000002"},
}
SCHEME_CASES = [
    (pack, Case(p, asker, channel))
    for pack, people in SCHEME_PERSONAS.items()
    for p in people
    for asker, channels in (
        ("provider", PROVIDER_CHANNELS),
        ("insured", INSURED_CHANNELS),
        ("staff", ("console",)),
    )
    for channel in channels
]


@pytest.fixture
async def scheme(
    request: pytest.FixtureRequest,
    make_gateway: MakeGateway,
    bot_api: tuple[FakeBotApi, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Everything:
    return await _everything(make_gateway, bot_api, monkeypatch, request.param)


def _category_said(text: str, code: str, name: str) -> bool:
    """The category as channels say it: its name, or its code where room is short."""
    return any(
        form in text
        for form in (name, EN.t("short.label.category", code=code), f'"code": "{code}"')
    )


@pytest.mark.parametrize(
    ("scheme", "case"),
    SCHEME_CASES,
    ids=[f"{p}-{c.label}" for p, c in SCHEME_CASES],
    indirect=["scheme"],
)
async def test_every_channel_shows_the_category_and_privileges_the_policy_discloses(
    scheme: Everything, case: Case
) -> None:
    e = scheme
    pack = e.test.gateway.pack
    row = e.test.people[case.persona].row
    phone = SCHEME_PERSONAS[pack.name][case.persona]
    text = await ask(e, case, phone)
    if row.category is not None:
        name = category_name(EN, pack, row.category)
        assert _category_said(text, row.category, name), text
    for held in row.privileges:
        named = privilege_name(EN, pack, held.kind)
        until = held.valid_until.isoformat() if held.valid_until else None
        if case.asker == "provider":
            # What to do, never when the privilege ends (a date of the member's).
            assert "serve out of turn" in text.lower(), text
            assert until is None or until not in text, text
        else:
            assert named in text, text
            if until is not None:
                assert until in text, text
