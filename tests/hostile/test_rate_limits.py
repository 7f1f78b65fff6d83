"""Every limit of every channel, as tables: up to the limit answered, past it refused in the
channel's own words and the caller's language (the web with 429, ``scope`` and Retry-After).

Two kinds of limit since the inquiry policy moved into the core (issue #15):

- **the core's quotas** (``[inquiries]``), counted for every channel together: an asker's
  own budget (scope ``asker``), one provider's checks of one person
  (``provider_national_id``) and all providers' checks of one person (``national_id``).
  Each door a provider asks through meets each of the three (``QUOTAS`` × ``DOORS``); an
  insured phone and a staff member meet their own budgets (``LIMITS``);
- **each channel's flood guard** of its transport (``LIMITS``): SMS per sender, USSD hops,
  Telegram updates, the sign-in throttles of the portal and the console, the API's batches.

The counters' clock stands still during a test, so no window ends half-way through a row.
"""

from __future__ import annotations

import abc
import html
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import pytest
from multidict import CIMultiDict

from eligibility_gw.channels.console.settings import ConsoleSettings
from eligibility_gw.channels.sms.settings import SmsSettings
from eligibility_gw.channels.telegram.settings import TelegramSettings
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.policy.quotas import QuotaScope, QuotaSettings
from eligibility_gw.wording import Wording
from tests.channels.console.support import AGENT, AGENT_PASSWORD, SUPERVISOR, StaffVisitor
from tests.channels.ussd.support import AtSession
from tests.channels.web.portal.support import Visitor, csrf_of, tracking_code_of
from tests.hostile.conftest import MakeHostile
from tests.hostile.support import (
    OTHER_KEY,
    OTHER_PHONE,
    PROVIDER_KEY,
    PROVIDER_PHONE,
    REZAEI_PHONE,
    STRANGER_PHONE,
    Answer,
    Hostile,
    assert_problem,
    assert_twiml,
    codes_in,
)

pytestmark = pytest.mark.usefixtures("still_clock")

LANGUAGES = ("fa", "en")
#: Answers a row allows before it refuses.
LIMIT = 2


def worded(language: str, key: str) -> re.Pattern[str]:
    """The catalog message ``key`` in ``language`` (any of its plural forms), whatever fills
    its fields."""
    w = Wording(language)
    forms = dict.fromkeys(w.n(key, n, minutes="\0") for n in (1, 2, 5, 21, 22, 25))
    holes = re.compile(r"\x00|\{[a-z_]+\}")
    return re.compile(
        "|".join(".+?".join(re.escape(part) for part in holes.split(form)) for form in forms)
    )


def persian(text: str) -> str:
    """``text`` with Persian digits, as a Persian keyboard types it."""
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def retry_after(answer: Answer) -> int:
    """The Retry-After header, which must be a number of seconds."""
    seconds = int(answer.headers["Retry-After"])
    assert seconds >= 1, answer
    return seconds


def languages_for(language: str) -> tuple[str, ...]:
    """The gateway's languages with ``language`` first (the default of phones' channels)."""
    return (language, *(lang for lang in LANGUAGES if lang != language))


# --- who asks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """A provider as each channel knows it: its API key, its phone, its Telegram user."""

    name: str
    key: str
    phone: str
    telegram_user: int


PHARMACY = Who("pharmacy", PROVIDER_KEY, PROVIDER_PHONE, 515_151_001)
LAB = Who("lab", OTHER_KEY, OTHER_PHONE, 515_151_002)


# --- the doors a provider asks through ------------------------------------------------------


class Door(abc.ABC):
    """One way a provider asks about a person, and how its answers and refusals look."""

    channel: ClassVar[str]
    #: Hits on the provider's own budget (``asker``) one check costs.
    asker_cost: ClassVar[int] = 1

    def __init__(self, gateway: Hostile, language: str) -> None:
        self.gateway = gateway
        self.language = language

    def refusal(self, scope: str) -> re.Pattern[str]:
        """The shared words of a quota refusal (``Wording.error``), in the caller's language."""
        return worded(self.language, f"error.RATE_LIMITED.{scope}")

    @abc.abstractmethod
    async def check(self, who: Who, national_id: str) -> Answer:
        """``who`` asks about ``national_id`` today."""

    @abc.abstractmethod
    def assert_answered(self, answer: Answer) -> None:
        """An answer with its tracking code (kept, to be found in the log)."""

    @abc.abstractmethod
    def assert_refused(self, answer: Answer, scope: str) -> None:
        """The refusal of the quota ``scope``, in this channel's words."""


