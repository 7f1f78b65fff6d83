"""Degraded, not down: every channel answers before, during and after Redis is killed.

One gateway with every channel (API, FHIR, SMS, USSD in both dialects, Telegram, provider
pages, console) keeps its shared state in a ``redis-server`` of the test's own, which is
SIGKILLed mid-run and started again. Nothing an answer needs lives in Redis: answers go on
and are logged; what Redis held (sessions, de-duplication keys, rate counters) is lost with
it, and a session that cannot be read ends politely in the channel's own words. Readiness
says ``degraded`` and names the state, the gauge follows, the log has one warning each way.
A Redis that accepts connections and never answers slows no answer past a bound.

On the code before issue #22 the webhook answered 500 with a traceback, the API 503, USSD
"busy", and readiness "ok".
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import DummyCookieJar
from pytest_aiohttp import AiohttpServer
from structlog.testing import capture_logs

from eligibility_gw.state import DegradingKeyValueStore
from eligibility_gw.wording import Wording
from tests.channels.console.support import AGENT, StaffVisitor, add_staff
from tests.channels.sms.support import REZAEI, TOKEN, SmsGateway, new_sid, twilio_form
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.channels.telegram.support import (
    SECRET,
    SECRET_ENV,
    TOKEN_ENV,
    TelegramGateway,
    only_text,
)
from tests.channels.telegram.support import TOKEN as BOT_TOKEN
from tests.channels.ussd.support import AtSession, HubtelSession, Session
from tests.channels.web.portal.support import Portal
from tests.conftest import MakeGateway
from tests.gateway import TestGateway
from tests.integration.degraded_support import (
    NEEDS_REDIS_SERVER,
    PSEUDONYM_KEY,
    RedisProcess,
    black_hole,
    eventually,
    redis_process,
)

pytestmark = NEEDS_REDIS_SERVER

#: Grouped tracking codes as every channel writes them (ASCII digits: English).
CODE = re.compile(r"\b\d{4}-\d{4}-\d{4}\b")
#: How much a hung Redis may add to one answer at most (its deadline is 50 ms).
SLOWEST_ANSWER = 1.5
FHIR = "/fhir/r4/CoverageEligibilityRequest"
SON = "rezaei-son-no-cert"


@dataclass
class World:
    """The gateway with every channel, its Redis, and a caller of each channel."""

    tg: TestGateway
    redis: RedisProcess | None
    telegram: TelegramGateway
    statuses: list[tuple[str, int]]

    @property
    def state(self) -> DegradingKeyValueStore:
        """The degrading state the gateway was handed."""
        state = self.tg.gateway.state
        assert isinstance(state, DegradingKeyValueStore)
        return state

    @property
    def sms(self) -> SmsGateway:
        """Twilio's side."""
        return SmsGateway(self.tg)

    def ussd(self, dialect: str, phone: str = REZAEI) -> Session:
        """A new USSD session of ``dialect`` from ``phone``, as the operator's gateway sends it."""
        if dialect == "africastalking":
            return AtSession(self.tg.client, phone)
        return HubtelSession(self.tg.client, phone)

    @property
    def portal(self) -> Portal:
        """A provider's browser side."""
        return Portal(self.tg, {k: p.row.national_id for k, p in self.tg.people.items()})

    def seen(self, what: str, status: int) -> int:
        """Note a status the gateway answered (none may be a 5xx); return it."""
        self.statuses.append((what, status))
        return status

    async def kill_redis(self) -> None:
        """SIGKILL Redis; the next call of the state finds it gone."""
        assert self.redis is not None
        self.redis.kill()

    async def restart_redis(self) -> None:
        """Start Redis again; wait (a generous bound) until the state has resumed sharing."""
        assert self.redis is not None
        self.redis.start()
        await eventually(
            lambda: self.state.shared_up and self.state.local_keys == 0,
            what="shared state resumed and handed over",
        )

    async def ask_api(self, persona: str = "rezaei") -> str:
        """A JSON API inquiry; its tracking code."""
        resp = await self.tg.client.post(
            "/api/v1/inquiries",
            json={"national_id": self.tg.nid(persona)},
            headers={**self.tg.auth(), "Accept-Language": "en"},
        )
        assert self.seen("api", resp.status) == 200, await resp.text()
        return str((await resp.json())["tracking_code"])

    async def ask_fhir(self, persona: str = "rezaei") -> str:
        """A FHIR CoverageEligibilityRequest; the response's id (its tracking code)."""
        request = {
            "resourceType": "CoverageEligibilityRequest",
            "status": "active",
            "purpose": ["validation"],
            "created": "2026-01-01",
            "insurer": {"display": "Tamin Ejtemaei"},
            "patient": {"identifier": {"value": self.tg.nid(persona)}},
        }
        resp = await self.tg.client.post(
            FHIR,
            json=request,
            headers={**self.tg.auth(), "Content-Type": "application/fhir+json"},
        )
        assert self.seen("fhir", resp.status) == 200, await resp.text()
        data: dict[str, Any] = await resp.json(content_type=None)
        assert data["resourceType"] == "CoverageEligibilityResponse"
        return str(data["id"])

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        """The readiness document."""
        resp = await self.tg.client.get("/readyz")
        body: dict[str, Any] = await resp.json()
        return resp.status, body

    async def gauge(self) -> float:
        """``eligibility_dependency_up{dependency="state"}`` as /metrics shows it."""
        text = await (await self.tg.client.get("/metrics")).text()
        line = next(
            x
            for x in text.splitlines()
            if x.startswith('eligibility_dependency_up{dependency="state"}')
        )
        return float(line.split()[-1])


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own."""
    with redis_process(tmp_path) as server:
        yield server


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio's and Telegram's secrets; the pseudonym key every process of a shared state
    needs."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv(TOKEN_ENV, BOT_TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.setenv("ELIGIBILITY_GW_PSEUDONYM_KEY", PSEUDONYM_KEY)


async def open_world(
    make_gateway: MakeGateway,
    aiohttp_server: AiohttpServer,
    state_url: str,
    redis: RedisProcess | None,
) -> World:
    """Every channel on, the state at ``state_url`` (fast reconnection for the tests)."""
    api = FakeBotApi(BOT_TOKEN)
    api_url = str((await aiohttp_server(api.app())).make_url("")).rstrip("/")
    telegram = {
        "token_env": TOKEN_ENV,
        "secret_env": SECRET_ENV,
        "api_base_url": f"{api_url}/bot",
        "api_file_base_url": f"{api_url}/file/bot",
    }
    tg = await make_gateway(
        store="sqlite",
        languages=("en", "fa"),
        channels={"web": {}, "sms": {}, "ussd": {}, "telegram": telegram, "console": {}},
        client_args={"cookie_jar": DummyCookieJar()},  # each visitor keeps its own cookies
        extra={"state": {"url": state_url, "reconnect_min": 0.05, "reconnect_max": 0.2}},
    )
    await add_staff(tg.store.casework)
    return World(tg, redis, TelegramGateway(tg, api), [])


@pytest.fixture
async def world(
    make_gateway: MakeGateway,
    aiohttp_server: AiohttpServer,
    redis_server: RedisProcess,
    secrets_env: None,
) -> AsyncIterator[World]:
    """The gateway over the test's Redis; after the test, no answer was a 5xx."""
    w = await open_world(make_gateway, aiohttp_server, redis_server.url, redis_server)
    assert w.state.shared_up
    yield w
    assert [s for s in w.statuses if s[1] >= 500] == []


