"""What the soak and crash benchmarks share: a real gateway with every channel, and its traffic.

- ``prepare_registry``: a private copy of a synthetic registry (``bench_import``'s database, or
  an import of the cached CSV), with a provider that has an API key and a phone.
- ``Gateway``: ``python -m eligibility_gw serve --config`` as a subprocess pinned to the server
  CPU, with its resident set size and CPU time read from ``/proc``.
- ``FakeBotApi``: the Telegram Bot API as the bot sees it (``getMe``, ``sendMessage``, ...),
  served by the load generator itself, which so learns what the bot told each chat.
- ``Traffic``: one *arrival* of each channel, as the channel's real peers send it, and the
  reply sorted into *answered* (with its tracking codes), *shed* (the channel's "busy":
  503 with Retry-After on the API, FHIR and Telegram, "busy, try again" in TwiML or on a USSD
  screen) or *failed* (anything else: an error status, a malformed or unexpected reply, a
  connection cut or a timeout).
- ``closed_loop`` and ``open_loop`` drive arrivals of the mix, into a ``Tally``.

The mix, by arrival (``WEIGHTS``): JSON API inquiries 40 %, FHIR CoverageEligibilityRequests
10 %, signed Twilio SMS 20 % (half a provider's check of anyone, half an insured person's own
cover), USSD sessions 15 % (every hop a request: "my cover" in 2 hops, a provider's check in
4; Africa's Talking and Hubtel in turn), Telegram updates 15 % (``/cover`` from users who
shared their phone before the measurement). Every arrival that is answered carries exactly one
tracking code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from bench._common import (
    DATA_DIR,
    bench_settings,
    db_path,
    registry_csv,
    remove_db,
    twilio_form,
)
from eligibility_gw.wording import Wording

SERVER_CPU = 0
LOAD_CPU = 1
PYTHON = sys.executable
PROVIDER_ID = "bench-mixed"
PROVIDER_PHONE = "+989350009001"
#: Only ever stored in the benchmarks' copies of the registry.
PROVIDER_KEY = "egw_bench_mixed_key_for_local_benchmarks_only"
TWILIO_TOKEN = "bench-twilio-auth-token-0123456789abcdef"  # noqa: S105 (local benchmarks only)
TWILIO_TOKEN_ENV = "EGW_BENCH_TWILIO_AUTH_TOKEN"  # noqa: S105 (a variable's name)
BOT_TOKEN = "123456789:bench-token_for_the_fake_bot_api"  # noqa: S105 (local benchmarks only)
BOT_TOKEN_ENV = "EGW_BENCH_TELEGRAM_TOKEN"  # noqa: S105 (a variable's name)
BOT_SECRET = "bench-webhook-secret_0123456789"  # noqa: S105 (local benchmarks only)
BOT_SECRET_ENV = "EGW_BENCH_TELEGRAM_SECRET"  # noqa: S105 (a variable's name)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header's name)
FHIR_JSON = "application/fhir+json"
_UNLIMITED = 1_000_000_000
#: Arrivals of each channel in every 100.
WEIGHTS: dict[str, int] = {"api": 40, "fhir": 10, "sms": 20, "ussd": 15, "telegram": 15}
CHANNELS = tuple(WEIGHTS)
_CODE = re.compile(r"\b(\d{4})-(\d{4})-(\d{4})\b")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def tool(name: str) -> str:
    """The path of a command-line tool, or ``FileNotFoundError``."""
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} is not installed")
    return path


def codes_in(text: str) -> list[str]:
    """The tracking codes in a reply, as the log keeps them (12 ASCII digits)."""
    return ["".join(m) for m in _CODE.findall(text.translate(_DIGITS))]


def free_port() -> int:
    """A TCP port free on the loopback just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def pinned(cpu: int) -> Iterator[None]:
    """Run this process on one CPU for the block (when the machine has it)."""
    before = os.sched_getaffinity(0)
    if cpu in before and len(before) > 1:
        os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


# ---------------------------------------------------------------------------------------
# The registry.


