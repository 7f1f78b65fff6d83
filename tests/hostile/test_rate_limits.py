"""Every rate limit of every channel, as a table: up to the limit answered, past it refused in
the channel's own way and in the caller's language (the web with 429 and Retry-After).

Each row names the channel, the setting that sets the limit (to a small number here), how
one request is made, and what an allowed and a refused answer look like. The limiter's clock
stands still during a test, so no window ends half-way through a row.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from eligibility_gw import keyvalue
from eligibility_gw.wording import Wording
from tests.channels.console.support import AGENT, AGENT_PASSWORD, SUPERVISOR, StaffVisitor
from tests.channels.sms.support import twilio_form
from tests.channels.web.portal.support import Visitor, csrf_of
from tests.hostile.conftest import MakeGateway
from tests.hostile.support import (
    AT_PATH,
    OTHER_KEY,
    OTHER_PHONE,
    PROVIDER_KEY,
    PROVIDER_PHONE,
    STRANGER_PHONE,
    Answer,
    Hostile,
    assert_twiml,
    form_body,
)

#: Makes the n-th request (from 0) of a row.
Ask = Callable[[int], Awaitable[Answer]]
#: Prepares a row's requests on a gateway, for a caller of a language.
Open = Callable[[Hostile, str], Awaitable[Ask]]
#: Checks an answer, given the gateway and the caller's language.
Check = Callable[[Hostile, Answer, str], Awaitable[None]]

FORM = "application/x-www-form-urlencoded"
TELEGRAM_USERS = {PROVIDER_PHONE: 515_151_001, OTHER_PHONE: 515_151_002}
STRANGER_USER = 515_151_009


def worded(language: str, key: str) -> re.Pattern[str]:
    """The catalog message ``key`` in ``language``, whatever fills its fields."""
    parts = re.split(r"\{[a-z_]+\}", Wording(language).t(key))
    return re.compile(".+?".join(re.escape(part) for part in parts))


def persian(text: str) -> str:
    """``text`` with Persian digits, as a Persian keyboard types it."""
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def retry_after(answer: Answer) -> int:
    """The Retry-After header, which must be a number of seconds."""
    seconds = int(answer.headers["Retry-After"])
    assert seconds >= 1, answer
    return seconds


# --- the web: API, FHIR, provider pages ----------------------------------------------------


def api(path: str, same_person: bool, keys: tuple[str, ...] = (PROVIDER_KEY,)) -> Open:
    """Inquiries to the JSON API or FHIR; about one person or each about another."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        people = [p.row.national_id for p in gateway.people]

        async def ask(i: int) -> Answer:
            national_id = people[0] if same_person else people[i % len(people)]
            headers = {
                "Authorization": f"Bearer {keys[i % len(keys)]}",
                "Accept-Language": language,
            }
            if path.startswith("/fhir/"):
                body: Any = {
                    "resourceType": "CoverageEligibilityRequest",
                    "status": "active",
                    "purpose": ["validation"],
                    "patient": {"identifier": {"value": national_id}},
                }
                content_type = "application/fhir+json"
            elif path.endswith("/batch"):
                body, content_type = [{"national_id": national_id}], "application/json"
            else:
                body, content_type = {"national_id": national_id}, "application/json"
            return await gateway.send(
                "POST", path, json.dumps(body).encode(), content_type, headers
            )

        return ask

    return open_


