"""Two worker processes on PostgreSQL and Redis serve one gateway as if it were one.

``eligibility-gw serve --workers 2`` runs as a subprocess on a fresh PostgreSQL schema and
a Redis key prefix of its own. Concurrent JSON API inquiries, signed Twilio SMS (each
delivered twice) and USSD sessions (each hop on a new connection, so SO_REUSEPORT spreads
them over the workers) must leave: every tracking code a client got in the answer log, one
log row per SMS whatever the redeliveries, a sender's SMS budget kept across both workers,
and an intact hash chain. SIGTERM then stops everything within the grace period.

Which worker answered a hop is read from ``/proc`` (Linux): the server-side socket of the
hop's connection, found by its ports in ``/proc/net/tcp``, is open in exactly one worker.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import asyncpg
import pytest
import redis.asyncio as aioredis
from twilio.request_validator import RequestValidator

from eligibility_gw.adapters.postgres import open_postgres_store
from eligibility_gw.demo import DEMO_PROVIDER_PHONE, personas
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import load_settings
from tests.conftest import seed_demo
from tests.contract.stores import PG_DSN, postgres_reachable
from tests.privacy_scan import record_output

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/0"
TOKEN = "multiprocess-auth-token-0123456789"
TOKEN_ENV = "EGW_MULTIPROCESS_TWILIO_TOKEN"
API_KEY = "egw_multiprocess_" + "k" * 24
SMS_LIMIT = 4  # messages per sender phone and window, counted in Redis by every worker
GRACE = 5.0
WORKERS = 2
CODE = re.compile(r"\b(\d{4})-(\d{4})-(\d{4})\b")
EXE = str(Path(sys.executable).with_name("eligibility-gw"))


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _on_linux_proc() -> bool:
    return Path("/proc/net/tcp").exists()


def _serving(out: Path) -> int:
    """Workers that said they listen."""
    return out.read_text().count("serving on")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _codes(text: str) -> list[str]:
    """The tracking codes in a reply, as the log keeps them (12 digits)."""
    return ["".join(m) for m in CODE.findall(text)]


# --- which worker holds a connection (Linux /proc) ----------------------------------------


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry))
    return found


def _server_socket_inode(server_port: int, client_port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, inode = parts[1], parts[2], parts[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return inode
    return None


def _holder(workers: list[int], server_port: int, client_port: int) -> int | None:
    """The worker whose socket is the server end of the connection from ``client_port``."""
    inode = _server_socket_inode(server_port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in workers:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


# --- the environment: schema, Redis prefix, registry, settings, server ---------------------


@dataclass
class Gateway:
    """The running server and what the test needs to drive and inspect it."""

    base: str
    port: int
    config: Path
    env: dict[str, str]
    dsn: str
    schema: str
    proc: asyncio.subprocess.Process
    workers: list[int] = field(default_factory=list)
    log: Path = Path()


def _write_settings(path: Path, dsn: str, prefix: str, port: int) -> None:
    path.write_text(
        f"""
[gateway]
rule_pack = "ir-tamin"
time_zone = "Asia/Tehran"
languages = ["en", "fa"]

[store]
url = "{dsn}"

[state]
url = "{REDIS_URL}"
key_prefix = "{prefix}"

[server]
host = "127.0.0.1"
port = {port}
public_base_url = "http://127.0.0.1:{port}"
shutdown_grace = {GRACE}

[logging]
level = "info"
format = "json"

[inquiries]
insured_per_hour = 1000
provider_per_national_id = 1000
national_id_ceiling = 1000

[twilio]
auth_token_env = "{TOKEN_ENV}"

[channels.sms]
inquiries_per_sender = {SMS_LIMIT}

[channels.ussd]
hops_per_minute = 1000

[channels.telegram]
enabled = false