def _people(path: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM person").fetchone()[0])
    except sqlite3.Error:
        return -1


def prepare_registry(pack_name: str, rows: int, name: str) -> Path:
    """A fresh private copy of a ``rows``-person registry in ``bench/data``, with the provider.

    Copied (SQLite backup) from the database ``bench_import`` keeps when it is complete, else
    from an import of the cached CSV made once and kept beside it (``mixed-base-*``).
    """
    source = db_path(pack_name, rows)
    if not (source.exists() and _people(source) == rows):
        source = DATA_DIR / f"mixed-base-{pack_name}-{rows}.sqlite3"
        if _people(source) != rows:
            from bench.bench_import import import_once

            remove_db(source)
            print(f"  importing {rows:,} rows into {source.name} (kept for later runs) ...")
            csv = registry_csv(pack_name, rows)
            asyncio.run(import_once(pack_name, csv, source)).show("import")
    target = DATA_DIR / f"{name}-{pack_name}-{rows}.sqlite3"
    remove_db(target)
    started = time.perf_counter()
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    print(f"  copied {source.name} to {target.name} in {time.perf_counter() - started:.1f} s")
    asyncio.run(_add_provider(pack_name, target))
    return target


async def _add_provider(pack_name: str, path: Path) -> None:
    from eligibility_gw.bootstrap import open_gateway
    from eligibility_gw.domain.provider import ProviderKind
    from eligibility_gw.providers import hash_api_key

    gateway = await open_gateway(bench_settings(pack_name, path))
    try:
        await gateway.store.providers.add(
            PROVIDER_ID,
            "Bench Pharmacy",
            ProviderKind.PHARMACY,
            PROVIDER_PHONE,
            hash_api_key(PROVIDER_KEY),
        )
    finally:
        await gateway.close()


@dataclass(frozen=True, slots=True)
class Population:
    """Whom the traffic asks about, and who asks."""

    #: National ids of anyone in the registry (a random sample).
    ids: list[str]
    #: (phone, national id) of insured principals with a phone on file (a random sample).
    insured: list[tuple[str, str]]


def population(db: Path, size: int = 5_000, seed: int = 17) -> Population:
    """A random sample of the registry's persons and of its principals with a phone."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        ids = [r[0] for r in conn.execute("SELECT national_id FROM person")]
        insured = [
            (r[0], r[1])
            for r in conn.execute(
                "SELECT phone, national_id FROM person WHERE phone IS NOT NULL"
                " AND principal_id IS NULL"
            )
        ]
    rng = random.Random(seed)
    return Population(
        rng.sample(ids, min(size, len(ids))), rng.sample(insured, min(size, len(insured)))
    )


def answer_log_codes(db: Path) -> set[str]:
    """Every tracking code in the answer log (the file opened read-only)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {r[0] for r in conn.execute("SELECT tracking_code FROM answer_log")}


# ---------------------------------------------------------------------------------------
# The gateway process.


def gateway_config(
    pack_name: str,
    db: Path,
    port: int,
    bot_api: str,
    folder: Path,
    *,
    grace: float = 10.0,
    max_in_flight: int = 512,
    state_url: str = "memory://",
) -> Path:
    """Settings with every channel on, rate limits out of the way, Telegram at ``bot_api``."""
    channel_limits: dict[str, dict[str, object]] = {
        "sms": {"inquiries_per_sender": _UNLIMITED},
        "ussd": {"hops_per_minute": _UNLIMITED},
        "telegram": {
            "token_env": BOT_TOKEN_ENV,
            "secret_env": BOT_SECRET_ENV,
            "api_base_url": f"{bot_api}/bot",
            "api_file_base_url": f"{bot_api}/file/bot",
            "updates_per_sender": _UNLIMITED,
        },
    }
    tables = "\n".join(
        f"[channels.{name}]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in knobs.items())
        for name, knobs in channel_limits.items()
    )
    config = folder / "gateway.toml"
    config.write_text(
        f"""
[gateway]
rule_pack = "{pack_name}"
time_zone = "Asia/Tehran"
languages = ["en", "fa"]

[store]
url = "sqlite:///{db}"

[state]
url = "{state_url}"
key_prefix = "{state_prefix(port)}"

[server]
host = "127.0.0.1"
port = {port}
public_base_url = "http://127.0.0.1:{port}"
shutdown_grace = {grace}
max_in_flight = {max_in_flight}

[logging]
level = "info"
format = "json"

# The traffic repeats askers and persons far past any real quota: quotas out of the way.
[inquiries]
provider_per_minute = {_UNLIMITED}
insured_per_hour = {_UNLIMITED}
provider_per_national_id = {_UNLIMITED}
national_id_ceiling = {_UNLIMITED}

[twilio]
auth_token_env = "{TWILIO_TOKEN_ENV}"

{tables}
""",
        encoding="utf-8",
    )
    return config


def state_prefix(port: int) -> str:
    """The shared-state key prefix of the gateway on ``port`` (its keys only)."""
    return f"egw-bench-{port}:"


def forget_state(state_url: str, port: int) -> None:
    """Delete the keys the gateway on ``port`` left in a Redis shared state."""
    if not state_url.startswith("redis"):
        return
    import redis

    client = redis.Redis.from_url(state_url)
    try:
        keys = list(client.scan_iter(match=state_prefix(port) + "*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])
    finally:
        client.close()


REDIS_SERVER = "/usr/bin/redis-server"


def redis_server_path() -> str | None:
    """Debian's redis-server, or another on the PATH; None when there is none."""
    return REDIS_SERVER if Path(REDIS_SERVER).exists() else shutil.which("redis-server")


@dataclass
class RedisServer:
    """A redis-server of the benchmark's own on a free port: started, SIGKILLed, restarted.

    Without persistence: after a kill it comes back empty, as a cache without disk does.
    """

    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its ``redis://`` URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        """Start it on its port (pinned to the load generator's CPU); wait for PONG."""
        path = redis_server_path()
        if path is None:
            raise FileNotFoundError("redis-server is not installed")
        args = [path, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.folder), "--daemonize", "no"]
        self.proc = subprocess.Popen(  # noqa: S603 (a fixed binary, our own arguments)
            [tool("taskset"), "-c", str(LOAD_CPU), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)

    def answers(self) -> bool:
        """Say whether it answers PING now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: gone at once, with every key and connection."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def gateway_env() -> dict[str, str]:
    """The server's environment: the channels' secrets, no settings from the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_GW_")}
    env.update(
        {
            TWILIO_TOKEN_ENV: TWILIO_TOKEN,
            BOT_TOKEN_ENV: BOT_TOKEN,
            BOT_SECRET_ENV: BOT_SECRET,
            "ELIGIBILITY_GW_PSEUDONYM_KEY": secrets.token_hex(16),
        }
    )
    return env


def _read_proc(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_text()


@dataclass
class Gateway:
    """``python -m eligibility_gw serve`` on the server CPU; started, killed and restarted."""

    config: Path
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=gateway_env)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 120) -> float:
        """Start the server and wait until ``/readyz`` answers 200; the seconds that took."""
        self.starts += 1
        started = time.perf_counter()
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [
                    tool("taskset"),
                    "-c",
                    str(SERVER_CPU),
                    PYTHON,
                    "-m",
                    "eligibility_gw",
                    "serve",
                    "--config",
                    str(self.config),
                ],
                stdout=out,
                stderr=out,
                env=self.env,
            )
        deadline = started + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the gateway exited at start-up; see {self.log}")
            try:
                url = f"{self.base}/readyz"
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the gateway did not come up; see {self.log}")
            time.sleep(0.02)

    def memory_kb(self) -> dict[str, int]:
        """The server's ``VmRSS`` and its parts (``RssAnon``, ``RssFile``, ``RssShmem``), in kB,
        from ``/proc/<pid>/status``."""
        found = {}
        for line in _read_proc(self.pid, "status").splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                found[name] = int(value.split()[0])
        return found

    def cpu_s(self) -> float:
        """User and system CPU seconds the server has used."""
        fields = _read_proc(self.pid, "stat").rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> int:
        """SIGKILL; the exit status."""
        assert self.proc is not None
        self.proc.kill()
        return self.proc.wait()

    def stop(self, timeout: float = 60) -> tuple[int, float]:
        """SIGTERM; the exit status and the seconds until the process was gone."""
        assert self.proc is not None
        started = time.perf_counter()
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return code, time.perf_counter() - started

    def ensure_stopped(self) -> None:
        """Kill the server if it still runs (after a failure)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def audit_verify(self) -> tuple[int, str]:
        """``eligibility-gw audit verify`` on the server's settings: exit code and output."""
        done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [PYTHON, "-m", "eligibility_gw", "audit", "verify", "--config", str(self.config)],
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
        )
        return done.returncode, (done.stdout + done.stderr).strip()