def transitions(logs: list[MutableMapping[str, Any]]) -> list[str]:
    """The state's transition warnings, in order."""
    return [
        str(e["event"])
        for e in logs
        if e.get("dependency") == "state" and e["log_level"] == "warning"
    ]


# -- JSON API and FHIR ------------------------------------------------------------------------


async def test_api_and_fhir_answer_and_log_before_during_and_after(world: World) -> None:
    codes = [await world.ask_api(), await world.ask_fhir()]
    await world.kill_redis()
    codes += [await world.ask_api(), await world.ask_fhir(SON), await world.ask_api(SON)]
    await world.restart_redis()
    codes += [await world.ask_api(), await world.ask_fhir()]
    # Every answer given was logged first.
    for code in codes:
        assert CODE.fullmatch(code) or re.fullmatch(r"\d{12}", code), code
    assert await world.tg.answers() == len(codes)


# -- SMS --------------------------------------------------------------------------------------


async def test_sms_answers_and_a_redelivery_is_answered_once(world: World) -> None:
    sms = world.sms
    before = await sms.post(twilio_form(REZAEI, world.tg.nid("rezaei")))
    assert world.seen("sms", before.status) == 200
    assert before.message and CODE.search(before.message)
    await world.kill_redis()
    sid = new_sid()
    during = await sms.post(twilio_form(REZAEI, world.tg.nid("rezaei"), sid))
    again = await sms.post(twilio_form(REZAEI, world.tg.nid("rezaei"), sid))  # Twilio's retry
    for reply in (during, again):
        assert world.seen("sms", reply.status) == 200
        assert reply.content_type == "text/xml"
    assert during.message and CODE.search(during.message)
    assert again.body == during.body  # the same worker answers a redelivery once
    assert await world.tg.answers() == 2
    await world.restart_redis()
    # After the return, the redelivery is still known (the key was handed on to Redis)…
    late = await sms.post(twilio_form(REZAEI, world.tg.nid("rezaei"), sid))
    assert late.body == during.body
    # …and new messages are answered.
    after = await sms.post(twilio_form(REZAEI, world.tg.nid("rezaei")))
    assert world.seen("sms", after.status) == 200
    assert after.message and CODE.search(after.message)
    assert await world.tg.answers() == 3


