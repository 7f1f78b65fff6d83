"""A real ``serve`` process killed under load, and one stopped with requests in flight.

SIGKILL: JSON API inquiries and signed Twilio SMS arrive concurrently; the process is killed at
a random moment, restarted on the same SQLite file, and every tracking code a client received
in a 200 answer must be in the answer log, whose hash chain must still verify. An answer is
sent only once its row is committed, so a kill can cut requests short but never leave a code
that was handed out unlogged.

SIGTERM: the answer log is held up by another writer (a second connection holding SQLite's
write lock), so requests are in flight and waiting when the signal arrives. The server must
stop listening, let them finish with complete answers, flush the log, close the store (its WAL
file disappears with the last connection) and exit 0 within ``shutdown_grace``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.demo import DEMO_PROVIDER_PHONE
from tests.conftest import seed_demo

API_KEY = "egw_crash_test_" + "k" * 24
TOKEN = "crash-test-auth-token-0123456789"
TOKEN_ENV = "EGW_CRASH_TEST_TWILIO_TOKEN"
GRACE = 4.0
#: Requests in flight when SIGTERM arrives (half API, half SMS).
ASKS = 24
CODE = re.compile(r"\b(\d{4})-(\d{4})-(\d{4})\b")
SERVE = [sys.executable, "-m", "eligibility_gw", "serve"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _codes(text: str) -> list[str]:
    """The tracking codes in an answer, as the log keeps them (12 digits)."""
    return ["".join(m) for m in CODE.findall(text)]


@dataclass
class Site:
    """A registry on disk, the settings of a server on it, and the server when running."""

    folder: Path
    db: Path
    config: Path
    port: int
    ids: list[str]
    env: dict[str, str]
    proc: asyncio.subprocess.Process | None = None
    runs: int = 0

    @property
    def base(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def err_log(self) -> Path:
        """The latest run's standard error (its JSON log lines)."""
        return self.folder / f"serve-{self.runs}.err"

    def said(self) -> str:
        """What the latest run has logged."""
        return self.err_log.read_text(errors="replace")

    def tail(self) -> str:
        """The end of the latest run's log, for failure messages."""
        return self.said()[-3000:]

    async def start(self) -> float:
        """Start ``serve`` and wait until it answers /readyz; the seconds that took."""
        self.runs += 1
        started = time.monotonic()
        with (
            (self.folder / f"serve-{self.runs}.out").open("wb") as out,
            self.err_log.open("wb") as err,
        ):
            self.proc = await asyncio.create_subprocess_exec(
                *SERVE, "--config", str(self.config), stdout=out, stderr=err, env=self.env
            )
        deadline = started + 30
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc.returncode is None, f"serve exited:\n{self.tail()}"
                try:
                    async with session.get(self.base + "/readyz") as resp:
                        if resp.status == 200:
                            return time.monotonic() - started
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, f"not ready:\n{self.tail()}"
                await asyncio.sleep(0.05)

    async def stop(self) -> int:
        """SIGTERM; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), GRACE + 10)

    def wal_left(self) -> bool:
        """Say whether the store's write-ahead log file is still there."""
        return Path(f"{self.db}-wal").exists()

    def logged(self) -> set[str]:
        """Every tracking code in the answer log (the file opened read-only)."""
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            return {r[0] for r in conn.execute("SELECT tracking_code FROM answer_log")}

    async def audit_verify(self) -> tuple[int, str]:
        """``eligibility-gw audit verify``: its exit code and what it printed."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eligibility_gw",
            "audit",
            "verify",
            "--config",
            str(self.config),
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        printed, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode is not None
        return proc.returncode, printed.decode(errors="replace")


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    """The demo personas and a pharmacy (with a phone) on disk, and a server's settings."""
    db = tmp_path / "gateway.sqlite3"
    port = _free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[gateway]
rule_pack = "ir-tamin"
time_zone = "Asia/Tehran"
languages = ["en", "fa"]

[store]
url = "sqlite:///{db}"

[server]
host = "127.0.0.1"
port = {port}
public_base_url = "http://127.0.0.1:{port}"
shutdown_grace = {GRACE}

[logging]
level = "info"
format = "json"

[inquiries]
provider_per_minute = 1000000
insured_per_hour = 1000000
provider_per_national_id = 1000000
national_id_ceiling = 1000000

[twilio]
auth_token_env = "{TOKEN_ENV}"

[channels.sms]
inquiries_per_sender = 1000000

[channels.telegram]
enabled = false

[channels.console]
enabled = false
""",
        encoding="utf-8",
    )
    people = await seed_demo(await open_sqlite_store(db), config, API_KEY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_GW_")}
    env[TOKEN_ENV] = TOKEN
    s = Site(tmp_path, db, config, port, [p.row.national_id for p in people], env)
    try:
        yield s
    finally:
        if s.proc is not None and s.proc.returncode is None:
            s.proc.kill()
            await s.proc.wait()


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Load:
    """What the clients sent and got."""

    codes: set[str] = field(default_factory=set)
    answered: int = 0
    cut: int = 0
    other: list[str] = field(default_factory=list)


async def api_inquiry(session: aiohttp.ClientSession, site: Site, national_id: str) -> list[str]:
    """One JSON API inquiry; the tracking code of a 200 answer, or an AssertionError."""
    async with session.post(
        f"{site.base}/api/v1/inquiries",
        json={"national_id": national_id},
        headers={"Authorization": f"Bearer {API_KEY}", "Accept-Language": "en"},
    ) as resp:
        text = await resp.text()
    assert resp.status == 200, (resp.status, text)
    return _codes(json.loads(text)["tracking_code"])


async def sms_check(session: aiohttp.ClientSession, site: Site, national_id: str) -> list[str]:
    """One signed Twilio webhook: the pharmacy's phone asks about ``national_id``."""
    url = f"{site.base}/channels/sms/twilio"
    sid = "SM" + secrets.token_hex(16)
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "2" * 32,
        "From": DEMO_PROVIDER_PHONE,
        "To": "+98300001420",
        "Body": national_id,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    async with session.post(url, data=form, headers={"X-Twilio-Signature": signature}) as resp:
        text = await resp.text()
    assert resp.status == 200, (resp.status, text)
    codes = _codes(text)
    assert len(codes) == 1, text
    return codes