class ApiDoor(Door):
    """``POST /api/v1/inquiries``: 429 problem naming the ``scope``."""

    channel = "api"
    path = "/api/v1/inquiries"

    def headers(self, who: Who) -> dict[str, str]:
        """The provider's key and the caller's language."""
        return {"Authorization": f"Bearer {who.key}", "Accept-Language": self.language}

    def body(self, national_id: str) -> Any:
        """The request's JSON."""
        return {"national_id": national_id}

    async def check(self, who: Who, national_id: str) -> Answer:
        body = json.dumps(self.body(national_id)).encode()
        return await self.gateway.send(
            "POST", self.path, body, "application/json", self.headers(who)
        )

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        self.gateway.answered.append(answer.json()["tracking_code"])

    def assert_refused(self, answer: Answer, scope: str) -> None:
        assert_problem(answer)
        assert answer.status == 429, answer
        problem = answer.json()
        assert problem["type"] == "/problems/rate-limited"
        assert problem["scope"] == scope, problem
        assert self.refusal(scope).fullmatch(problem["detail"]), problem["detail"]
        retry_after(answer)


class BatchDoor(ApiDoor):
    """Batches of one: past the provider's own budget the batch is refused; past a person's
    quota the batch is answered and the item refused."""

    channel = "api-batch"
    path = "/api/v1/inquiries/batch"

    def body(self, national_id: str) -> Any:
        return [{"national_id": national_id}]

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        (item,) = answer.json()["results"]
        self.gateway.answered.append(item["tracking_code"])

    def assert_refused(self, answer: Answer, scope: str) -> None:
        if scope == QuotaScope.ASKER:  # one batch is one request against the provider's budget
            super().assert_refused(answer, scope)
            return
        assert answer.status == 200, answer
        (item,) = answer.json()["results"]
        assert "tracking_code" not in item, item
        error = item["error"]
        assert error["code"] == "RATE_LIMITED" and error["scope"] == scope, error
        assert self.refusal(scope).fullmatch(error["detail"]), error["detail"]
        assert error["retry_after"] >= 1


class FhirDoor(Door):
    """``POST /fhir/r4/CoverageEligibilityRequest``: 429 ``throttled`` OperationOutcome."""

    channel = "fhir"

    async def check(self, who: Who, national_id: str) -> Answer:
        body = {
            "resourceType": "CoverageEligibilityRequest",
            "status": "active",
            "purpose": ["validation"],
            "patient": {"identifier": {"value": national_id}},
        }
        headers = {"Authorization": f"Bearer {who.key}", "Accept-Language": self.language}
        return await self.gateway.send(
            "POST",
            "/fhir/r4/CoverageEligibilityRequest",
            json.dumps(body).encode(),
            "application/fhir+json",
            headers,
        )

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        resource = answer.json()
        assert resource["resourceType"] == "CoverageEligibilityResponse", resource
        assert resource["outcome"] == "complete", resource
        self.gateway.answered.append(resource["id"])

    def assert_refused(self, answer: Answer, scope: str) -> None:
        assert answer.status == 429, answer
        assert answer.content_type == "application/fhir+json", answer
        (issue,) = answer.json()["issue"]
        assert issue["code"] == "throttled", issue
        assert self.refusal(scope).fullmatch(issue["diagnostics"]), issue
        retry_after(answer)


class PortalDoor(Door):
    """The provider pages: the check form, then the answer page it leads to."""

    channel = "portal"
    #: The answer page reads the recorded answer back, and a read counts like an answer
    #: (tracking codes are not to be probed): a check through the pages costs two.
    asker_cost = 2

    def __init__(self, gateway: Hostile, language: str) -> None:
        super().__init__(gateway, language)
        self.visitors: dict[str, Visitor] = {}

    async def visitor(self, who: Who) -> Visitor:
        """``who`` signed in, in the caller's language (once)."""
        if who.name not in self.visitors:
            visitor = Visitor(self.gateway.client, {"Accept-Language": self.language})
            assert (await visitor.sign_in(who.key)).status == 303
            self.visitors[who.name] = visitor
        return self.visitors[who.name]

    async def check(self, who: Who, national_id: str) -> Answer:
        response, body = await (await self.visitor(who)).check(national_id)
        return Answer(response.status, response.content_type, body, response.headers.copy())

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        assert answer.content_type == "text/html"
        self.gateway.answered.append(tracking_code_of(answer.text))

    def assert_refused(self, answer: Answer, scope: str) -> None:
        assert answer.status == 429, answer
        assert answer.content_type == "text/html"
        assert answer.headers["Content-Language"] == self.language
        assert self.refusal(scope).search(html.unescape(answer.text)), answer.text
        assert not codes_in(answer.text), answer.text
        retry_after(answer)


