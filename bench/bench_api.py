"""The web API's inquiries/s and latency, beside a bare aiohttp "hello" route, in one run.

A third server gives the floor under any inquiry endpoint: a bare aiohttp route that reads
the same JSON bodies and answers a JSON document of the API's size, doing nothing else
("JSON echo"). Its share of the hello ceiling is what HTTP, a request body and JSON in and out
cost before any work; the API's share of it is what the work costs.

The servers run as separate processes pinned to CPU 0; the load generator runs pinned to
CPU 1. Peak throughput is measured with ``wrk`` (closed loop, several connection counts,
rounds interleaved hello / echo / API so that other load on the machine skews all alike); the
API is then driven open loop at half of its own peak rate by a lean generator
(``bench/_openloop.py``), and its latency is measured from each request's *scheduled* start
(no coordinated omission).

The API is the real gateway (``python -m eligibility_gw serve``: every channel mounted, info
logs as JSON, the answer log written) over a copy of the million-person registry that
``bench_import`` builds in ``bench/data/``. Each inquiry is ``POST /api/v1/inquiries`` with a
valid provider key, for a random person of the registry.

The same gateway's other doors are measured in the same rounds, each against the API's peak
(issue #21: SMS and USSD at least half of it, FHIR at least 70 %): FHIR
``CoverageEligibilityRequest`` requests, signed Twilio webhooks (a provider's check by SMS,
each with a fresh ``MessageSid``) and USSD hops (Africa's Talking: a provider's check in four
hops, sent pipelined on one connection so that each hop follows the answer to the one before).
The
gateway's CPU time per API inquiry is printed beside the rates: other load on the machine
skews it less than a rate.

    python -m bench.bench_api [--quick] [--rows 1000000] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench._common import (
    DATA_DIR,
    DEFAULT_PACK,
    FULL_ROWS,
    QUICK_ROWS,
    Figure,
    bench_settings,
    db_path,
    load_text,
    machine,
    pack_for,
    print_figures,
    registry_csv,
    today_for,
)

#: From the issue (#21): the API reaches this share of the hello ceiling's throughput ...
TARGET_SHARE = 25.0
#: ... with this p99 at half of its own peak rate ...
TARGET_P99_MS = 10.0
#: ... does not lose throughput from 16 to 128 connections (the rate at c=128 against the
#: rate at c=16, in per cent; 5 points are left to run-to-run noise) ...
TARGET_SCALING = 95.0
#: ... and the other channels keep up: SMS webhooks and USSD hops at least half the API's
#: rate, FHIR requests at least 70 % of it (peaks, measured in the same rounds).
TARGET_SMS_SHARE = 50.0
TARGET_USSD_SHARE = 50.0
TARGET_FHIR_SHARE = 70.0
CONNECTIONS = (16, 64, 128)
ROUNDS = 2
BODIES = 20_000
SERVER_CPU = "0"
LOAD_CPU = "1"
PROVIDER_ID = "bench-api"
#: Only ever stored in the benchmark's copy of the registry.
PROVIDER_KEY = "egw_bench_api_key_for_local_benchmarks_only"
#: The provider's phone: its SMS checks and USSD sessions come from it.
PROVIDER_PHONE = "+989350009002"
TWILIO_TOKEN = "bench-api-twilio-auth-token-0123456789"  # noqa: S105 (local benchmarks only)
TWILIO_TOKEN_ENV = "EGW_BENCH_API_TWILIO_AUTH_TOKEN"  # noqa: S105 (a variable's name)
FHIR_JSON = "application/fhir+json"
#: Signed SMS forms written for each SMS run, per second of the run: each carries a fresh
#: ``MessageSid`` (a repeated one is a redelivery, answered from the de-duplication store).
SMS_FORMS_PER_SECOND = 6_000
PYTHON = sys.executable


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} is not installed")
    return path


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not come up")
        time.sleep(0.2)


@contextmanager
def serving(
    command: list[str],
    probe: str,
    log: Path,
    cpus: str = SERVER_CPU,
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process pinned to ``cpus`` (the server CPU) until the block ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [_tool("taskset"), "-c", cpus, *command], stdout=out, stderr=out, env=env
        )
        try:
            _wait_until_up(probe)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------------------------------------
# The registry: a private copy of bench_import's database, with a provider key.


def registry_copy(pack_name: str, rows: int, name: str = "api") -> Path:
    """A fresh private copy of the registry, so the answers logged here touch no other bench.

    Copied (SQLite backup: a consistent snapshot) from the database ``bench_import`` keeps
    when it is complete; otherwise imported from the cached CSV into the copy itself, never
    into the shared file, which another benchmark may be rebuilding. ``name`` tells the
    copies of different benchmarks apart.
    """
    source = db_path(pack_name, rows)
    target = DATA_DIR / f"{name}-{pack_name}-{rows}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    if source.exists() and _people(source) == rows:
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        print(f"  copied {source.name} to {target.name} in {time.perf_counter() - started:.1f} s")
    else:
        from bench.bench_import import import_once

        print(f"  {source.name} is not complete: importing {rows:,} rows into {target.name}")
        asyncio.run(import_once(pack_name, registry_csv(pack_name, rows), target)).show("import")
    asyncio.run(add_provider(pack_name, target))
    return target


def _people(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return int(conn.execute("SELECT count(*) FROM person").fetchone()[0])
    except sqlite3.Error:
        return -1


async def add_provider(pack_name: str, path: Path | str) -> None:
    """Register the benchmark's provider, key and phone in a store (a file or a PostgreSQL
    URL)."""
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


def gateway_config(
    pack_name: str,
    db: Path | str,
    port: int,
    folder: Path,
    state_url: str = "memory://",
    key_prefix: str = "egw:",
    file_name: str = "gateway.toml",
) -> Path:
    """The gateway's settings: the shipped example's, on ``db``, without a binding rate limit.

    ``db`` is an SQLite file or a PostgreSQL URL; ``state_url`` may name a Redis server.
    """
    config = folder / file_name
    store_url = db if isinstance(db, str) else f"sqlite:///{db}"
    config.write_text(
        f"""