# -- USSD -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["africastalking", "hubtel"])
async def test_ussd_sessions_through_the_outage(world: World, dialect: str) -> None:
    expired = Wording("en").t("ussd.end.expired")
    whole = world.ussd(dialect)
    assert not (await whole.dial()).end
    done = await whole.send("1")
    assert done.end and CODE.search(done.text)

    interrupted = world.ussd(dialect)
    assert not (await interrupted.dial()).end
    await world.kill_redis()
    # The session lived in Redis: it cannot be read, and ends politely ("dial again").
    cut = await interrupted.send("1")
    assert world.seen("ussd", cut.status) == 200
    assert cut.end
    assert cut.text == expired
    # A session begun now lives in this process, hop after hop.
    during = world.ussd(dialect)
    assert not (await during.dial()).end
    answered = await during.send("1")
    assert answered.end and CODE.search(answered.text)
    # One begun during the outage goes on after Redis is back (handed on to it).
    spanning = world.ussd(dialect)
    assert not (await spanning.dial()).end
    await world.restart_redis()
    last = await spanning.send("1")
    assert world.seen("ussd", last.status) == 200
    assert last.end and CODE.search(last.text)
    assert await world.tg.answers() == 3


# -- Telegram ---------------------------------------------------------------------------------


async def test_telegram_answers_and_a_redelivered_update_once(world: World) -> None:
    telegram = world.telegram
    user = await telegram.linked(REZAEI)
    assert CODE.search(only_text(await user.command("cover")))
    await world.kill_redis()
    assert CODE.search(only_text(await user.command("cover")))
    update = user.message(
        text="/cover", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
    )
    assert world.seen("telegram", await user.post(update)) == 200
    assert CODE.search(only_text(user.last))
    assert world.seen("telegram", await user.post(update)) == 200  # Telegram's retry
    assert user.last == []  # acknowledged, not answered again
    await world.restart_redis()
    assert CODE.search(only_text(await user.command("cover")))
    assert await world.tg.answers() == 4


# -- provider pages and console ---------------------------------------------------------------


async def test_portal_signs_in_again_and_checks(world: World) -> None:
    portal = world.portal
    clerk = await portal.signed_in()
    response, page = await clerk.check(world.tg.nid("rezaei"))
    assert world.seen("portal", response.status) == 200
    assert CODE.search(page)
    await world.kill_redis()
    # The session lived in Redis: the clerk is asked to sign in again, never shown an error.
    response, page = await clerk.check(world.tg.nid("rezaei"))
    assert world.seen("portal", response.status) < 500
    assert not CODE.search(page)
    assert world.seen("portal", (await clerk.sign_in()).status) == 303
    response, page = await clerk.check(world.tg.nid("rezaei"))
    assert world.seen("portal", response.status) == 200
    assert CODE.search(page)
    # Signed in during the outage, still signed in after it.
    await world.restart_redis()
    response, page = await clerk.check(world.tg.nid("rezaei"))
    assert world.seen("portal", response.status) == 200
    assert CODE.search(page)
    assert await world.tg.answers() == 3