class SmsDoor(Door):
    """An SMS of the national id from the provider's phone: the reply names the quota."""

    channel = "sms"

    def refusal(self, scope: str) -> re.Pattern[str]:
        return worded(self.language, f"sms.rate_limited.{scope}")

    async def check(self, who: Who, national_id: str) -> Answer:
        typed = persian(national_id) if self.language == "fa" else national_id
        return await self.gateway.text(who.phone, typed)

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        text = assert_twiml(answer)
        assert text is not None and codes_in(text), text

    def assert_refused(self, answer: Answer, scope: str) -> None:
        assert answer.status == 200, answer
        text = assert_twiml(answer)
        assert text is not None and self.refusal(scope).fullmatch(text), text


class UssdDoor(Door):
    """A whole Africa's Talking session from the provider's phone: dial, check an id, today."""

    channel = "ussd"

    def refusal(self, scope: str) -> re.Pattern[str]:
        return worded(self.language, f"ussd.end.quota.{scope}")

    async def check(self, who: Who, national_id: str) -> Answer:
        session = AtSession(self.gateway.client, who.phone)
        await session.dial()
        await session.send("1")
        await session.send(national_id)
        screen = await session.send("1")
        text = ("END " if screen.end else "CON ") + screen.text
        return self.gateway.remember(Answer(screen.status, "text/plain", text, CIMultiDict()))

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        assert answer.text.startswith("END "), answer.text
        assert codes_in(answer.text), answer.text

    def assert_refused(self, answer: Answer, scope: str) -> None:
        assert answer.status == 200, answer
        assert answer.text.startswith("END "), answer.text
        assert self.refusal(scope).fullmatch(answer.text[4:]), answer.text


class TelegramDoor(Door):
    """A message of the national id in the provider's chat, linked by its shared phone."""

    channel = "telegram"

    def __init__(self, gateway: Hostile, language: str) -> None:
        super().__init__(gateway, language)
        self.linked: set[str] = set()

    async def check(self, who: Who, national_id: str) -> Answer:
        if who.name not in self.linked:
            contact = {"phone_number": who.phone, "first_name": "T", "user_id": who.telegram_user}
            bound = await self.gateway.chat(who.telegram_user, self.language, contact=contact)
            assert bound.text == Wording(self.language).t("telegram.contact.bound"), bound
            self.linked.add(who.name)
        return await self.gateway.chat(who.telegram_user, self.language, national_id)

    def assert_answered(self, answer: Answer) -> None:
        assert answer.status == 200, answer
        assert codes_in(answer.text), answer.text

    def assert_refused(self, answer: Answer, scope: str) -> None:
        assert answer.status == 200, answer
        assert self.refusal(scope).fullmatch(answer.text), answer.text


DOORS: tuple[type[Door], ...] = (
    ApiDoor,
    BatchDoor,
    FhirDoor,
    PortalDoor,
    SmsDoor,
    UssdDoor,
    TelegramDoor,
)


# --- the core's quotas, met through every door ----------------------------------------------


@dataclass(frozen=True)
class Quota:
    """One quota of ``[inquiries]``, set to ``LIMIT``: who asks in turn, about whom, and who
    is still answered (or refused) once it is spent."""

    scope: str
    setting: str
    #: Who asks, in turn.
    askers: tuple[Who, ...]
    #: Each check about the same person, or each about another.
    same_person: bool
    #: Once refused: who is still answered, about the asked person (True) or another.
    still_answered: tuple[tuple[Who, bool], ...]
    #: Once refused: who is refused too, about the asked person (True) or another.
    still_refused: tuple[tuple[Who, bool], ...] = ()

    def knobs(self, door: type[Door]) -> dict[str, int]:
        """``[inquiries]`` for this row through ``door``."""
        cost = door.asker_cost if self.scope == QuotaScope.ASKER else 1
        return {self.setting: LIMIT * cost}