[gateway]
rule_pack = "{pack_name}"
time_zone = "Asia/Tehran"
languages = ["fa", "en"]

[store]
url = "{store_url}"

[state]
url = "{state_url}"
key_prefix = "{key_prefix}"

[server]
host = "127.0.0.1"
port = {port}
public_base_url = "http://127.0.0.1:{port}"

[logging]
level = "info"
format = "json"

[inquiries]
# One provider key carries the whole load: its per-minute quota must not be what is measured,
# nor the per-person ones (the bodies repeat: each person is asked about many times an hour).
provider_per_minute = 1000000000
provider_per_national_id = 1000000000
national_id_ceiling = 1000000000
insured_per_hour = 1000000000

[twilio]
auth_token_env = "{TWILIO_TOKEN_ENV}"

[channels.sms]
inquiries_per_sender = 1000000000

[channels.ussd]
hops_per_minute = 1000000000
""",
        encoding="utf-8",
    )
    return config


def inquiry_bodies(pack_name: str, rows: int, n: int, seed: int = 11) -> list[str]:
    """JSON bodies asking about ``n`` random persons of the registry (row k holds id k)."""
    from eligibility_gw.synthetic import synthetic_id

    pack = pack_for(pack_name)
    rng = random.Random(seed)
    return [json.dumps({"national_id": synthetic_id(pack, rng.randint(1, rows))}) for _ in range(n)]


def _posting_script(
    folder: Path, name: str, path: str, bodies: Sequence[str], headers: dict[str, str]
) -> Path:
    """A wrk Lua script posting ``bodies`` in turn to ``path`` with ``headers`` and the
    provider's key."""
    lines = ",\n".join(json.dumps(b) for b in bodies)
    header_lines = "".join(
        f'wrk.headers["{k}"] = "{v}"\n'
        for k, v in {**headers, "Authorization": f"Bearer {PROVIDER_KEY}"}.items()
    )
    script = folder / name
    script.write_text(
        f"""
local bodies = {{
{lines}
}}
local n = #bodies
local i = 0
wrk.method = "POST"
{header_lines}request = function()
  i = i % n + 1
  return wrk.format(nil, "{path}", nil, bodies[i])
end
""",
        encoding="utf-8",
    )
    return script