# ---------------------------------------------------------------------------------------
# The fake Telegram Bot API.


@dataclass
class FakeBotApi:
    """Answers what the bot calls; keeps the texts it sent to each chat."""

    token: str = BOT_TOKEN
    sent: dict[int, list[str]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        """Serve on a free loopback port; the base URL (without ``/bot``)."""
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    def take(self, chat_id: int) -> list[str]:
        """The texts sent to ``chat_id`` since the last call."""
        return self.sent.pop(chat_id, [])

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"]
        try:
            if request.content_type == "application/json":
                params: dict[str, Any] = dict(await request.json())
            else:
                params = {k: str(v) for k, v in (await request.post()).items()}
        except ConnectionResetError:  # the bot's process was killed mid-call
            raise web.HTTPBadRequest from None
        if method == "getMe":
            result: Any = {
                "id": 7_000_001,
                "is_bot": True,
                "first_name": "Eligibility",
                "username": "egw_bench_bot",
                "can_join_groups": False,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        elif method == "sendMessage":
            chat_id = int(params["chat_id"])
            text = str(params.get("text", ""))
            self.sent.setdefault(chat_id, []).append(text)
            result = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})


# ---------------------------------------------------------------------------------------
# One arrival of each channel, and its outcome.


class Outcome(Enum):
    """How an arrival ended."""

    ANSWERED = "answered"
    SHED = "shed"
    FAILED = "failed"
    #: A USSD session whose state was lost mid-way (Redis killed): the caller was told, in
    #: words, to dial again. Not an answer, not a failure of the gateway.
    RESTARTED = "restarted"