QUOTAS = (
    Quota(
        QuotaScope.ASKER,
        "provider_per_minute",
        askers=(PHARMACY,),
        same_person=False,
        still_answered=((LAB, True),),
        still_refused=((PHARMACY, False),),
    ),
    Quota(
        QuotaScope.PROVIDER_PERSON,
        "provider_per_national_id",
        askers=(PHARMACY,),
        same_person=True,
        still_answered=((LAB, True), (PHARMACY, False)),
    ),
    Quota(
        QuotaScope.PERSON,
        "national_id_ceiling",
        askers=(PHARMACY, LAB),
        same_person=True,
        still_answered=((PHARMACY, False), (LAB, False)),
        still_refused=((LAB, True),),
    ),
)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("quota", QUOTAS, ids=lambda q: q.scope)
@pytest.mark.parametrize("door", DOORS, ids=lambda d: d.channel)
async def test_a_quota_answers_up_to_it_and_refuses_past_it_through_every_door(
    make_hostile: MakeHostile, door: type[Door], quota: Quota, language: str
) -> None:
    gateway = await make_hostile(inquiries=quota.knobs(door), languages=languages_for(language))
    ids = [p.row.national_id for p in gateway.people]
    asked = ids[0]
    others = iter(ids[1:])

    def about(same: bool) -> str:
        return asked if same else next(others)

    def asker(i: int) -> Who:
        return quota.askers[i % len(quota.askers)]

    ask = door(gateway, language)
    for i in range(LIMIT):
        ask.assert_answered(await ask.check(asker(i), about(quota.same_person)))
    before = await gateway.answers()
    refused = await ask.check(asker(LIMIT), about(quota.same_person))
    ask.assert_refused(refused, quota.scope)
    for who, same in quota.still_refused:
        ask.assert_refused(await ask.check(who, about(same)), quota.scope)
    assert await gateway.answers() == before, "a refused check was logged"
    for who, same in quota.still_answered:
        ask.assert_answered(await ask.check(who, about(same)))
    await gateway.assert_nothing_lost()


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_past_its_share_of_a_person_a_provider_is_refused_everywhere_another_is_not(
    make_hostile: MakeHostile, store: str
) -> None:
    # One check per channel spends the pharmacy's whole share: the channels count together.
    share = len(DOORS)
    gateway = await make_hostile(
        store=store, inquiries={"provider_per_national_id": share}, languages=("en", "fa")
    )
    doors = [door(gateway, "en") for door in DOORS]
    person, someone_else = gateway.people[0].row.national_id, gateway.people[1].row.national_id
    for door in doors:
        door.assert_answered(await door.check(PHARMACY, person))
    before = await gateway.answers()
    for door in doors:
        door.assert_refused(await door.check(PHARMACY, person), QuotaScope.PROVIDER_PERSON)
    assert await gateway.answers() == before, "a refused check was logged"
    for door in doors:  # another provider, about the same person, on every channel
        door.assert_answered(await door.check(LAB, person))
    for door in doors:  # the same provider, about someone else
        door.assert_answered(await door.check(PHARMACY, someone_else))
    await gateway.assert_nothing_lost()


# --- flood guards, and the budgets of insured phones and staff ------------------------------

#: Makes the n-th request (from 0) of a row.
Ask = Callable[[int], Awaitable[Answer]]
#: Prepares a row's requests on a gateway, for a caller of a language.
Open = Callable[[Hostile, str], Awaitable[Ask]]
#: Checks an answer, given the gateway and the caller's language.
Check = Callable[[Hostile, Answer, str], Awaitable[None]]

FORM = "application/x-www-form-urlencoded"
REZAEI_USER = 515_151_003
STRANGER_USER = 515_151_009