async def drive(site: Site, load: Load, stop: asyncio.Event, workers: int) -> None:
    """``workers`` clients, API and SMS in turn, each asking again at once until ``stop``."""
    connector = aiohttp.TCPConnector(limit=workers)
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client(number: int) -> None:
            turn = number
            while not stop.is_set():
                turn += 1
                ask = api_inquiry if turn % 2 else sms_check
                try:
                    load.codes.update(await ask(session, site, site.ids[turn % len(site.ids)]))
                    load.answered += 1
                except (aiohttp.ClientError, TimeoutError):
                    load.cut += 1  # the server went away mid-request
                    await asyncio.sleep(0.01)
                except AssertionError as exc:
                    load.other.append(str(exc))

        await asyncio.gather(*(client(i) for i in range(workers)))


async def answered(load: Load, clients: asyncio.Task[None], count: int, site: Site) -> None:
    """Wait until the clients have ``count`` answers."""
    deadline = time.monotonic() + 20
    while load.answered < count:
        assert not clients.done(), clients
        assert time.monotonic() < deadline, (load, site.tail())
        await asyncio.sleep(0.01)


# --- the tests ------------------------------------------------------------------------------


async def test_sigkill_under_load_loses_no_answer_given(site: Site) -> None:
    seed = secrets.randbits(32)
    rng = random.Random(seed)
    await site.start()
    before, stop = Load(), asyncio.Event()
    clients = asyncio.create_task(drive(site, before, stop, workers=12))
    await answered(before, clients, 40, site)  # under load: answers are flowing
    await asyncio.sleep(rng.uniform(0.0, 0.6))  # then at a random moment
    assert site.proc is not None
    site.proc.kill()
    assert await site.proc.wait() == -signal.SIGKILL
    stop.set()
    await asyncio.wait_for(clients, 20)

    restart_s = await site.start()
    after, stop = Load(), asyncio.Event()
    clients = asyncio.create_task(drive(site, after, stop, workers=4))
    await answered(after, clients, 20, site)
    stop.set()
    await asyncio.wait_for(clients, 20)
    assert await site.stop() == 0, site.tail()

    context = f"seed {seed}; {before.answered} answered and {before.cut} cut before the kill"
    assert not before.other, (context, before.other[:3])
    assert not after.other, after.other[:3]
    assert before.cut > 0, f"the kill cut no request short ({context})"
    logged = site.logged()
    missing = (before.codes | after.codes) - logged
    assert not missing, f"{len(missing)} codes handed out but not in the log ({context})"
    # Rows written but never answered (cut by the kill) may exist; none given away is missing.
    assert len(logged) >= len(before.codes) + len(after.codes)
    code, printed = await site.audit_verify()
    assert code == 0, printed
    assert restart_s < 30


async def _ask_then_stop(site: Site, blocker: sqlite3.Connection) -> tuple[list[list[str]], float]:
    """Ask while ``blocker`` holds the write lock, SIGTERM the server, then let the log go;
    the answers and when the signal was sent."""
    assert site.proc is not None
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        asks = [
            asyncio.create_task(
                (api_inquiry if i % 2 else sms_check)(session, site, site.ids[i % len(site.ids)])
            )
            for i in range(ASKS)
        ]
        # Every request has reached the server (the SMS ones say so in its log) and waits.
        deadline = time.monotonic() + 10
        while site.said().count('"event": "sms_received"') < ASKS // 2:
            assert time.monotonic() < deadline, site.tail()
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert not any(a.done() for a in asks), [a.result() for a in asks if a.done()]
        signalled = time.monotonic()
        site.proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        # Not listening any more; every request still waiting for its answer.
        with pytest.raises(aiohttp.ClientConnectionError):
            async with aiohttp.ClientSession() as fresh, fresh.get(site.base + "/healthz"):
                pass
        assert site.proc.returncode is None
        assert not any(a.done() for a in asks)
        blocker.execute("COMMIT")
        return await asyncio.wait_for(asyncio.gather(*asks), GRACE), signalled


async def test_sigterm_drains_in_flight_requests(site: Site) -> None:
    await site.start()
    assert site.proc is not None
    # Another writer holds SQLite's write lock: every answer waits for the log.
    with closing(sqlite3.connect(site.db, isolation_level=None)) as blocker:
        blocker.execute("BEGIN IMMEDIATE")
        answers, signalled = await _ask_then_stop(site, blocker)
    code = await asyncio.wait_for(site.proc.wait(), GRACE + 10)
    took = time.monotonic() - signalled

    assert code == 0, site.tail()
    assert took < GRACE, f"stopped {took:.2f} s after SIGTERM"
    # The store was closed: the last connection to close checkpoints and removes the WAL.
    assert not site.wal_left()
    given = {c for codes in answers for c in codes}
    assert len(given) == ASKS
    assert given <= site.logged()
    said = site.said()
    assert '"event": "stopping"' in said and '"event": "stopped"' in said, site.tail()
    assert '"level": "error"' not in said, site.tail()
    verified, printed = await site.audit_verify()
    assert verified == 0, printed