def wrk_script(bodies: Sequence[str], folder: Path) -> Path:
    """A wrk Lua script posting the bodies in turn with the provider's key."""
    return _posting_script(
        folder,
        "inquiries.lua",
        "/api/v1/inquiries",
        bodies,
        {"Content-Type": "application/json"},
    )


def national_ids(bodies: Sequence[str]) -> list[str]:
    """The national ids the API bodies ask about (the other channels ask about the same)."""
    return [str(json.loads(b)["national_id"]) for b in bodies]


def fhir_script(ids: Sequence[str], today: str, folder: Path) -> Path:
    """A wrk script posting FHIR CoverageEligibilityRequests about ``ids`` in turn."""
    bodies = [
        json.dumps(
            {
                "resourceType": "CoverageEligibilityRequest",
                "status": "active",
                "purpose": ["validation"],
                "created": today,
                "insurer": {"display": "Tamin Ejtemaei"},
                "patient": {"identifier": {"system": "urn:oid:1.2.364.1", "value": nid}},
            }
        )
        for nid in ids
    ]
    return _posting_script(
        folder,
        "fhir.lua",
        "/fhir/r4/CoverageEligibilityRequest",
        bodies,
        {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON},
    )


def sms_script(ids: Sequence[str], n: int, public_url: str, folder: Path, run: int) -> Path:
    """A wrk script posting ``n`` signed Twilio webhooks, each a provider's check of one of
    ``ids`` with a fresh ``MessageSid`` (read from a file: a Lua function holds at most
    65,536 constants)."""
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator

    from bench._common import twilio_form

    validator = RequestValidator(TWILIO_TOKEN)
    forms = folder / f"sms-{run}.tsv"
    with forms.open("w", encoding="utf-8") as out:
        for k in range(n):
            form = twilio_form(PROVIDER_PHONE, ids[k % len(ids)])
            signature = str(validator.compute_signature(public_url, form))
            out.write(f"{signature}\t{urlencode(form)}\n")
    script = folder / f"sms-{run}.lua"
    script.write_text(
        f"""
local signatures, bodies = {{}}, {{}}
for line in io.lines("{forms}") do
  local tab = line:find("\\t", 1, true)
  signatures[#signatures + 1] = line:sub(1, tab - 1)
  bodies[#bodies + 1] = line:sub(tab + 1)
end
local n = #bodies
local i = 0
wrk.method = "POST"
-- Headers handed to wrk.format replace wrk.headers: every one is named here.
local headers = {{["Content-Type"] = "application/x-www-form-urlencoded"}}
request = function()
  i = i % n + 1
  headers["X-Twilio-Signature"] = signatures[i]
  return wrk.format(nil, "/channels/sms/twilio", headers, bodies[i])
end
""",
        encoding="utf-8",
    )
    return script


#: The hops of a provider's check on a USSD menu (Africa's Talking: ``text`` is every input
#: so far, joined by ``*``): the menu, "check someone", the national id, "today".
USSD_HOPS = ("", "1", "1*{id}", "1*{id}*1")


def ussd_script(ids: Sequence[str], folder: Path) -> Path:
    """A wrk script running whole USSD sessions of a provider's check, one per call: the
    session's hops go pipelined on one connection, so each is asked after the one before it
    is answered (wrk counts every hop as a request)."""
    from urllib.parse import quote

    lines = ",\n".join(json.dumps(i) for i in ids)
    hops = ", ".join(json.dumps(h) for h in USSD_HOPS)
    script = folder / "ussd.lua"
    script.write_text(
        f"""
local ids = {{
{lines}
}}
local hops = {{ {hops} }}
local n = #ids
local i = 0
local prefix = "bench-" .. tostring(os.time()) .. "-"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  i = i + 1
  local id = ids[(i - 1) % n + 1]
  local out = {{}}
  for h = 1, #hops do
    local text = hops[h]:gsub("{{id}}", id)
    local body = "sessionId=" .. prefix .. i .. "&serviceCode=%2A384%2A1420%23"
      .. "&phoneNumber={quote(PROVIDER_PHONE)}&networkCode=63902&text=" .. text
    out[h] = wrk.format(nil, "/channels/ussd/africastalking", nil, body)
  end
  return table.concat(out)
end
""",
        encoding="utf-8",
    )
    return script