@dataclass(frozen=True, slots=True)
class Result:
    """One arrival: its channel, outcome, each request's latency (s) and the codes received."""

    channel: str
    outcome: Outcome
    latencies: tuple[float, ...]
    codes: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class ChannelTally:
    """One channel's outcomes."""

    arrivals: Counter[Outcome] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    codes: int = 0


@dataclass
class Tally:
    """Outcomes of many arrivals, by channel; every tracking code received."""

    channels: dict[str, ChannelTally] = field(
        default_factory=lambda: {c: ChannelTally() for c in CHANNELS}
    )
    codes: set[str] = field(default_factory=set)
    failures: Counter[str] = field(default_factory=Counter)

    def add(self, result: Result) -> None:
        """Count one arrival."""
        t = self.channels[result.channel]
        t.arrivals[result.outcome] += 1
        t.latencies.extend(result.latencies)
        t.codes += len(result.codes)
        self.codes.update(result.codes)
        if result.outcome is Outcome.FAILED:
            self.failures[f"{result.channel}: {result.detail[:120]}"] += 1

    def count(self, outcome: Outcome | None = None) -> int:
        """Arrivals with ``outcome`` (all when None)."""
        return sum(
            sum(t.arrivals.values()) if outcome is None else t.arrivals[outcome]
            for t in self.channels.values()
        )

    def requests(self) -> int:
        """HTTP requests made (a USSD session makes one per hop)."""
        return sum(len(t.latencies) for t in self.channels.values())

    def latencies(self, channel: str | None = None) -> list[float]:
        """Request latencies in seconds, of one channel or all."""
        if channel is not None:
            return self.channels[channel].latencies
        return [x for t in self.channels.values() for x in t.latencies]

    def shed_by_channel(self) -> dict[str, int]:
        """Busy replies per channel."""
        return {c: t.arrivals[Outcome.SHED] for c, t in self.channels.items()}


def percentile_ms(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of latencies in seconds, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index] * 1000


def _refused_at_capacity(resp: aiohttp.ClientResponse, text: str) -> bool:
    """The load shedder's refusal over HTTP: 503, Retry-After, "at capacity" (not a failure's
    503, which says something else)."""
    return resp.status == 503 and "Retry-After" in resp.headers and "at capacity" in text