[channels.console]
enabled = false
""",
        encoding="utf-8",
    )


async def _fill(dsn: str, config: Path) -> None:
    await seed_demo(await open_postgres_store(dsn, min_size=1, max_size=2), config, API_KEY)


async def _wait_ready(gw: Gateway, out: Path) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as session:
        while True:
            assert gw.proc.returncode is None, f"the server exited:\n{_tail(gw.log)}"
            if _serving(out) >= WORKERS:
                try:
                    async with session.get(gw.base + "/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
            assert time.monotonic() < deadline, f"not ready:\n{_tail(gw.log)}"
            await asyncio.sleep(0.1)
    gw.workers = _children(gw.proc.pid)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    """``eligibility-gw serve --workers 2`` on a fresh schema and Redis prefix."""
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    if not _redis_reachable():
        pytest.skip("no Redis server on 127.0.0.1:6379 (CI runs one)")
    if not _on_linux_proc():
        pytest.skip("reads worker sockets from /proc (Linux)")
    schema = f"multiprocess_{secrets.token_hex(4)}"
    prefix = f"egw-test-{secrets.token_hex(4)}:"
    dsn = f"{PG_DSN}?options=-csearch_path%3D{schema}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f"CREATE SCHEMA {schema}")
    r = aioredis.Redis.from_url(REDIS_URL)
    try:
        port = _free_port()
        config = tmp_path / "gateway.toml"
        _write_settings(config, dsn, prefix, port)
        await _fill(dsn, config)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_GW_")}
        env["ELIGIBILITY_GW_PSEUDONYM_KEY"] = secrets.token_hex(16)
        env[TOKEN_ENV] = TOKEN
        out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = await asyncio.create_subprocess_exec(
                EXE,
                "serve",
                "--config",
                str(config),
                "--workers",
                str(WORKERS),
                stdout=stdout,
                stderr=stderr,
                env=env,
            )
        gw = Gateway(f"http://127.0.0.1:{port}", port, config, env, dsn, schema, proc, log=err)
        try:
            await _wait_ready(gw, out)
            yield gw
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            for log in (out, err):
                record_output(log.read_text("utf-8", errors="replace"), "gateway workers")
    finally:
        keys = [k async for k in r.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await r.delete(*keys)
        await r.aclose()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Seen:
    """What the clients got."""

    codes: set[str] = field(default_factory=set)
    sms_codes: set[str] = field(default_factory=set)
    limited_codes: list[str] = field(default_factory=list)
    limited_replies: list[str] = field(default_factory=list)
    requests: int = 0
    session_workers: list[list[int]] = field(default_factory=list)


def _sms_form(sid: str, sender: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "From": sender,
        "To": "+98300001420",
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }


async def _sms_twice(
    session: aiohttp.ClientSession, gw: Gateway, seen: Seen, sid: str, sender: str, body: str
) -> str:
    """Deliver one SMS, then again with the same MessageSid; both replies must match."""
    url = f"{gw.base}/channels/sms/twilio"  # = public_base_url + path: what Twilio signs
    form = _sms_form(sid, sender, body)
    signature: str = RequestValidator(TOKEN).compute_signature(url, form)
    replies = []
    for _ in range(2):
        async with session.post(url, data=form, headers={"X-Twilio-Signature": signature}) as resp:
            assert resp.status == 200
            replies.append(await resp.text())
        seen.requests += 1
    assert replies[0] == replies[1], "a redelivery got another reply"
    codes = _codes(replies[0])
    seen.codes.update(codes)
    seen.sms_codes.update(codes)
    return replies[0]


async def _inquiry(
    session: aiohttp.ClientSession, gw: Gateway, seen: Seen, national_id: str
) -> None:
    async with session.post(
        f"{gw.base}/api/v1/inquiries",
        json={"national_id": national_id},
        headers={"Authorization": f"Bearer {API_KEY}", "Accept-Language": "en"},
    ) as resp:
        body = await resp.json()
        assert resp.status == 200, body
    seen.requests += 1
    seen.codes.add(re.sub(r"\D", "", body["tracking_code"]))


async def _post_on_new_connection(gw: Gateway, path: str, form: str) -> tuple[int, str, int | None]:
    """POST a form on a TCP connection of its own; the status, the body and the worker that
    answered (looked up while the connection is still open)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    try:
        client_port = writer.get_extra_info("sockname")[1]
        body = form.encode()
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status = int(head.split(" ", 2)[1])
        length = int(re.search(r"(?im)^content-length:\s*(\d+)", head)[1])  # type: ignore[index]
        text = (await reader.readexactly(length)).decode()
        holder = _holder(gw.workers, gw.port, client_port)
    finally:
        writer.close()
        await writer.wait_closed()
    return status, text, holder


async def _ussd_session(gw: Gateway, seen: Seen, phone: str, inputs: list[str]) -> None:
    """One Africa's Talking session; each hop on a TCP connection of its own."""
    session_id = "ATUid_" + secrets.token_hex(8)
    history: list[str] = []
    workers: list[int] = []
    text = ""
    for i, step in enumerate(["", *inputs]):
        if i:
            history.append(step)
        form = {
            "sessionId": session_id,
            "serviceCode": "*384*1420#",
            "phoneNumber": phone,
            "networkCode": "63902",
            "text": "*".join(history),
        }
        status, text, holder = await _post_on_new_connection(
            gw, "/channels/ussd/africastalking", urlencode(form)
        )
        assert status == 200, text
        seen.requests += 1
        assert holder is not None, "no worker holds the hop's connection"
        workers.append(holder)
        expected = "END " if i == len(inputs) else "CON "
        assert text.startswith(expected), (i, text)
    codes = _codes(text)
    assert codes, text
    seen.codes.update(codes)
    seen.session_workers.append(workers)


# --- the test -------------------------------------------------------------------------------


