"""Scale-out: inquiries/s of 2 gateway workers on PostgreSQL beside 1 worker on SQLite.

Two real gateways run side by side for the whole run (``python -m eligibility_gw serve``,
every channel mounted, info logs as JSON, the answer log written): one process on an SQLite
copy of the registry, and ``serve --workers 2`` on PostgreSQL, with the state the workers
share (conversations, de-duplication keys, rate counters) in Redis. Both hold the same
registry: the cached CSV of ``ROWS`` persons (100,000: a throughput figure, not a size
test), imported into a private SQLite copy and into a PostgreSQL database of its own
(``bench_scaleout``, created for the run and dropped after it), each with the same
provider key.

``wrk`` drives ``POST /api/v1/inquiries`` on each, as ``bench_api`` does (the same bodies:
random persons of the registry), in interleaved rounds at several connection counts; the
figures are each gateway's best round, with wrk's latency percentiles for that round.

Nothing is pinned: the workers, PostgreSQL, Redis and wrk itself share every core of the
machine, in both configurations. On 2 cores, as where these figures were first taken, the
load generator takes CPU the workers would otherwise have: the ratio then says what a second
worker on a shared database buys there, not what it buys with a core to spare per worker.

    python -m bench.bench_scaleout [--quick] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import redis

from bench._common import (
    DATA_DIR,
    DEFAULT_PACK,
    QUICK_ROWS,
    REDIS_HOST,
    REDIS_PORT,
    Figure,
    load_text,
    machine,
    postgres_reachable,
    print_figures,
    redis_reachable,
    registry_csv,
    scratch_database,
)
from bench.bench_api import (
    BODIES,
    PYTHON,
    WrkRun,
    add_provider,
    free_port,
    gateway_config,
    inquiry_bodies,
    registry_copy,
    run_wrk,
    serving,
    show_run,
    wrk_script,
)
from bench.bench_import import import_once

ROWS = QUICK_ROWS
WORKERS = 2
#: Every core, for servers and load generator alike (see the module's docstring).
ALL_CPUS = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
CONNECTIONS = (16, 64, 128)
QUICK_CONNECTIONS = (64,)
ROUNDS = 2
DATABASE = "bench_scaleout"


def _wait_for_workers(log: Path, workers: int, timeout: float = 60) -> None:
    """Wait until every worker says it listens: before that, one worker takes all the load."""
    deadline = time.monotonic() + timeout
    while log.read_text(errors="replace").count("serving on") < workers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{workers} workers did not come up; see {log}")
        time.sleep(0.2)


def _postgres_registry(pack_name: str, rows: int, url: str) -> None:
    """The same registry in the PostgreSQL database (a fresh load), with the provider."""
    asyncio.run(import_once(pack_name, registry_csv(pack_name, rows), url)).show(
        "PostgreSQL import"
    )
    asyncio.run(add_provider(pack_name, url))


def _forget_state(prefix: str) -> None:
    """Delete the run's keys from Redis."""
    r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        keys = list(r.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            r.delete(*keys)
    finally:
        r.close()


def _best(runs: list[WrkRun]) -> WrkRun:
    """The round with the most inquiries/s among those that refused none."""
    clean = [r for r in runs if r.non_2xx == 0 and r.errors == 0]
    return max(clean or runs, key=lambda r: r.rate)


def measure(pack_name: str, rows: int, duration: float, connections: Sequence[int]) -> list[Figure]:
    """Both gateways up at once, rounds interleaved; their figures and the ratio."""
    sqlite_db = registry_copy(pack_name, rows, name="scaleout")
    bodies = inquiry_bodies(pack_name, rows, BODIES)
    prefix = f"egw-bench-scaleout-{secrets.token_hex(4)}:"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_GW_")}
    # One key for every worker, so that their logs name a person by the same pseudonym.
    env["ELIGIBILITY_GW_PSEUDONYM_KEY"] = secrets.token_hex(32)
    single_runs: list[WrkRun] = []
    pair_runs: list[WrkRun] = []
    with (
        scratch_database(DATABASE) as pg_url,
        tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp,
    ):
        folder = Path(tmp)
        _postgres_registry(pack_name, rows, pg_url)
        script = wrk_script(bodies, folder)
        single_port, pair_port = free_port(), free_port()
        single_config = gateway_config(
            pack_name, sqlite_db, single_port, folder, file_name="sqlite.toml"
        )
        pair_config = gateway_config(
            pack_name,
            pg_url,
            pair_port,
            folder,
            state_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
            key_prefix=prefix,
            file_name="postgres.toml",
        )
        single_cmd = [PYTHON, "-m", "eligibility_gw", "serve", "--config", str(single_config)]
        pair_cmd = [*single_cmd[:-1], str(pair_config), "--workers", str(WORKERS)]
        single_url = f"http://127.0.0.1:{single_port}/api/v1/inquiries"
        pair_url = f"http://127.0.0.1:{pair_port}/api/v1/inquiries"
        pair_log = DATA_DIR / "bench_scaleout.postgres.log"
        try:
            with (
                serving(
                    single_cmd,
                    f"http://127.0.0.1:{single_port}/healthz",
                    DATA_DIR / "bench_scaleout.sqlite.log",
                    cpus=ALL_CPUS,
                    env=env,
                ),
                serving(pair_cmd, f"http://127.0.0.1:{pair_port}/healthz", pair_log, ALL_CPUS, env),
            ):
                _wait_for_workers(pair_log, WORKERS)
                # Warm both (imports, caches, pools), then interleave the rounds.
                run_wrk(single_url, 16, 2, script, cpus=ALL_CPUS)
                run_wrk(pair_url, 16, 2, script, cpus=ALL_CPUS)
                for _ in range(1 if len(connections) == 1 else ROUNDS):
                    for c in connections:
                        single_runs.append(run_wrk(single_url, c, duration, script, ALL_CPUS))
                        show_run("1xSQL", single_runs[-1])
                        pair_runs.append(run_wrk(pair_url, c, duration, script, ALL_CPUS))
                        show_run("2xPG", pair_runs[-1])
        finally:
            _forget_state(prefix)
    single, pair = _best(single_runs), _best(pair_runs)
    shared = f"{os.cpu_count()} cores shared by the workers, PostgreSQL, Redis and wrk"
    where = f"{rows:,}-person registry"

    def rounds_note(best: WrkRun, runs: list[WrkRun]) -> str:
        refused = sum(r.non_2xx + r.errors for r in runs)
        return f"best of {len(runs)} wrk rounds, c={best.connections}; non-2xx/errors {refused}"

    return [
        Figure(
            f"scale-out: 1 worker on SQLite, inquiries/s ({where})",
            single.rate,
            "inquiries/s",
            note=rounds_note(single, single_runs),
        ),
        Figure("scale-out: 1 worker on SQLite, p50", single.p50_ms, "ms", higher_is_better=False),
        Figure(
            "scale-out: 1 worker on SQLite, p99",
            single.p99_ms,
            "ms",
            higher_is_better=False,
            note="wrk, closed loop, in the best round",
        ),
        Figure(
            f"scale-out: {WORKERS} workers on PostgreSQL + Redis, inquiries/s ({where})",
            pair.rate,
            "inquiries/s",
            note=rounds_note(pair, pair_runs),
        ),
        Figure(
            f"scale-out: {WORKERS} workers on PostgreSQL + Redis, p50",
            pair.p50_ms,
            "ms",
            higher_is_better=False,
        ),
        Figure(
            f"scale-out: {WORKERS} workers on PostgreSQL + Redis, p99",
            pair.p99_ms,
            "ms",
            higher_is_better=False,
            note="wrk, closed loop, in the best round",
        ),
        Figure(
            f"scale-out: {WORKERS} workers on PostgreSQL / 1 on SQLite",
            pair.rate / single.rate,
            "x",
            note=shared,
        ),
    ]


def run(
    pack_name: str = DEFAULT_PACK, quick: bool = False, duration: float | None = None
) -> list[Figure]:
    """The scale-out figures, or none (and why) when a server or tool is missing."""
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        print(f"bench_scaleout: skipped, {' and '.join(missing)} not installed")
        return []
    if not postgres_reachable():
        print("bench_scaleout: skipped, no PostgreSQL server on 127.0.0.1:5432")
        return []
    if not redis_reachable():
        print(f"bench_scaleout: skipped, no Redis server on {REDIS_HOST}:{REDIS_PORT}")
        return []
    seconds = duration or (3.0 if quick else 10.0)
    connections = QUICK_CONNECTIONS if quick else CONNECTIONS
    print(
        f"bench_scaleout: POST /api/v1/inquiries, 1 worker on SQLite beside {WORKERS} on"
        f" PostgreSQL + Redis, {ROWS:,}-person registry, {seconds:.0f} s rounds at"
        f" c={', '.join(map(str, connections))}; all on CPUs {ALL_CPUS}; {load_text()}"
    )
    return measure(pack_name, ROWS, seconds, connections)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scaleout", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round at c=64")
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    parser.add_argument("--duration", type=float, help="seconds per wrk round")
    args = parser.parse_args(argv)
    print(machine())
    figures = run(args.pack, args.quick, args.duration)
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