class Traffic:
    """Sends one arrival of a channel as its real peers would; sorts the reply."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        people: Population,
        bot: FakeBotApi,
        today: date,
        seed: int = 5,
    ) -> None:
        self.session = session
        self.base = base
        self.people = people
        self.bot = bot
        self.today = today
        self.rng = random.Random(seed)
        self.validator = RequestValidator(TWILIO_TOKEN)
        self.sms_busy = {Wording(lang).t("sms.busy") for lang in ("en", "fa")}
        self.ussd_busy = {Wording(lang).t("ussd.end.unavailable") for lang in ("en", "fa")}
        self.ussd_expired = {Wording(lang).t("ussd.end.expired") for lang in ("en", "fa")}
        #: Linked Telegram users not in a conversation just now (one update at a time each).
        self.telegram_idle: asyncio.Queue[int] = asyncio.Queue()
        self._turn = itertools.count()
        self._update_ids = itertools.count(1)
        self._senders: dict[str, Callable[[float], Awaitable[Result]]] = {
            "api": self.api,
            "fhir": self.fhir,
            "sms": self.sms,
            "ussd": self.ussd,
            "telegram": self.telegram,
        }

    async def one(self, channel: str, scheduled: float) -> Result:
        """One arrival of ``channel``; latencies count from ``scheduled`` (perf_counter)."""
        try:
            return await self._senders[channel](scheduled)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            since = time.perf_counter() - scheduled
            return Result(channel, Outcome.FAILED, (since,), detail=type(exc).__name__)

    def _someone(self) -> str:
        return self.rng.choice(self.people.ids)

    async def api(self, scheduled: float) -> Result:
        """``POST /api/v1/inquiries`` with the provider's key."""
        async with self.session.post(
            f"{self.base}/api/v1/inquiries",
            json={"national_id": self._someone()},
            headers={"Authorization": f"Bearer {PROVIDER_KEY}", "Accept-Language": "en"},
        ) as resp:
            text = await resp.text()
        took = (time.perf_counter() - scheduled,)
        if _refused_at_capacity(resp, text):
            return Result("api", Outcome.SHED, took)
        codes = codes_in(json.loads(text).get("tracking_code", "")) if resp.status == 200 else []
        if len(codes) != 1:
            return Result("api", Outcome.FAILED, took, detail=f"{resp.status} {text[:80]}")
        return Result("api", Outcome.ANSWERED, took, tuple(codes))

    async def fhir(self, scheduled: float) -> Result:
        """``POST /fhir/r4/CoverageEligibilityRequest``."""
        body = {
            "resourceType": "CoverageEligibilityRequest",
            "status": "active",
            "purpose": ["validation"],
            "created": self.today.isoformat(),
            "insurer": {"display": "Tamin Ejtemaei"},
            "patient": {"identifier": {"system": "urn:oid:1.2.364.1", "value": self._someone()}},
        }
        async with self.session.post(
            f"{self.base}/fhir/r4/CoverageEligibilityRequest",
            data=json.dumps(body),
            headers={
                "Authorization": f"Bearer {PROVIDER_KEY}",
                "Content-Type": FHIR_JSON,
                "Accept": FHIR_JSON,
            },
        ) as resp:
            text = await resp.text()
        took = (time.perf_counter() - scheduled,)
        if _refused_at_capacity(resp, text):
            return Result("fhir", Outcome.SHED, took)
        data = json.loads(text) if resp.status == 200 else {}
        code = str(data.get("id", ""))
        if data.get("resourceType") != "CoverageEligibilityResponse" or len(code) != 12:
            return Result("fhir", Outcome.FAILED, took, detail=f"{resp.status} {text[:80]}")
        return Result("fhir", Outcome.ANSWERED, took, (code,))

    async def sms(self, scheduled: float) -> Result:
        """A signed Twilio inbound SMS: a provider's check, or an insured person's own cover."""
        if next(self._turn) % 2:
            sender, body = PROVIDER_PHONE, self._someone()
        else:
            sender, body = self.rng.choice(self.people.insured)
        url = f"{self.base}/channels/sms/twilio"
        form = twilio_form(sender, body)
        signature = str(self.validator.compute_signature(url, form))
        async with self.session.post(
            url, data=form, headers={"X-Twilio-Signature": signature}
        ) as resp:
            text = await resp.text()
        took = (time.perf_counter() - scheduled,)
        if resp.status == 200 and any(b in text for b in self.sms_busy):
            return Result("sms", Outcome.SHED, took)
        codes = codes_in(text) if resp.status == 200 and "<Message>" in text else []
        if len(codes) != 1:
            return Result("sms", Outcome.FAILED, took, detail=f"{resp.status} {text[:80]}")
        return Result("sms", Outcome.ANSWERED, took, tuple(codes))

    async def ussd(self, scheduled: float) -> Result:
        """A whole USSD session, hop by hop: "my cover" or a provider's check."""
        turn = next(self._turn)
        inputs: tuple[str, ...]
        if turn % 2:
            phone, inputs = PROVIDER_PHONE, ("1", self._someone(), "1")
        else:
            phone, inputs = self.rng.choice(self.people.insured)[0], ("1",)
        dialect = "africastalking" if (turn // 2) % 2 else "hubtel"
        sid = f"{dialect[:2]}-{secrets.token_hex(8)}"
        latencies: list[float] = []
        history: list[str] = []
        started = scheduled
        text = ""
        for hop, typed in enumerate(("", *inputs), start=1):
            last = hop == len(inputs) + 1
            if dialect == "africastalking":
                if hop > 1:
                    history.append(typed)
                form = {
                    "sessionId": sid,
                    "serviceCode": "*384*1420#",
                    "phoneNumber": phone,
                    "networkCode": "63902",
                    "text": "*".join(history),
                }
                async with self.session.post(
                    f"{self.base}/channels/ussd/africastalking", data=form
                ) as resp:
                    raw = await resp.text()
                end, text = raw.startswith("END "), raw[4:]
                proper = resp.status == 200 and raw[:4] in ("CON ", "END ")
            else:
                body = {
                    "Type": "Initiation" if hop == 1 else "Response",
                    "Mobile": phone.removeprefix("+"),
                    "SessionId": sid,
                    "ServiceCode": "*713#",
                    "Message": "*713#" if hop == 1 else typed,
                    "Operator": "mtn",
                    "Sequence": hop,
                }
                async with self.session.post(
                    f"{self.base}/channels/ussd/hubtel", json=body
                ) as resp:
                    raw = await resp.text()
                data = json.loads(raw) if resp.status == 200 else {}
                end, text = data.get("Type") == "Release", str(data.get("Message", ""))
                proper = resp.status == 200 and data.get("Type") in ("Response", "Release")
            now = time.perf_counter()
            latencies.append(now - started)
            started = now
            if not proper:
                return Result("ussd", Outcome.FAILED, tuple(latencies), detail=raw[:80])
            if end and text in self.ussd_busy:
                return Result("ussd", Outcome.SHED, tuple(latencies))
            if end and text in self.ussd_expired:
                return Result("ussd", Outcome.RESTARTED, tuple(latencies))
            if end != last:
                detail = f"hop {hop} of {len(inputs) + 1} ended={end}: {text[:60]}"
                return Result("ussd", Outcome.FAILED, tuple(latencies), detail=detail)
        codes = codes_in(text)
        if len(codes) != 1:
            return Result("ussd", Outcome.FAILED, tuple(latencies), detail=text[:80])
        return Result("ussd", Outcome.ANSWERED, tuple(latencies), tuple(codes))

    def _update(self, user_id: int, **message: Any) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._update_ids),
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": {
                    "id": user_id,
                    "is_bot": False,
                    "first_name": "Bench",
                    "language_code": "en",
                },
                **message,
            },
        }

    async def _post_update(self, update: dict[str, Any]) -> tuple[int, str]:
        """Deliver an update; the status (0 when refused at capacity) and the body."""
        async with self.session.post(
            f"{self.base}/channels/telegram/webhook",
            json=update,
            headers={SECRET_HEADER: BOT_SECRET},
        ) as resp:
            text = await resp.text()
        return (0 if _refused_at_capacity(resp, text) else resp.status), text

    async def bind_telegram_users(self, count: int, width: int = 16) -> None:
        """``count`` Telegram users share their own phone (insured principals) with the bot."""
        users = [(8_000_000 + i, phone) for i, (phone, _) in enumerate(self.people.insured[:count])]
        queue = iter(users)

        async def worker() -> None:
            for user_id, phone in queue:
                contact = {"phone_number": phone, "first_name": "Bench", "user_id": user_id}
                status, text = await self._post_update(self._update(user_id, contact=contact))
                if status != 200:
                    raise RuntimeError(f"sharing a contact answered {status}: {text[:80]}")
                self.bot.take(user_id)
                self.telegram_idle.put_nowait(user_id)

        await asyncio.gather(*(worker() for _ in range(width)))

    async def telegram(self, scheduled: float) -> Result:
        """``/cover`` from a linked user; the answer is what the bot sent to the chat.

        Each user has one update in flight at a time (so that what the bot sent to the chat
        answers that update); an arrival waits for an idle user, and the wait counts.
        """
        user_id = await self.telegram_idle.get()
        try:
            text = "/cover"
            entity = {"type": "bot_command", "offset": 0, "length": len(text)}
            update = self._update(user_id, text=text, entities=[entity])
            try:
                status, body = await self._post_update(update)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                # The user may have been told the answer before the webhook's reply was cut.
                took = (time.perf_counter() - scheduled,)
                sent = codes_in("\n".join(self.bot.take(user_id)))
                return Result("telegram", Outcome.FAILED, took, tuple(sent), type(exc).__name__)
            sent_texts = self.bot.take(user_id)
        finally:
            self.telegram_idle.put_nowait(user_id)
        took = (time.perf_counter() - scheduled,)
        if status == 0:
            return Result("telegram", Outcome.SHED, took)
        codes = codes_in("\n".join(sent_texts))
        if status != 200 or body != "ok" or len(codes) != 1:
            detail = f"{status} {body[:40]} {' | '.join(sent_texts)[:80]}"
            return Result("telegram", Outcome.FAILED, took, tuple(codes), detail)
        return Result("telegram", Outcome.ANSWERED, took, tuple(codes))