def api_reads() -> Open:
    """Look-ups of a recorded answer (after the one inquiry that made it)."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        headers = {"Authorization": f"Bearer {PROVIDER_KEY}", "Accept-Language": language}
        body = json.dumps({"national_id": gateway.people[0].row.national_id}).encode()
        made = await gateway.send("POST", "/api/v1/inquiries", body, "application/json", headers)
        code = made.json()["tracking_code"]

        async def ask(_i: int) -> Answer:
            return await gateway.send("GET", f"/api/v1/inquiries/{code}", headers=headers)

        return ask

    return open_


async def api_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200, answer
    data = answer.json()
    assert "tracking_code" in data or data.get("resourceType") == "CoverageEligibilityResponse"


def api_refused(key: str) -> Check:
    async def check(_gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 429, answer
        assert answer.content_type == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "/problems/rate-limited" and problem["status"] == 429
        assert worded(language, key).fullmatch(problem["detail"]), problem["detail"]
        retry_after(answer)

    return check


def fhir_refused(key: str) -> Check:
    async def check(_gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 429, answer
        assert answer.content_type == "application/fhir+json"
        (issue,) = answer.json()["issue"]
        assert issue["code"] == "throttled"
        assert worded(language, key).fullmatch(issue["diagnostics"]), issue
        retry_after(answer)

    return check


async def batch_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200, answer
    assert "tracking_code" in answer.json()["results"][0]


async def batch_item_refused(_gateway: Hostile, answer: Answer, language: str) -> None:
    assert answer.status == 200, answer  # the batch is answered; the item is refused
    (item,) = answer.json()["results"]
    assert "tracking_code" not in item
    assert item["error"]["code"] == "RATE_LIMITED"
    assert worded(language, "web.rate_limited.national_id").fullmatch(item["error"]["detail"])


def portal_checks(same_person: bool) -> Open:
    """Checks on the provider pages, by a provider signed in in ``language``."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        visitor = Visitor(gateway.client, {"Accept-Language": language})
        assert (await visitor.sign_in(PROVIDER_KEY)).status == 303
        people = [p.row.national_id for p in gateway.people]

        async def ask(i: int) -> Answer:
            national_id = people[0] if same_person else people[i % len(people)]
            response, body = await visitor.check(national_id)
            return Answer(response.status, response.content_type, body, response.headers.copy())

        return ask

    return open_


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


# --- the call-centre console ----------------------------------------------------------------


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


# --- SMS --------------------------------------------------------------------------------------


