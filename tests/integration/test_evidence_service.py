"""Live evidence through the service wired by ``open_gateway``: who is looked up, what is logged.

The registries are local fake servers reached through the real HTTP adapters; the store is a
real SQLite file holding the ir-tamin demo personas.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer
from structlog.testing import capture_logs

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.demo import personas
from eligibility_gw.domain.evidence import EVIDENCE_ON_FILE, CivilRecord, StudentRecord
from eligibility_gw.domain.model import Status
from eligibility_gw.evidence import LiveEvidence
from eligibility_gw.gateway import Gateway
from eligibility_gw.logs import configure_logging
from eligibility_gw.policy.askers import Asker, AskerKind
from eligibility_gw.ports import EvidenceUnavailable
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.settings import Settings, parse_settings

ASKER = Asker("web", AskerKind.PROVIDER, "pharmacy-1")


@dataclass
class Registries:
    """Fake student and civil registries: ``mode`` says how each answers."""

    mode: dict[str, str] = field(default_factory=lambda: {"student": "up", "civil": "up"})
    asked: list[tuple[str, str]] = field(default_factory=list)

    async def students(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.asked.append(("student", body["national_id"]))
        return await self._answer("student", body, {"certificates": []})

    async def civil(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.asked.append(("civil", body["national_id"]))
        return await self._answer(
            "civil", body, {"birth_registered": True, "marital_status": "single"}
        )

    async def _answer(
        self, name: str, body: dict[str, Any], facts: dict[str, Any]
    ) -> web.StreamResponse:
        mode = self.mode[name]
        if mode == "down":
            return web.json_response({"error": "maintenance"}, status=500)
        if mode == "slow":
            await asyncio.sleep(30)  # far past any deadline: the answer never waits for it
        if mode == "garbled":
            return web.Response(text=f"error for {body['national_id']}", content_type="text/plain")
        return web.json_response({"national_id": body["national_id"], **facts})


@pytest.fixture
def registries() -> Registries:
    return Registries()


@pytest.fixture
async def registry_server(registries: Registries, aiohttp_server: AiohttpServer) -> TestServer:
    app = web.Application()
    app.router.add_post("/students", registries.students)
    app.router.add_post("/civil", registries.civil)
    return await aiohttp_server(app)


def evidence_settings(db: Path, server: TestServer, pack: str = "ir-tamin") -> Settings:
    return parse_settings(
        {
            "gateway": {"rule_pack": pack, "time_zone": "Asia/Tehran"},
            "store": {"url": f"sqlite:///{db}"},
            # Deadlines of a second or more: a busy machine answers a local registry well
            # within them, so only the "slow" registry ever meets one.
            "server": {"lookup_timeout": 3.0},
            "evidence": {
                "student": {"url": str(server.make_url("/students")), "timeout": 1.0},
                "civil": {"url": str(server.make_url("/civil")), "timeout": 1.0},
            },
        }
    )


@pytest.fixture
async def core(tmp_path: Path, registry_server: TestServer) -> AsyncIterator[Gateway]:
    opened = await open_gateway(evidence_settings(tmp_path / "ev.sqlite3", registry_server))
    try:
        rows = [p.row for p in personas(opened.pack, opened.settings.today())]
        await opened.store.registry.upsert_rows(rows)
        yield opened
    finally:
        await opened.close()


def nid(core: Gateway, key: str) -> str:
    return next(
        p for p in personas(core.pack, core.settings.today()) if p.key == key
    ).row.national_id


async def test_only_members_whose_rules_read_a_registry_are_looked_up(
    core: Gateway, registries: Registries
) -> None:
    for key in ("rezaei", "rezaei-wife", "rezaei-son-18", "karimi-father", "ahmadi-son"):
        await core.service.ask(nid(core, key), ASKER)
    assert registries.asked == []
    await core.service.ask(nid(core, "rezaei-son-student"), ASKER)
    await core.service.ask(nid(core, "karimi-daughter"), ASKER)
    assert registries.asked == [
        ("student", nid(core, "rezaei-son-student")),
        ("civil", nid(core, "karimi-daughter")),
    ]


async def test_live_answers_decide_and_are_logged(core: Gateway, registries: Registries) -> None:
    # The registry holds no certificate for the son with one on file: it wins.
    answer = await core.service.ask(nid(core, "rezaei-son-student"), ASKER)
    assert answer.status is Status.NOT_ELIGIBLE
    assert [r.code for r in answer.reasons] == ["STUDENT_CERTIFICATE_REQUIRED"]
    # The civil registry holds the birth of the daughter whose certificate was never shown.
    answer = await core.service.ask(nid(core, "rezaei-daughter-no-bc"), ASKER)
    assert answer.status is Status.ELIGIBLE
    logged = await core.store.answers.find(answer.tracking_code)
    assert logged is not None and logged.status is Status.ELIGIBLE


@pytest.mark.parametrize("mode", ["down", "slow", "garbled"])
async def test_a_silent_registry_falls_back_or_leaves_undetermined(
    core: Gateway, registries: Registries, mode: str
) -> None:
    registries.mode = {"student": mode, "civil": mode}
    loop = asyncio.get_running_loop()
    started = loop.time()
    son = await core.service.ask(nid(core, "rezaei-son-student"), ASKER)
    assert son.status is Status.ELIGIBLE
    assert [(r.code, r.blocking) for r in son.reasons] == [(EVIDENCE_ON_FILE, False)]
    assert son.cover_end is not None
    daughter = await core.service.ask(nid(core, "karimi-daughter"), ASKER)
    assert daughter.status is Status.UNDETERMINED
    assert [r.code for r in daughter.reasons] == ["CIVIL_REGISTRY_UNAVAILABLE"]
    # Two lookups, each cut at its 1 s timeout, never the registry's 30 s.
    assert loop.time() - started < 10
    for answer in (son, daughter):
        logged = await core.store.answers.find(answer.tracking_code)
        assert logged is not None
        assert logged.reasons == answer.reasons
    assert (await core.store.answers.verify()).ok


async def test_family_answers_consult_the_registries_too(
    core: Gateway, registries: Registries
) -> None:
    registries.mode["civil"] = "down"
    family = await core.service.find_family(nid(core, "karimi-daughter"))
    assert family is not None
    her = family.member(nid(core, "karimi-daughter"))
    assert her is not None
    answer = await core.service.decide_for(her, family, ASKER, core.settings.today())
    assert answer.status is Status.UNDETERMINED
    assert [r.code for r in answer.reasons] == ["CIVIL_REGISTRY_UNAVAILABLE"]


async def test_without_evidence_settings_nothing_is_wired(settings: Settings) -> None:
    opened = await open_gateway(settings)
    try:
        assert opened.evidence is None
        assert opened.service.evidence is None
    finally:
        await opened.close()


async def test_a_registry_the_pack_does_not_use_is_never_asked(
    tmp_path: Path, registry_server: TestServer, registries: Registries
) -> None:
    with capture_logs() as logs:
        opened = await open_gateway(
            evidence_settings(tmp_path / "ro.sqlite3", registry_server, pack="ro-cnas")
        )
    try:
        assert opened.evidence is not None
        assert set(opened.evidence.kinds) == {"student"}
        unused = [e for e in logs if e["event"] == "evidence_registry_unused"]
        assert [e["registry"] for e in unused] == ["civil"]
    finally:
        await opened.close()


# --- the gatherer on its own: any failure of an adapter is "unavailable" --------------------------


class _Broken:
    """Adapters that fail in every way the gatherer must absorb."""

    def __init__(self, how: str) -> None:
        self.how = how

    async def _fail(self, national_id: str) -> None:
        if self.how == "slow":
            await asyncio.sleep(60)
        if self.how == "unavailable":
            raise EvidenceUnavailable("status 502")
        raise RuntimeError(f"bug while asking about {national_id}")

    async def certificates(self, national_id: str, day: date) -> StudentRecord:
        await self._fail(national_id)
        return StudentRecord()

    async def civil_record(self, national_id: str, day: date) -> CivilRecord:
        await self._fail(national_id)
        return CivilRecord(True)


@pytest.mark.parametrize("how", ["slow", "unavailable", "bug"])
async def test_the_gatherer_turns_every_failure_into_unavailable(core: Gateway, how: str) -> None:
    pack = load_rule_pack("ir-tamin")
    live = LiveEvidence(pack, _Broken(how), _Broken(how), deadline=1.0)
    family = await core.service.find_family(nid(core, "karimi-daughter"))
    assert family is not None
    her = family.member(nid(core, "karimi-daughter"))
    assert her is not None
    evidence = await asyncio.wait_for(live.gather(her, family, core.settings.today()), 20)
    assert evidence is not None
    assert evidence.unavailable == {"civil"}
    assert evidence.civil is None


# --- logs ----------------------------------------------------------------------------------------


async def test_logs_never_carry_national_ids(
    core: Gateway, registries: Registries, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = [nid(core, k) for k in ("rezaei-son-student", "karimi-daughter", "karimi-son-lapsed")]
    family = await core.service.find_family(asked[1])
    assert family is not None
    her = family.member(asked[1])
    assert her is not None
    broken = LiveEvidence(core.pack, _Broken("bug"), _Broken("bug"), deadline=1.0)
    # Raw events, before any redaction: the code itself must not put an id in them.
    with capture_logs() as raw:
        for mode in ("down", "garbled", "up"):
            registries.mode = {"student": mode, "civil": mode}
            for national_id in asked:
                await core.service.ask(national_id, ASKER)
        await broken.gather(her, family, core.settings.today())
    events = json.dumps(raw, default=str)
    assert "evidence_unavailable" in events
    assert "evidence_failed" in events
    for national_id in asked:
        assert national_id not in events
    # And as configured for production: JSON lines on stderr.
    configure_logging("info", "json")
    try:
        registries.mode = {"student": "garbled", "civil": "down"}
        for national_id in asked:
            await core.service.ask(national_id, ASKER)
        await broken.gather(her, family, core.settings.today())
    finally:
        structlog.reset_defaults()
    err = capsys.readouterr().err
    assert "evidence_unavailable" in err
    for national_id in asked:
        assert national_id not in err