def api_batches() -> Open:
    """Batches of one inquiry, each about another person."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        door = BatchDoor(gateway, language)
        people = [p.row.national_id for p in gateway.people]
        return lambda i: door.check(PHARMACY, people[i])

    return open_


async def batch_answered(gateway: Hostile, answer: Answer, language: str) -> None:
    BatchDoor(gateway, language).assert_answered(answer)


async def batches_refused(_gateway: Hostile, answer: Answer, language: str) -> None:
    assert_problem(answer)
    assert answer.status == 429, answer
    problem = answer.json()
    assert problem["type"] == "/problems/rate-limited" and problem["scope"] == "batches"
    assert worded(language, "web.rate_limited.batches").fullmatch(problem["detail"]), problem
    retry_after(answer)


def api_reads() -> Open:
    """Look-ups of a recorded answer (after the one inquiry that made it)."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        door = ApiDoor(gateway, language)
        made = await door.check(PHARMACY, gateway.people[0].row.national_id)
        door.assert_answered(made)
        path = "/api/v1/inquiries/" + made.json()["tracking_code"]
        return lambda _i: gateway.send("GET", path, headers=door.headers(PHARMACY))

    return open_


async def read_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200, answer
    assert "tracking_code" in answer.json()


async def read_refused(gateway: Hostile, answer: Answer, language: str) -> None:
    ApiDoor(gateway, language).assert_refused(answer, QuotaScope.ASKER)


def portal_signins() -> Open:
    """Sign-ins to the provider pages with a wrong key, from one address."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        visitor = Visitor(gateway.client, {"Accept-Language": language})

        async def ask(_i: int) -> Answer:
            _, page = await visitor.get("/portal/")
            response, body = await visitor.post(
                "/portal/signin", {"csrf": csrf_of(page), "api_key": "egw_wrong"}
            )
            return Answer(response.status, response.content_type, body, response.headers.copy())

        return ask

    return open_


def page_status(status: int) -> Check:
    async def check(_gateway: Hostile, answer: Answer, _language: str) -> None:
        assert answer.status == status, answer
        assert answer.content_type == "text/html"

    return check


def page_refused(key: str) -> Check:
    async def check(_gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 429, answer
        assert answer.content_type == "text/html"
        assert answer.headers["Content-Language"] == language
        assert worded(language, key).search(html.unescape(answer.text)), answer.text
        retry_after(answer)

    return check


def console_signins(names: tuple[str, ...]) -> Open:
    """Staff sign-ins with a wrong password, from one address, under ``names`` in turn."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        visitor = StaffVisitor(gateway.client, {"Accept-Language": language})

        async def ask(i: int) -> Answer:
            response = await visitor.sign_in(names[i % len(names)], "not-the-password")
            body = await response.text()
            return Answer(response.status, response.content_type, body, response.headers.copy())

        return ask

    return open_


async def console_blocked(gateway: Hostile, answer: Answer, language: str) -> None:
    await page_refused("console.signin.throttled")(gateway, answer, language)
    # Refused for the rest of the window, whatever the password.
    response = await StaffVisitor(gateway.client).sign_in(AGENT, AGENT_PASSWORD)
    assert response.status == 429


def console_searches() -> Open:
    """An agent looks a tracking code up: each look-up reads an answer back (staff budget)."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        made = await ApiDoor(gateway, language).check(PHARMACY, gateway.people[0].row.national_id)
        code = made.json()["tracking_code"]
        agent = StaffVisitor(gateway.client, {"Accept-Language": language})
        assert (await agent.sign_in(AGENT, AGENT_PASSWORD)).status == 303

        async def ask(_i: int) -> Answer:
            response, body = await agent.search(code)
            return Answer(response.status, response.content_type, body, response.headers.copy())

        return ask

    return open_


async def console_found(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200, answer
    assert answer.content_type == "text/html"
    assert codes_in(answer.text), "the answer looked up is not on the page"


def texts(said: Callable[[Hostile, str], str], sender: str) -> Open:
    """SMS from ``sender``, each saying ``said`` in the language."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        body = said(gateway, language)
        return lambda _i: gateway.text(sender, body)

    return open_


def asking_for_help(_gateway: Hostile, language: str) -> str:
    return "راهنما" if language == "fa" else "HELP"


def asking_about_oneself(gateway: Hostile, language: str) -> str:
    own = next(p.row.national_id for p in gateway.people if p.row.phone == REZAEI_PHONE)
    return persian(own) if language == "fa" else own