# ---------------------------------------------------------------------------------------
# Driving the mix.


def channel_plan(n: int, seed: int = 3) -> list[str]:
    """``n`` channels in the proportions of ``WEIGHTS``, shuffled in blocks of 100."""
    rng = random.Random(seed)
    block = [c for c, w in WEIGHTS.items() for _ in range(w)]
    plan: list[str] = []
    while len(plan) < n:
        rng.shuffle(block)
        plan.extend(block)
    return plan[:n]


async def closed_loop(
    traffic: Traffic,
    width: int,
    duration: float,
    tally: Tally,
    stop: asyncio.Event | None = None,
) -> float:
    """``width`` clients, each starting its next arrival when the last ends, for ``duration``
    seconds or until ``stop`` is set; arrivals/s."""
    plan = itertools.cycle(channel_plan(1000, seed=width))
    deadline = time.perf_counter() + duration
    started = time.perf_counter()
    done = 0

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < deadline and not (stop is not None and stop.is_set()):
            tally.add(await traffic.one(next(plan), time.perf_counter()))
            done += 1

    await asyncio.gather(*(client() for _ in range(width)))
    return done / (time.perf_counter() - started)


async def open_loop(
    traffic: Traffic,
    rate: float,
    duration: float,
    tally: Tally,
    tick: Callable[[float], None] | None = None,
) -> float:
    """Arrivals at ``rate``/s for ``duration`` s, whatever the replies; the rate achieved.

    Latencies count from each arrival's scheduled start (no coordinated omission). ``tick``
    is called about once a second with the seconds elapsed.
    """
    total = int(rate * duration)
    plan = channel_plan(total)
    tasks: set[asyncio.Task[None]] = set()

    async def one(channel: str, scheduled: float) -> None:
        tally.add(await traffic.one(channel, scheduled))

    start = time.perf_counter() + 0.05
    next_tick = 1.0
    for i, channel in enumerate(plan):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(channel, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        if tick is not None and scheduled - start >= next_tick:
            tick(scheduled - start)
            next_tick += 1.0
    sent_in = time.perf_counter() - start
    while tasks:
        await asyncio.gather(*list(tasks))
    return total / sent_in


def client_session(limit: int = 2048, timeout: float = 30.0) -> aiohttp.ClientSession:
    """The load generator's HTTP client: enough connections to exceed the server's bounds."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )
