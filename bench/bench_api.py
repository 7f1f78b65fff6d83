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

    python -m bench.bench_api [--quick] [--rows 1000000] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from contextlib import contextmanager, suppress
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
)

#: From the issue: the API reaches this share of the hello ceiling's throughput ...
TARGET_SHARE = 35.0
#: ... with this p99 at half of its own peak rate.
TARGET_P99_MS = 15.0
CONNECTIONS = (16, 64, 128)
ROUNDS = 2
BODIES = 20_000
SERVER_CPU = "0"
LOAD_CPU = "1"
PROVIDER_ID = "bench-api"
#: Only ever stored in the benchmark's copy of the registry.
PROVIDER_KEY = "egw_bench_api_key_for_local_benchmarks_only"
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
) -> Iterator[None]:
    """Run a server process pinned to ``cpus`` (the server CPU) until the block ends."""
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [_tool("taskset"), "-c", cpus, *command], stdout=out, stderr=out, env=env
        )
        try:
            _wait_until_up(probe)
            yield
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
    """Register the benchmark's provider and key in a store (a file or a PostgreSQL URL)."""
    from eligibility_gw.bootstrap import open_gateway
    from eligibility_gw.domain.provider import ProviderKind
    from eligibility_gw.providers import hash_api_key

    gateway = await open_gateway(bench_settings(pack_name, path))
    try:
        await gateway.store.providers.add(
            PROVIDER_ID, "Bench Pharmacy", ProviderKind.PHARMACY, None, hash_api_key(PROVIDER_KEY)
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

[logging]
level = "info"
format = "json"

[inquiries]
# One provider key carries the whole load: its per-minute quota must not be what is measured,
# nor the per-person ones (the bodies repeat: each person is asked about many times an hour).
provider_per_minute = 1000000000
provider_per_national_id = 1000000000
national_id_ceiling = 1000000000
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


def wrk_script(bodies: Sequence[str], folder: Path) -> Path:
    """A wrk Lua script posting the bodies in turn with the provider's key."""
    lines = ",\n".join(json.dumps(b) for b in bodies)
    script = folder / "inquiries.lua"
    script.write_text(
        f"""
local bodies = {{
{lines}
}}
local n = #bodies
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {PROVIDER_KEY}"
request = function()
  i = i % n + 1
  return wrk.format(nil, "/api/v1/inquiries", nil, bodies[i])
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


def measure(pack_name: str, rows: int, duration: float) -> list[Figure]:
    """Both peaks, then the API at half of its own peak; the figures."""
    db = registry_copy(pack_name, rows)
    bodies = inquiry_bodies(pack_name, rows, BODIES)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        folder = Path(tmp)
        script = wrk_script(bodies, folder)
        bodies_file = folder / "bodies.json"
        bodies_file.write_text(json.dumps(bodies), encoding="utf-8")
        hello_port, echo_port, api_port = free_port(), free_port(), free_port()
        hello_url = f"http://127.0.0.1:{hello_port}/"
        echo_url = f"http://127.0.0.1:{echo_port}/api/v1/inquiries"
        api_base = f"http://127.0.0.1:{api_port}"
        config = gateway_config(pack_name, db, api_port, folder)
        hello_cmd = [PYTHON, "-m", "bench.bench_api", "--hello-server", str(hello_port)]
        echo_cmd = [PYTHON, "-m", "bench.bench_api", "--echo-server", str(echo_port)]
        api_cmd = [PYTHON, "-m", "eligibility_gw", "serve", "--config", str(config)]
        hello_runs: list[WrkRun] = []
        echo_runs: list[WrkRun] = []
        api_runs: list[WrkRun] = []
        log = DATA_DIR / "bench_api.server.log"
        with (
            serving(hello_cmd, hello_url, folder / "hello.log"),
            serving(echo_cmd, f"http://127.0.0.1:{echo_port}/healthz", folder / "echo.log"),
            serving(api_cmd, f"{api_base}/healthz", log),
        ):
            wal = WalWatch(Path(f"{db}-wal"))
            wal.start()
            # Warm both (imports, SQLite page cache), then interleave the rounds.
            run_wrk(hello_url, 16, 2, None)
            run_wrk(echo_url, 16, 2, script)
            run_wrk(f"{api_base}/api/v1/inquiries", 16, 2, script)
            for _ in range(ROUNDS):
                for c in CONNECTIONS:
                    hello_runs.append(run_wrk(hello_url, c, duration, None))
                    show_run("hello", hello_runs[-1])
                    echo_runs.append(run_wrk(echo_url, c, duration, script))
                    show_run("echo", echo_runs[-1])
                    api_runs.append(run_wrk(f"{api_base}/api/v1/inquiries", c, duration, script))
                    show_run("api", api_runs[-1])
            hello_peak = max(hello_runs, key=lambda r: r.rate)
            echo_peak = max(echo_runs, key=lambda r: r.rate)
            api_peak = max((r for r in api_runs if r.non_2xx == 0), key=lambda r: r.rate)
            half = api_peak.rate / 2
            print(f"  open loop at {half:,.0f} inquiries/s (half the API's peak) ...")
            fixed = run_open_loop(
                f"{api_base}/api/v1/inquiries", bodies_file, half, max(5.0, duration * 2)
            )
            print(f"    {json.dumps(fixed)}")
            wal.stop()
    refused = sum(r.non_2xx + r.errors for r in api_runs)
    share = 100 * api_peak.rate / hello_peak.rate
    p99 = float(fixed["p99_ms"])  # type: ignore[arg-type]
    p50 = float(fixed["p50_ms"])  # type: ignore[arg-type]
    statuses = fixed["statuses"]
    assert isinstance(statuses, dict)
    not_ok = sum(v for k, v in statuses.items() if k != "200")
    lags = fixed["generator_lags_over_5ms"]
    max_lag = float(fixed["generator_max_lag_ms"])  # type: ignore[arg-type]
    where = f"{rows:,} persons"
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
            "answer-log WAL file, largest during the API runs",
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