async def sms_replied(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200
    assert assert_twiml(answer)


async def sms_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200
    text = assert_twiml(answer)
    assert text is not None and codes_in(text), text


def sms_refused(key: str, silence_after: Open | None = None) -> Check:
    async def check(gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 200
        text = assert_twiml(answer)
        assert text is not None and worded(language, key).fullmatch(text), text
        if silence_after is not None:  # told once a window; then no reply is paid for
            again = await (await silence_after(gateway, language))(0)
            assert assert_twiml(again) is None

    return check


def ussd_sessions(phone: str, inputs: tuple[str, ...]) -> Open:
    """A whole session per request (Africa's Talking): dial, then ``inputs``; the last screen."""

    async def open_(gateway: Hostile, _language: str) -> Ask:
        async def ask(_i: int) -> Answer:
            session = AtSession(gateway.client, phone)
            screen = await session.dial()
            for typed in inputs:
                if screen.end:
                    break
                screen = await session.send(typed)
            text = ("END " if screen.end else "CON ") + screen.text
            return gateway.remember(Answer(screen.status, "text/plain", text, CIMultiDict()))

        return ask

    return open_


def ussd_screen(ending: bool, has_code: bool = False) -> Check:
    async def check(_gateway: Hostile, answer: Answer, _language: str) -> None:
        assert answer.status == 200, answer
        assert answer.text.startswith("END " if ending else "CON "), answer.text
        assert bool(codes_in(answer.text)) == has_code, answer.text

    return check


def ussd_refused(key: str) -> Check:
    async def check(_gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 200, answer
        assert answer.text.startswith("END "), answer.text
        assert worded(language, key).fullmatch(answer.text[4:]), answer.text

    return check


def telegram_messages(text: str, phone: str | None = None, user: int = STRANGER_USER) -> Open:
    """Messages to the bot from ``user``'s chat, linked to ``phone`` first when given."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        if phone is not None:
            contact = {"phone_number": phone, "first_name": "T", "user_id": user}
            linked = await gateway.chat(user, language, contact=contact)
            assert linked.text == Wording(language).t("telegram.contact.bound"), linked
        return lambda _i: gateway.chat(user, language, text)

    return open_


async def telegram_replied(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200
    assert answer.text, "the bot said nothing"


async def telegram_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200
    assert codes_in(answer.text), answer.text


def telegram_refused(key: str, silence_after: bool = False) -> Check:
    async def check(gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 200
        assert worded(language, key).fullmatch(answer.text), answer.text
        if silence_after:  # told once a window; then updates are not answered one by one
            again = await gateway.chat(STRANGER_USER, language, "/start")
            assert again.status == 200 and again.text == ""

    return check


@dataclass(frozen=True)
class Limit:
    """One limit: its channel and setting, how it is reached, what is answered."""

    channel: str
    #: ``[section] key`` of the setting, set to ``LIMIT`` here (or as ``knobs`` say).
    setting: str
    open: Open
    answered: Check
    refused: Check
    #: Settings besides the one named (``[inquiries]`` keys, or channel name to knobs).
    inquiries: Mapping[str, int] = field(default_factory=dict)
    channels: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    what: str = ""

    @property
    def id(self) -> str:
        return f"{self.channel}:{self.setting.split()[-1]}{self.what}"

    def knobs(self) -> tuple[dict[str, int], dict[str, dict[str, object]]]:
        """``[inquiries]`` and ``[channels.*]`` with the setting at ``LIMIT``."""
        inquiries = dict(self.inquiries)
        channels = {name: dict(knobs) for name, knobs in self.channels.items()}
        section, key = self.setting.split()
        if section == "[inquiries]":
            inquiries.setdefault(key, LIMIT)
        else:
            channels.setdefault(section.strip("[]").removeprefix("channels."), {}).setdefault(
                key, LIMIT
            )
        return inquiries, channels


LIMITS = [
    Limit(
        "api",
        "[channels.web] batches_per_hour",
        api_batches(),
        batch_answered,
        batches_refused,
    ),
    Limit(
        "api",
        "[inquiries] provider_per_minute",
        api_reads(),
        read_answered,
        read_refused,
        inquiries={"provider_per_minute": LIMIT + 1},  # the inquiry that made the code
        what=" (recorded answers)",
    ),
    Limit(
        "portal",
        "[channels.web] signin_failures",
        portal_signins(),
        page_status(401),
        page_refused("portal.signin.throttled"),
    ),
    Limit(
        "console",
        "[channels.console] signin_failures",
        console_signins((AGENT,)),
        page_status(401),
        console_blocked,
    ),
    Limit(
        "console",
        "[channels.console] signin_failures_per_address",
        console_signins((AGENT, SUPERVISOR, "nobody-at-all")),
        page_status(401),
        page_refused("console.signin.throttled"),
    ),
    Limit(
        "console",
        "[inquiries] staff_per_hour",
        console_searches(),
        console_found,
        page_refused("error.RATE_LIMITED.asker"),
    ),
    Limit(
        "sms",
        "[channels.sms] inquiries_per_sender",
        texts(asking_for_help, STRANGER_PHONE),
        sms_replied,
        sms_refused("sms.rate_limited.sender", texts(asking_for_help, STRANGER_PHONE)),
    ),
    Limit(
        "sms",
        "[inquiries] insured_per_hour",
        texts(asking_about_oneself, REZAEI_PHONE),
        sms_answered,
        sms_refused("sms.rate_limited.asker"),
    ),
    Limit(
        "ussd",
        "[channels.ussd] hops_per_minute",
        ussd_sessions(STRANGER_PHONE, ()),
        ussd_screen(ending=False),
        ussd_refused("ussd.end.rate_limited"),
    ),
    Limit(
        "ussd",
        "[inquiries] insured_per_hour",
        ussd_sessions(REZAEI_PHONE, ("1",)),  # my cover
        ussd_screen(ending=True, has_code=True),
        ussd_refused("ussd.end.quota.asker"),
    ),
    Limit(
        "ussd",
        "[inquiries] insured_per_hour",
        ussd_sessions(STRANGER_PHONE, ("1", "482109375526")),  # verify a tracking code
        ussd_screen(ending=True),
        ussd_refused("ussd.end.quota.asker"),
        what=" (an unknown phone verifying codes)",
    ),
    Limit(
        "telegram",
        "[channels.telegram] updates_per_sender",
        telegram_messages("/start"),
        telegram_replied,
        telegram_refused("telegram.rate_limited.sender", silence_after=True),
    ),
    Limit(
        "telegram",
        "[inquiries] insured_per_hour",
        telegram_messages("/cover", REZAEI_PHONE, REZAEI_USER),
        telegram_answered,
        telegram_refused("error.RATE_LIMITED.asker"),
    ),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.id)
async def test_a_limit_answers_up_to_it_and_refuses_past_it(
    make_hostile: MakeHostile, limit: Limit, language: str
) -> None:
    inquiries, channels = limit.knobs()
    gateway = await make_hostile(
        inquiries=inquiries, channels=channels, languages=languages_for(language)
    )
    ask = await limit.open(gateway, language)
    for i in range(LIMIT):
        await limit.answered(gateway, await ask(i), language)
    await limit.refused(gateway, await ask(LIMIT), language)
    await gateway.assert_nothing_lost()


def limit_settings() -> set[str]:
    """Every setting that limits how often something may be done, read off the settings."""
    found = {f"[inquiries] {f.name}" for f in fields(QuotaSettings) if "_per_" in f.name}
    found |= {f"[inquiries] {f.name}" for f in fields(QuotaSettings) if f.name.endswith("ceiling")}
    by_channel: dict[str, type] = {
        "web": WebSettings,
        "sms": SmsSettings,
        "ussd": UssdSettings,
        "telegram": TelegramSettings,
        "console": ConsoleSettings,
    }
    for name, cls in by_channel.items():
        found |= {
            f"[channels.{name}] {f.name}"
            for f in fields(cls)
            if "_per_" in f.name or f.name.startswith("signin_failures")
        }
    return found


def test_every_limit_of_every_channel_is_in_the_tables() -> None:
    tested = {limit.setting for limit in LIMITS}
    tested |= {f"[inquiries] {quota.setting}" for quota in QUOTAS}
    assert limit_settings() == tested
    assert {limit.channel for limit in LIMITS} | {d.channel for d in DOORS} == {
        "api",
        "api-batch",
        "fhir",
        "portal",
        "console",
        "sms",
        "ussd",
        "telegram",
    }
    # Every phone channel bounds the insured too, and the console its staff.
    insured = {limit.channel for limit in LIMITS if limit.setting == "[inquiries] insured_per_hour"}
    assert insured == {"sms", "ussd", "telegram"}
