"""The aiohttp application on a real SQLite file: health, readiness and request ids."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from eligibility_gw import __version__
from eligibility_gw.app import create_app
from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.settings import Settings

GENERATED_ID = re.compile(r"[0-9a-f]{16}")


async def test_healthz(aiohttp_client: AiohttpClient, settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert await resp.json() == {"status": "ok", "version": __version__}


async def test_readyz_names_the_rule_pack(
    aiohttp_client: AiohttpClient, settings: Settings, db_path: Path
) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {
        "status": "ok",
        "rule_pack": "ir-tamin@2026.1",
        "dependencies": {"store": {"status": "ok"}, "state": {"status": "ok"}},
    }
    # The app opened (and migrated) the store its settings name.
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT min(version) FROM schema_migration").fetchone() == (1,)
    finally:
        conn.close()


async def test_readyz_is_503_when_the_store_does_not_answer(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    gateway = await open_gateway(settings)
    await gateway.store.close()  # gone: every query fails
    try:
        client = await aiohttp_client(create_app(settings, gateway))
        resp = await client.get("/readyz")
        assert resp.status == 503
        body = await resp.json()
        assert body["status"] == "unavailable"
        assert body["rule_pack"] == "ir-tamin@2026.1"
        assert body["failing"] == ["store"]
        assert body["dependencies"]["store"]["status"] == "unavailable"
        assert body["dependencies"]["state"] == {"status": "ok"}
        # Liveness does not depend on the store.
        assert (await client.get("/healthz")).status == 200
    finally:
        await gateway.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/readyz", 200),
        ("GET", "/no/such/route", 404),
        ("POST", "/healthz", 405),
    ],
)
async def test_sane_request_id_is_echoed(
    aiohttp_client: AiohttpClient, settings: Settings, method: str, path: str, status: int
) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.request(method, path, headers={"X-Request-Id": "req-42.abc_DEF"})
    assert resp.status == status
    assert resp.headers["X-Request-Id"] == "req-42.abc_DEF"


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("x" * 65, id="too-long"),
        pytest.param("a\tb", id="control-character"),
        pytest.param("", id="empty"),
    ],
)
async def test_insane_request_id_is_replaced(
    aiohttp_client: AiohttpClient, settings: Settings, given: str
) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz", headers={"X-Request-Id": given})
    assert resp.status == 200
    assert GENERATED_ID.fullmatch(resp.headers["X-Request-Id"])


async def test_request_id_is_made_up_when_absent(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    first = (await client.get("/healthz")).headers["X-Request-Id"]
    second = (await client.get("/healthz")).headers["X-Request-Id"]
    assert GENERATED_ID.fullmatch(first)
    assert GENERATED_ID.fullmatch(second)
    assert first != second


async def test_longest_sane_request_id_is_kept(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    resp = await client.get("/healthz", headers={"X-Request-Id": "y" * 64})
    assert resp.headers["X-Request-Id"] == "y" * 64


async def test_the_cores_app_serves_no_channel_it_is_not_given(
    aiohttp_client: AiohttpClient, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    for path in ("/api/v1/inquiries", "/channels/sms/twilio", "/console/"):
        assert (await client.get(path)).status == 404, path