def texts(body: Callable[[Hostile, str], str], senders: tuple[str, ...]) -> Open:
    """SMS from ``senders`` in turn, each saying ``body`` in the language."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        said = body(gateway, language)

        async def ask(i: int) -> Answer:
            return await gateway.sms(
                form_body(list(twilio_form(senders[i % len(senders)], said).items()))
            )

        return ask

    return open_


def asking_about_one_person(gateway: Hostile, language: str) -> str:
    national_id = gateway.people[0].row.national_id
    return persian(national_id) if language == "fa" else national_id


def asking_for_help(_gateway: Hostile, language: str) -> str:
    return "راهنما" if language == "fa" else "HELP"


async def sms_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200
    assert assert_twiml(answer)


def sms_refused(key: str, silence_after: Open | None = None) -> Check:
    async def check(gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 200
        text = assert_twiml(answer)
        assert text is not None and worded(language, key).fullmatch(text), text
        if silence_after is not None:  # told once a window; then no reply is paid for
            again = await (await silence_after(gateway, language))(0)
            assert assert_twiml(again) is None

    return check


# --- USSD -------------------------------------------------------------------------------------


def ussd_sessions(phones: tuple[str, ...], inputs: Callable[[Hostile], list[str]]) -> Open:
    """A whole session per request (Africa's Talking): dial, then ``inputs``; the last screen."""

    async def open_(gateway: Hostile, _language: str) -> Ask:
        typed = inputs(gateway)

        async def ask(i: int) -> Answer:
            phone = phones[i % len(phones)]
            session = f"rl-{i}-{time.monotonic_ns()}"
            history: list[str] = []
            answer = None
            for step in [None, *typed]:
                if step is not None:
                    history.append(step)
                pairs = [("sessionId", session), ("phoneNumber", phone)]
                pairs.append(("text", "*".join(history)))
                answer = await gateway.send("POST", AT_PATH, form_body(pairs), FORM)
                if answer.text.startswith("END "):
                    break
            assert answer is not None
            return answer

        return ask

    return open_


def ussd_screen(ending: bool) -> Check:
    async def check(_gateway: Hostile, answer: Answer, _language: str) -> None:
        assert answer.status == 200, answer
        assert answer.text.startswith("END " if ending else "CON "), answer.text

    return check


def ussd_refused(key: str) -> Check:
    async def check(_gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 200, answer
        assert answer.text == f"END {Wording(language).t(key)}", answer.text

    return check


def checking_one_person(gateway: Hostile) -> list[str]:
    return ["1", gateway.people[0].row.national_id, "1"]  # check a national id, today


def verifying_a_code(_gateway: Hostile) -> list[str]:
    return ["1", "482109375526"]  # verify a tracking code (an unknown phone's first option)


# --- Telegram ---------------------------------------------------------------------------------


def telegram_messages(text: Callable[[Hostile], str], users: tuple[str, ...] = ()) -> Open:
    """Messages to the bot: from the chats linked to ``users`` (phones) in turn, else from one
    chat that shared no phone."""

    async def open_(gateway: Hostile, language: str) -> Ask:
        chats = []
        for phone in users:
            user = TELEGRAM_USERS[phone]
            contact = {"phone_number": phone, "first_name": "T", "user_id": user}
            linked = await gateway.chat(user, language, contact=contact)
            assert linked.status == 200 and linked.text, linked
            chats.append(user)
        said = text(gateway)

        async def ask(i: int) -> Answer:
            user = chats[i % len(chats)] if chats else STRANGER_USER
            return await gateway.chat(user, language, said)

        return ask

    return open_


async def telegram_answered(_gateway: Hostile, answer: Answer, _language: str) -> None:
    assert answer.status == 200
    assert answer.text, "the bot said nothing"


def telegram_refused(key: str, silence_after: bool = False) -> Check:
    async def check(gateway: Hostile, answer: Answer, language: str) -> None:
        assert answer.status == 200
        assert worded(language, key).fullmatch(answer.text), answer.text
        if silence_after:  # told once a window; then updates are not answered one by one
            again = await gateway.chat(STRANGER_USER, language, "/start")
            assert again.status == 200 and again.text == ""

    return check


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """One rate limit: its channel and setting, how it is reached, what is answered."""

    channel: str
    setting: str
    knobs: Mapping[str, Mapping[str, object]]
    allowed: int
    open: Open
    answered: Check
    refused: Check

    @property
    def id(self) -> str:
        return f"{self.channel}:{self.setting}"


LIMITS = [
    Limit(
        "api",
        "requests_per_minute",
        {"web": {"requests_per_minute": 2}},
        2,
        api("/api/v1/inquiries", same_person=False),
        api_answered,
        api_refused("web.rate_limited.provider"),
    ),
    Limit(
        "api",
        "requests_per_minute (recorded answers)",
        {"web": {"requests_per_minute": 3}},
        2,
        api_reads(),
        api_answered,
        api_refused("web.rate_limited.provider"),
    ),
    Limit(
        "api",
        "inquiries_per_national_id",
        {"web": {"inquiries_per_national_id": 2}},
        2,
        api("/api/v1/inquiries", same_person=True, keys=(PROVIDER_KEY, OTHER_KEY)),
        api_answered,
        api_refused("web.rate_limited.national_id"),
    ),
    Limit(
        "api",
        "batches_per_hour",
        {"web": {"batches_per_hour": 2}},
        2,
        api("/api/v1/inquiries/batch", same_person=False),
        batch_answered,
        api_refused("web.rate_limited.provider"),
    ),
    Limit(
        "api",
        "inquiries_per_national_id (batch items)",
        {"web": {"inquiries_per_national_id": 2}},
        2,
        api("/api/v1/inquiries/batch", same_person=True, keys=(OTHER_KEY, PROVIDER_KEY)),
        batch_answered,
        batch_item_refused,
    ),
    Limit(
        "fhir",
        "requests_per_minute",
        {"web": {"requests_per_minute": 2}},
        2,
        api("/fhir/r4/CoverageEligibilityRequest", same_person=False),
        api_answered,
        fhir_refused("web.rate_limited.provider"),
    ),
    Limit(
        "fhir",
        "inquiries_per_national_id",
        {"web": {"inquiries_per_national_id": 2}},
        2,
        api(
            "/fhir/r4/CoverageEligibilityRequest", same_person=True, keys=(OTHER_KEY, PROVIDER_KEY)
        ),
        api_answered,
        fhir_refused("web.rate_limited.national_id"),
    ),
    Limit(
        "portal",
        "requests_per_minute",
        {"web": {"requests_per_minute": 2}},
        2,
        portal_checks(same_person=False),
        page_status(200),
        page_refused("portal.error.rate_limited"),
    ),
    Limit(
        "portal",
        "inquiries_per_national_id",
        {"web": {"inquiries_per_national_id": 2}},
        2,
        portal_checks(same_person=True),
        page_status(200),
        page_refused("portal.error.rate_limited"),
    ),
    Limit(
        "portal",
        "signin_failures",
        {"web": {"signin_failures": 2}},
        2,
        portal_signins(),
        page_status(401),
        page_refused("portal.signin.throttled"),
    ),
    Limit(
        "console",
        "signin_failures",
        {"console": {"signin_failures": 2}},
        2,
        console_signins((AGENT,)),
        page_status(401),
        console_blocked,
    ),
    Limit(
        "console",
        "signin_failures_per_address",
        {"console": {"signin_failures_per_address": 2}},
        2,
        console_signins((AGENT, SUPERVISOR, "nobody-at-all")),
        page_status(401),
        page_refused("console.signin.throttled"),
    ),
    Limit(
        "sms",
        "inquiries_per_sender",
        {"sms": {"inquiries_per_sender": 2}},
        2,
        texts(asking_for_help, (STRANGER_PHONE,)),
        sms_answered,
        sms_refused("sms.rate_limited.sender", texts(asking_for_help, (STRANGER_PHONE,))),
    ),
    Limit(
        "sms",
        "inquiries_per_national_id",
        {"sms": {"inquiries_per_national_id": 2}},
        2,
        texts(asking_about_one_person, (PROVIDER_PHONE, OTHER_PHONE)),
        sms_answered,
        sms_refused("sms.rate_limited.national_id"),
    ),
    Limit(
        "ussd",
        "hops_per_minute",
        {"ussd": {"hops_per_minute": 2}},
        2,
        ussd_sessions((STRANGER_PHONE,), lambda _gateway: []),
        ussd_screen(ending=False),
        ussd_refused("ussd.end.rate_limited"),
    ),
    Limit(
        "ussd",
        "answers_per_hour",
        {"ussd": {"answers_per_hour": 2}},
        2,
        ussd_sessions((STRANGER_PHONE,), verifying_a_code),
        ussd_screen(ending=True),
        ussd_refused("ussd.end.rate_limited"),
    ),
    Limit(
        "ussd",
        "asks_per_national_id_per_hour",
        {"ussd": {"asks_per_national_id_per_hour": 2}},
        2,
        ussd_sessions((PROVIDER_PHONE, OTHER_PHONE), checking_one_person),
        ussd_screen(ending=True),
        ussd_refused("ussd.end.id_rate_limited"),
    ),
    Limit(
        "telegram",
        "updates_per_sender",
        {"telegram": {"updates_per_sender": 2}},
        2,
        telegram_messages(lambda _gateway: "/start"),
        telegram_answered,
        telegram_refused("telegram.rate_limited.sender", silence_after=True),
    ),
    Limit(
        "telegram",
        "inquiries_per_national_id",
        {"telegram": {"inquiries_per_national_id": 2}},
        2,
        telegram_messages(
            lambda gateway: gateway.people[0].row.national_id, (PROVIDER_PHONE, OTHER_PHONE)
        ),
        telegram_answered,
        telegram_refused("telegram.rate_limited.national_id"),
    ),
]


@pytest.fixture
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limiter's clock stands in the middle of a minute and of an hour."""
    now = time.time() // 3600 * 3600 + 1830
    monkeypatch.setattr(keyvalue, "time", SimpleNamespace(time=lambda: now))


@pytest.mark.usefixtures("still_clock")
@pytest.mark.parametrize("language", ["fa", "en"])
@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.id)
async def test_a_limit_answers_up_to_it_and_refuses_past_it(
    make_gateway: MakeGateway, limit: Limit, language: str
) -> None:
    languages = (language, *(lang for lang in ("fa", "en") if lang != language))
    gateway = await make_gateway(limit.knobs, languages)
    ask = await limit.open(gateway, language)
    for i in range(limit.allowed):
        await limit.answered(gateway, await ask(i), language)
    await limit.refused(gateway, await ask(limit.allowed), language)
    await gateway.assert_nothing_lost()


def test_every_channel_has_its_limits_in_the_table() -> None:
    channels = {limit.channel for limit in LIMITS}
    assert channels == {"api", "fhir", "portal", "console", "sms", "ussd", "telegram"}