# ---------------------------------------------------------------------------------------
# Closed-loop peak: wrk.


@dataclass(frozen=True, slots=True)
class WrkRun:
    """What one wrk run reports."""

    connections: int
    rate: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if m is None:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, connections: int, duration: float, script: Path | None, cpus: str = LOAD_CPU
) -> WrkRun:
    """One wrk run on ``cpus`` (the load CPU)."""
    command = [
        _tool("taskset"),
        "-c",
        cpus,
        _tool("wrk"),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
    ]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(  # noqa: S603 (fixed command)
        [*command, url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+(\S+)", out)
    p99 = re.search(r"\s99%\s+(\S+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkRun(
        connections,
        rate,
        _ms(p50.group(1)) if p50 else float("nan"),
        _ms(p99.group(1)) if p99 else float("nan"),
        int(non_2xx.group(1)) if non_2xx else 0,
        sum(int(g) for g in errors.groups()) if errors else 0,
    )


def show_run(label: str, r: WrkRun) -> None:
    """One line per wrk run."""
    print(
        f"  {label:<5} c={r.connections:<4} {r.rate:>9,.0f} req/s  p50 {r.p50_ms:6.2f} ms"
        f"  p99 {r.p99_ms:7.2f} ms  non-2xx {r.non_2xx}  socket errors {r.errors}"
    )


# ---------------------------------------------------------------------------------------
# Open-loop fixed rate: the lean generator of ``bench._openloop``, in its own process on the
# load CPU. (A general-purpose aiohttp client measured its own pauses: the same server showed
# a p99 of 36-49 ms through it and 12-18 ms through this generator, back to back.)


def _open_loop(url: str, bodies: list[str], rate: float, duration: float) -> dict[str, object]:
    from urllib.parse import urlsplit

    from bench._openloop import open_loop, request_bytes

    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    headers = {"Authorization": f"Bearer {PROVIDER_KEY}", "Content-Type": "application/json"}
    requests = [request_bytes(host, port, parts.path, headers, body) for body in bodies]
    return asyncio.run(open_loop(host, port, requests, rate, duration))


def run_open_loop(url: str, bodies_file: Path, rate: float, duration: float) -> dict[str, object]:
    """Drive ``url`` at ``rate`` requests/s from a separate process on the load CPU."""
    out = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [
            _tool("taskset"),
            "-c",
            LOAD_CPU,
            PYTHON,
            "-m",
            "bench.bench_api",
            "--open-loop",
            url,
            "--bodies",
            str(bodies_file),
            "--rate",
            str(rate),
            "--duration",
            str(duration),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


class WalWatch:
    """The largest size a SQLite WAL file reaches while the benchmark runs (a thread)."""

    EVERY_S = 0.5

    def __init__(self, path: Path) -> None:
        self.path = path
        self.largest = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.EVERY_S):
            with suppress(OSError):
                self.largest = max(self.largest, self.path.stat().st_size)

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (one last sample first)."""
        with suppress(OSError):
            self.largest = max(self.largest, self.path.stat().st_size)
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------------
# The hello ceiling.


#: What the JSON echo answers: the shape and size of an API answer (about 500 bytes).
ECHO_ANSWER = {
    "tracking_code": "000000000000",
    "status": "not_eligible",
    "service_date": "2026-11-23",
    "reasons": [
        {
            "code": "STUDENT_CERTIFICATE_MISSING",
            "message": "A son of 19 full years or more is covered only with a valid student"
            " certificate.",
            "resolve_with": "student_certificate",
            "resolve": "Ask for a valid student certificate.",
            "blocking": True,
        }
    ],
    "member": {"name": "A*** R***", "relationship": "son"},
    "rule_pack": "ir-tamin@2026.1",
    "asked_at": "2026-11-23T12:00:00+00:00",
}


def serve_hello(port: int, echo: bool = False) -> None:
    """A bare aiohttp app with one route, served as the gateway is (AppRunner, TCPSite).

    ``echo``: ``POST /api/v1/inquiries`` reading the JSON body and answering ``ECHO_ANSWER``
    with its national id; otherwise ``GET /`` answering "Hello, world".
    """
    from aiohttp import web

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="Hello, world")

    async def inquiry(request: web.Request) -> web.Response:
        body = await request.json()
        answer = dict(ECHO_ANSWER, national_id=body.get("national_id"))
        return web.Response(text=json.dumps(answer), content_type="application/json")

    async def main() -> None:
        app = web.Application()
        if echo:
            app.router.add_post("/api/v1/inquiries", inquiry)
            app.router.add_get("/healthz", hello)
        else:
            app.router.add_get("/", hello)
        runner = web.AppRunner(app, handle_signals=True)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with suppress(KeyboardInterrupt, SystemExit):
        asyncio.run(main())


# ---------------------------------------------------------------------------------------


def answers_by_channel(db: Path) -> dict[str, int]:
    """Answers in the log by channel (the file opened read-only)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        found = conn.execute("SELECT channel, count(*) FROM answer_log GROUP BY channel")
        return {str(channel): int(n) for channel, n in found}


def _peak(runs: Sequence[WrkRun]) -> WrkRun:
    """The fastest run answered without a refusal (the fastest of all when none was)."""
    clean = [r for r in runs if r.non_2xx == 0 and r.errors == 0]
    return max(clean or runs, key=lambda r: r.rate)


def measure(pack_name: str, rows: int, duration: float) -> list[Figure]:
    """Every peak in interleaved rounds, then the API at half of its own peak; the figures."""
    db = registry_copy(pack_name, rows)
    bodies = inquiry_bodies(pack_name, rows, BODIES)
    ids = national_ids(bodies)
    env = dict(os.environ, **{TWILIO_TOKEN_ENV: TWILIO_TOKEN})
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        folder = Path(tmp)
        script = wrk_script(bodies, folder)
        fhir = fhir_script(ids, today_for(pack_name).isoformat(), folder)
        ussd = ussd_script(ids, folder)
        bodies_file = folder / "bodies.json"
        bodies_file.write_text(json.dumps(bodies), encoding="utf-8")
        hello_port, echo_port, api_port = free_port(), free_port(), free_port()
        hello_url = f"http://127.0.0.1:{hello_port}/"
        echo_url = f"http://127.0.0.1:{echo_port}/api/v1/inquiries"
        api_base = f"http://127.0.0.1:{api_port}"
        api_url = f"{api_base}/api/v1/inquiries"
        fhir_url = f"{api_base}/fhir/r4/CoverageEligibilityRequest"
        sms_url = f"{api_base}/channels/sms/twilio"
        ussd_url = f"{api_base}/channels/ussd/africastalking"
        config = gateway_config(pack_name, db, api_port, folder)
        hello_cmd = [PYTHON, "-m", "bench.bench_api", "--hello-server", str(hello_port)]
        echo_cmd = [PYTHON, "-m", "bench.bench_api", "--echo-server", str(echo_port)]
        api_cmd = [PYTHON, "-m", "eligibility_gw", "serve", "--config", str(config)]
        runs: dict[str, list[WrkRun]] = {
            k: [] for k in ("hello", "echo", "api", "fhir", "sms", "ussd")
        }
        sms_runs = itertools.count()

        def sms_run(c: int, seconds: float) -> WrkRun:
            n = max(1000, round(SMS_FORMS_PER_SECOND * seconds))
            sms = sms_script(ids, n, sms_url, folder, next(sms_runs))
            return run_wrk(sms_url, c, seconds, sms)

        #: The gateway's CPU seconds and inquiries over the API runs (a figure that other load
        #: on the machine skews less than a rate).
        api_cpu = [0.0, 0.0]

        def api_run(c: int) -> WrkRun:
            before = cpu_seconds(api_proc.pid)
            done = run_wrk(api_url, c, duration, script)
            api_cpu[0] += cpu_seconds(api_proc.pid) - before
            api_cpu[1] += done.rate * duration
            return done

        log = DATA_DIR / "bench_api.server.log"
        with (
            serving(hello_cmd, hello_url, folder / "hello.log"),
            serving(echo_cmd, f"http://127.0.0.1:{echo_port}/healthz", folder / "echo.log"),
            serving(api_cmd, f"{api_base}/healthz", log, env=env) as api_proc,
        ):
            wal = WalWatch(Path(f"{db}-wal"))
            wal.start()
            # Warm every server and route (imports, SQLite page cache), then interleave.
            run_wrk(hello_url, 16, 2, None)
            run_wrk(echo_url, 16, 2, script)
            run_wrk(api_url, 16, 2, script)
            run_wrk(fhir_url, 16, 1, fhir)
            sms_run(16, 1)
            run_wrk(ussd_url, 16, 1, ussd)
            for _ in range(ROUNDS):
                for c in CONNECTIONS:
                    for name, one in (
                        ("hello", lambda c: run_wrk(hello_url, c, duration, None)),
                        ("echo", lambda c: run_wrk(echo_url, c, duration, script)),
                        ("api", api_run),
                        ("fhir", lambda c: run_wrk(fhir_url, c, duration, fhir)),
                        ("sms", lambda c: sms_run(c, duration)),
                        ("ussd", lambda c: run_wrk(ussd_url, c, duration, ussd)),
                    ):
                        runs[name].append(one(c))
                        show_run(name, runs[name][-1])
            api_peak = _peak(runs["api"])
            half = api_peak.rate / 2
            print(f"  open loop at {half:,.0f} inquiries/s (half the API's peak) ...")
            fixed = run_open_loop(api_url, bodies_file, half, max(5.0, duration * 2))
            print(f"    {json.dumps(fixed)}")
            wal.stop()
    logged = answers_by_channel(db)
    print(f"  answers logged by channel: {json.dumps(logged, sort_keys=True)}")
    hello_peak, echo_peak = _peak(runs["hello"]), _peak(runs["echo"])
    fhir_peak, sms_peak, ussd_peak = _peak(runs["fhir"]), _peak(runs["sms"]), _peak(runs["ussd"])
    refused = sum(r.non_2xx + r.errors for r in runs["api"])
    share = 100 * api_peak.rate / hello_peak.rate
    # The worst of the rounds: c=128 against c=16 in the same round.
    per_round = len(CONNECTIONS)
    scaling = min(
        100 * runs["api"][i + per_round - 1].rate / runs["api"][i].rate
        for i in range(0, len(runs["api"]), per_round)
    )
    p99 = float(fixed["p99_ms"])  # type: ignore[arg-type]
    p50 = float(fixed["p50_ms"])  # type: ignore[arg-type]
    statuses = fixed["statuses"]
    assert isinstance(statuses, dict)
    not_ok = sum(v for k, v in statuses.items() if k != "200")
    lags = fixed["generator_lags_over_5ms"]
    max_lag = float(fixed["generator_max_lag_ms"])  # type: ignore[arg-type]
    where = f"{rows:,} persons"

    def channel(label: str, peak: WrkRun, target: float, what: str) -> Figure:
        bad = sum(r.non_2xx + r.errors for r in runs[label])
        return Figure(
            f"{what} against the API's peak",
            100 * peak.rate / api_peak.rate,
            "%",
            target,
            note=f"{peak.rate:,.0f}/s at c={peak.connections}; non-2xx/errors in all runs {bad}",
        )

    return [
        Figure(
            "hello ceiling, peak req/s",
            hello_peak.rate,
            "req/s",
            note=f"bare aiohttp, c={hello_peak.connections}",
        ),
        Figure(
            f"API peak inquiries/s ({where})",
            api_peak.rate,
            "inquiries/s",
            note=f"c={api_peak.connections}; wrk p99 {api_peak.p99_ms:.1f} ms; "
            f"non-2xx/errors in all runs {refused}",
        ),
        Figure("API share of the hello ceiling", share, "%", TARGET_SHARE),
        Figure(
            "gateway CPU per API inquiry, all API runs",
            1e6 * api_cpu[0] / max(1.0, api_cpu[1]),
            "µs",
            higher_is_better=False,
            note="user + system time of the server process (its threads included)",
        ),
        Figure(
            "API inquiries/s at c=128 against c=16 (worst round)",
            scaling,
            "%",
            TARGET_SCALING,
            note="rates by round: "
            + "; ".join(
                "/".join(f"{r.rate:,.0f}" for r in runs["api"][i : i + per_round])
                for i in range(0, len(runs["api"]), per_round)
            )
            + f" at c={'/'.join(str(c) for c in CONNECTIONS)}",
        ),
        channel("sms", sms_peak, TARGET_SMS_SHARE, "SMS webhooks/s (signed, a provider's check)"),
        channel("ussd", ussd_peak, TARGET_USSD_SHARE, "USSD hops/s (4-hop provider's check)"),
        channel("fhir", fhir_peak, TARGET_FHIR_SHARE, "FHIR CoverageEligibilityRequests/s"),
        Figure(
            "JSON echo (bare aiohttp POST, JSON in and out), peak req/s",
            echo_peak.rate,
            "req/s",
            note=f"c={echo_peak.connections}; "
            f"{100 * echo_peak.rate / hello_peak.rate:.1f} % of the hello ceiling",
        ),
        Figure(
            "API share of the JSON echo",
            100 * api_peak.rate / echo_peak.rate,
            "%",
            note="what the work of an inquiry leaves of an endpoint doing none",
        ),
        Figure(
            "answer-log WAL file, largest during the runs",
            wal.largest / (1024 * 1024),
            "MiB",
            note=f"sampled every {WalWatch.EVERY_S:g} s; the log restarts it past 32,768 frames",
        ),
        Figure(
            "API p50 at half its peak rate",
            p50,
            "ms",
            higher_is_better=False,
            note=f"open loop {float(fixed['achieved']):,.0f}/s",  # type: ignore[arg-type]
        ),
        Figure(
            "API p99 at half its peak rate",
            p99,
            "ms",
            TARGET_P99_MS,
            higher_is_better=False,
            note=f"non-200 {not_ok}; generator lags > 5 ms: {lags} (max {max_lag:.1f} ms)",
        ),
    ]


def run(rows: int = FULL_ROWS, pack_name: str = DEFAULT_PACK, quick: bool = False) -> list[Figure]:
    """The API benchmark's figures (``quick``: short runs)."""
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            print(f"bench_api: skipped, {tool} is not installed (apt-get install wrk util-linux)")
            return []
    duration = 3.0 if quick else 10.0
    print(
        f"bench_api: POST /api/v1/inquiries on a {rows:,}-person registry beside a hello route"
        f" and a JSON echo; servers on CPU {SERVER_CPU}, load on CPU {LOAD_CPU}; {load_text()}"
    )
    return measure(pack_name, rows, duration)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (also the helper processes' entry point)."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_api", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows, short runs")
    parser.add_argument("--rows", type=int, help=f"registry rows (default {FULL_ROWS:,})")
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    parser.add_argument("--hello-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--open-loop", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--duration", type=float, default=10.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hello_server or args.echo_server:
        serve_hello(args.hello_server or args.echo_server, echo=bool(args.echo_server))
        return 0
    if args.open_loop:
        bodies = json.loads(args.bodies.read_text(encoding="utf-8"))
        result = _open_loop(args.open_loop, bodies, args.rate, args.duration)
        print(json.dumps(result))
        return 0
    rows = args.rows or (QUICK_ROWS if args.quick else FULL_ROWS)
    print(machine())
    figures = run(rows, args.pack, args.quick)
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