def _new_sid() -> str:
    """A Twilio-shaped MessageSid."""
    return "SM" + secrets.token_hex(16)


async def test_two_workers_share_state_log_and_limits(gateway: Gateway) -> None:
    gw = gateway
    assert len(gw.workers) >= WORKERS, f"workers: {gw.workers}"
    settings = load_settings(gw.config)
    people = personas(rule_pack_for(settings), settings.today())
    ids = [p.row.national_id for p in people]
    principals = {p.row.phone: p.row.national_id for p in people if p.row.phone}
    covered_phones = ["+989121110001", "+989121110002", "+989121110003"]
    assert set(covered_phones) <= set(principals)
    seen = Seen()
    bound = asyncio.Semaphore(24)
    connector = aiohttp.TCPConnector(limit=24)

    async def limited(job: Coroutine[Any, Any, object]) -> None:
        async with bound:
            await job

    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:
        jobs: list[Coroutine[Any, Any, object]] = []
        # JSON API: 150 inquiries about every persona.
        jobs += [_inquiry(session, gw, seen, ids[i % len(ids)]) for i in range(150)]
        # SMS from insured people: each phone its whole budget, about its own principal.
        for phone, national_id in principals.items():
            jobs += [
                _sms_twice(session, gw, seen, _new_sid(), phone, national_id)
                for _ in range(SMS_LIMIT)
            ]

        # SMS from the provider: three times its budget, all at once.
        async def provider_sms(i: int) -> None:
            reply = await _sms_twice(
                session, gw, seen, _new_sid(), DEMO_PROVIDER_PHONE, ids[i % len(ids)]
            )
            seen.limited_replies.append(reply)
            seen.limited_codes.extend(_codes(reply))

        jobs += [provider_sms(i) for i in range(3 * SMS_LIMIT)]
        # USSD: "my cover" (2 hops) and "a family member" (3 hops) sessions.
        for i in range(45):
            phone = covered_phones[i % len(covered_phones)]
            inputs = ["1"] if i % 3 else ["2", "1"]
            jobs.append(_ussd_session(gw, seen, phone, inputs))
        await asyncio.gather(*(limited(j) for j in jobs))
    elapsed = time.monotonic() - started

    conn = await asyncpg.connect(gw.dsn)
    try:
        logged = {
            r["tracking_code"]: (r["channel"], r["asker_kind"])
            for r in await conn.fetch("SELECT tracking_code, channel, asker_kind FROM answer_log")
        }
        sms_rows = await conn.fetchval("SELECT count(*) FROM answer_log WHERE channel = 'sms'")
        provider_sms_rows = await conn.fetchval(
            "SELECT count(*) FROM answer_log WHERE channel = 'sms' AND asker_kind = 'provider'"
        )
    finally:
        await conn.close()

    # Every code any client was given is in the log, written before the reply.
    assert seen.codes, "no client got a tracking code"
    missing = seen.codes - logged.keys()
    assert not missing, f"{len(missing)} codes given but not logged"
    # Redeliveries: one row per answered SMS (each carries one code), none for the repeats.
    assert sms_rows == len(seen.sms_codes)
    # The provider's phone: exactly its budget answered, though both workers took its SMS.
    assert len(seen.limited_codes) == SMS_LIMIT
    assert provider_sms_rows == SMS_LIMIT
    refusals = [r for r in seen.limited_replies if "Too many messages" in r]
    assert len(refusals) == 1, "the refusal is said once per window, then silence"
    # Both workers served, and at least one session's hops were answered by both.
    hops = [w for ws in seen.session_workers for w in ws]
    assert len(set(hops)) == WORKERS, f"hops by worker: {set(hops)}"
    assert any(len(set(ws)) > 1 for ws in seen.session_workers)

    verify = await asyncio.create_subprocess_exec(
        EXE,
        "audit",
        "verify",
        "--config",
        str(gw.config),
        env=gw.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    printed, _ = await asyncio.wait_for(verify.communicate(), 60)
    assert verify.returncode == 0, printed.decode()

    stop_started = time.monotonic()
    gw.proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(gw.proc.wait(), GRACE + 5)
    stopped_in = time.monotonic() - stop_started
    assert code == 0, _tail(gw.log)
    assert stopped_in < GRACE, f"took {stopped_in:.1f} s to stop"
    said = gw.log.read_text(errors="replace")
    assert "sms_records_in_memory" not in said  # the SMS records are PostgreSQL's
    assert '"level": "error"' not in said, _tail(gw.log)
    print(
        f"\n{seen.requests} requests in {elapsed:.1f} s; {len(seen.codes)} codes, all logged;"
        f" {len(seen.session_workers)} USSD sessions,"
        f" {sum(len(set(ws)) > 1 for ws in seen.session_workers)} spanning both workers;"
        f" stopped in {stopped_in:.2f} s"
    )