async def test_console_signs_in_again_and_looks_up(world: World) -> None:
    agent = StaffVisitor(world.tg.client)
    assert world.seen("console", (await agent.sign_in()).status) == 303
    response, page = await agent.search(world.tg.nid("rezaei"))
    assert world.seen("console", response.status) == 200
    await world.kill_redis()
    response, _ = await agent.get("/console/")
    assert world.seen("console", response.status) < 500
    assert world.seen("console", (await agent.sign_in()).status) == 303
    response, page = await agent.search(world.tg.nid("rezaei"))
    assert world.seen("console", response.status) == 200
    assert "Rezaei" in page
    await world.restart_redis()
    response, page = await agent.get("/console/")
    assert world.seen("console", response.status) == 200
    assert AGENT in page


# -- readiness, the gauge, the log ------------------------------------------------------------


async def test_readiness_gauge_and_one_warning_each_way(world: World) -> None:
    status, body = await world.readyz()
    assert status == 200
    assert body["status"] == "ok"
    assert body["dependencies"]["state"]["status"] == "ok"
    assert await world.gauge() == 1.0
    with capture_logs() as logs:
        await world.kill_redis()
        for _ in range(5):  # traffic of every kind, and readiness polled meanwhile
            await world.ask_api()
            await world.sms.post(twilio_form(REZAEI, world.tg.nid("rezaei")))
            status, body = await world.readyz()
            assert status == 200
            assert body["status"] == "degraded"
            assert body["failing"] == ["state"]
            assert body["dependencies"]["state"]["status"] == "unavailable"
            assert body["dependencies"]["store"]["status"] == "ok"
        assert await world.gauge() == 0.0
        await world.restart_redis()
        status, body = await world.readyz()
        await world.ask_api()
    assert status == 200
    assert body["status"] == "ok"
    assert "failing" not in body
    assert await world.gauge() == 1.0
    assert transitions(logs) == ["dependency_unavailable", "dependency_restored"]
    # Nothing else was told as a failure while Redis was out.
    assert [e["event"] for e in logs if e["log_level"] in ("error", "critical")] == []


async def test_without_the_store_readiness_still_refuses(world: World) -> None:
    """No answer may go out unlogged: the store is what readiness is 503 for."""
    await world.kill_redis()
    await world.ask_api()
    await world.tg.store.close()
    resp = await world.tg.client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503
    assert body["status"] == "unavailable"
    assert body["failing"] == ["state", "store"]


# -- a Redis that never answers ---------------------------------------------------------------


async def test_a_redis_that_never_answers_slows_no_channel(
    make_gateway: MakeGateway, aiohttp_server: AiohttpServer, secrets_env: None
) -> None:
    async with black_hole() as hole:
        w = await open_world(make_gateway, aiohttp_server, hole.url, None)
        assert not w.state.shared_up  # found at start-up: the gateway starts, degraded
        slowest = 0.0

        async def timed(call: Any) -> Any:
            nonlocal slowest
            started = time.perf_counter()
            result = await call
            slowest = max(slowest, time.perf_counter() - started)
            return result

        await timed(w.ask_api())
        await timed(w.ask_fhir())
        reply = await timed(w.sms.post(twilio_form(REZAEI, w.tg.nid("rezaei"))))
        assert reply.message and CODE.search(reply.message)
        for dialect in ("africastalking", "hubtel"):
            session = w.ussd(dialect)
            await timed(session.dial())
            assert CODE.search((await timed(session.send("1"))).text)
        user = w.telegram.user()
        await timed(user.share_contact(REZAEI))
        assert CODE.search(only_text(await timed(user.command("cover"))))
        clerk = await timed(w.portal.signed_in())
        _, page = await timed(clerk.check(w.tg.nid("rezaei")))
        assert CODE.search(page)
        status, body = await timed(w.readyz())
        assert (status, body["status"]) == (200, "degraded")
        assert slowest < SLOWEST_ANSWER
        assert await w.tg.answers() == 7
        assert [s for s in w.statuses if s[1] >= 500] == []
