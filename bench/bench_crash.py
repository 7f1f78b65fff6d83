"""Crash: SIGKILL under load, restart, and no answer handed out is missing from the log.

The real gateway (``python -m eligibility_gw serve``, every channel, pinned to CPU 0) runs on a
private copy of a synthetic registry of 100,000 persons (``--rows``). The load generator (this
process, pinned to CPU 1) drives the whole mix of ``bench/_traffic.py`` closed loop (JSON API,
FHIR, signed SMS, USSD sessions, Telegram updates) with ``--clients`` concurrent clients. In
each round the server is killed with SIGKILL at a random moment of the load (``--seed``),
restarted on the same SQLite file, and checked: every tracking code the load generator received
(in an answer, or in a message the bot sent to a Telegram chat) must be in the answer log (the
file opened read-only), and ``eligibility-gw audit verify`` must pass. The restart time is
from spawning the process to its first ``/readyz`` 200. After the last round the restarted
server serves a last stretch of load and is stopped with SIGTERM.

    python -m bench.bench_crash [--quick] [--rounds 5] [--clients 32] [--seed N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench._common import (
    DATA_DIR,
    DEFAULT_PACK,
    QUICK_ROWS,
    Figure,
    load_text,
    machine,
    print_figures,
    today_for,
)
from bench._traffic import (
    LOAD_CPU,
    SERVER_CPU,
    FakeBotApi,
    Gateway,
    Outcome,
    Tally,
    Traffic,
    answer_log_codes,
    client_session,
    closed_loop,
    free_port,
    gateway_config,
    pinned,
    population,
    prepare_registry,
    tool,
)

DEFAULT_ROUNDS = 5
QUICK_ROUNDS = 2
DEFAULT_CLIENTS = 32


@dataclass
class Round:
    """One kill and restart."""

    killed_after_s: float
    answered: int
    cut: int
    exit_status: int
    restart_s: float
    missing: int
    verify_code: int


@dataclass
class Crash:
    """What the rounds measured."""

    rows: int
    rounds: list[Round] = field(default_factory=list)
    received: set[str] = field(default_factory=set)
    logged: int = 0
    found: int = 0
    stop_code: int = 0
    stop_s: float = 0.0
    verify_code: int = 0
    verify_text: str = ""


async def _load_until_killed(
    traffic: Traffic, gw: Gateway, clients: int, after_s: float, tally: Tally
) -> int:
    """Drive the mix; SIGKILL the server ``after_s`` seconds in; its exit status."""
    stop = asyncio.Event()
    load = asyncio.create_task(closed_loop(traffic, clients, 3600, tally, stop))
    await asyncio.sleep(after_s)
    status = await asyncio.to_thread(gw.kill)
    stop.set()
    await load
    return status


async def _measure(
    db: Path, pack_name: str, rows: int, rounds: int, clients: int, seed: int, folder: Path
) -> Crash:
    rng = random.Random(seed)
    people = population(db)
    bot = FakeBotApi()
    bot_url = await bot.start()
    port = free_port()
    config = gateway_config(pack_name, db, port, bot_url, folder)
    gw = Gateway(config, port, DATA_DIR / "bench_crash.server.log")
    gw.log.unlink(missing_ok=True)
    result = Crash(rows)
    try:
        start_s = await asyncio.to_thread(gw.start)
        print(f"  gateway up in {start_s:.1f} s (pid {gw.pid}, CPU {SERVER_CPU}); seed {seed}")
        async with client_session() as session:
            traffic = Traffic(session, gw.base, people, bot, today_for(pack_name))
            await traffic.bind_telegram_users(4 * clients)
            for number in range(1, rounds + 1):
                tally = Tally()
                after_s = rng.uniform(1.0, 4.0)
                status = await _load_until_killed(traffic, gw, clients, after_s, tally)
                result.received |= tally.codes
                restart_s = await asyncio.to_thread(gw.start)
                missing = len(result.received - answer_log_codes(db))
                verify_code, verify_text = await asyncio.to_thread(gw.audit_verify)
                r = Round(
                    after_s,
                    tally.count(Outcome.ANSWERED),
                    tally.count(Outcome.FAILED),
                    status,
                    restart_s,
                    missing,
                    verify_code,
                )
                result.rounds.append(r)
                print(
                    f"  round {number}: killed {after_s:.2f} s into the load (status"
                    f" {status}); {r.answered:,} answered, {r.cut} cut; restarted in"
                    f" {restart_s:.2f} s; {len(result.received):,} codes so far, {missing}"
                    f" missing; audit verify exit {verify_code}"
                    + ("" if verify_code == 0 else f": {verify_text}")
                )
            tally = Tally()
            await closed_loop(traffic, clients, 2.0, tally)
            result.received |= tally.codes
            print(
                f"  after the last restart: {tally.count(Outcome.ANSWERED):,} answered,"
                f" {tally.count() - tally.count(Outcome.ANSWERED)} not"
            )
        result.stop_code, result.stop_s = await asyncio.to_thread(gw.stop)
    finally:
        gw.ensure_stopped()
        await bot.close()
    logged = answer_log_codes(db)
    result.logged = len(logged)
    result.found = len(result.received & logged)
    result.verify_code, result.verify_text = await asyncio.to_thread(gw.audit_verify)
    return result


def figures(r: Crash) -> list[Figure]:
    """The rounds' figures, with their targets."""
    restarts = [x.restart_s for x in r.rounds]
    killed = sum(x.exit_status == -signal.SIGKILL for x in r.rounds)
    return [
        Figure(
            f"crash: SIGKILL under load, rounds ({r.rows:,} persons)",
            len(r.rounds),
            "rounds",
            note=f"{killed} killed by SIGKILL; "
            f"{sum(x.cut for x in r.rounds):,} arrivals cut by the kills",
        ),
        Figure("crash: codes received by the load generator", len(r.received), "codes"),
        Figure(
            "crash: codes received but missing from the log",
            len(r.received) - r.found,
            "codes",
            0,
            False,
            note=f"{r.found:,} found; {r.logged - r.found:,} more rows logged whose reply was cut",
        ),
        Figure(
            "crash: audit verify after every restart and at the end",
            float(all(x.verify_code == 0 for x in r.rounds) and r.verify_code == 0),
            "pass",
            1.0,
            note=r.verify_text.splitlines()[-1][:60] if r.verify_text else "",
        ),
        Figure(
            "crash: restart time (spawn to /readyz 200), median",
            statistics.median(restarts),
            "s",
            note=f"max {max(restarts):.2f} s",
            higher_is_better=False,
        ),
        Figure(
            "crash: SIGTERM at the end, seconds to exit",
            r.stop_s,
            "s",
            note=f"exit code {r.stop_code}",
            higher_is_better=False,
        ),
    ]


def run(
    rows: int = QUICK_ROWS,
    pack_name: str = DEFAULT_PACK,
    rounds: int = DEFAULT_ROUNDS,
    clients: int = DEFAULT_CLIENTS,
    seed: int | None = None,
) -> list[Figure]:
    """The crash benchmark's figures."""
    try:
        tool("taskset")
    except FileNotFoundError:
        print("bench_crash: skipped, taskset is not installed")
        return []
    seed = seed if seed is not None else int(time.time())
    print(
        f"bench_crash: {rounds} SIGKILLs under the mixed load ({clients} clients) on a"
        f" {rows:,}-person registry; server on CPU {SERVER_CPU}, load on CPU {LOAD_CPU};"
        f" {load_text()}"
    )
    db = prepare_registry(pack_name, rows, "crash")
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as tmp, pinned(LOAD_CPU):
        result = asyncio.run(_measure(db, pack_name, rows, rounds, clients, seed, Path(tmp)))
    print(f"  {load_text()}")
    return figures(result)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_crash", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    parser.add_argument("--rounds", type=int, help=f"kills (default {DEFAULT_ROUNDS})")
    parser.add_argument("--clients", type=int, default=DEFAULT_CLIENTS)
    parser.add_argument("--seed", type=int, help="of the kill moments (default: the clock)")
    parser.add_argument("--rows", type=int, default=QUICK_ROWS, help="registry rows")
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    args = parser.parse_args(argv)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    print(machine())
    found = run(args.rows, args.pack, rounds, args.clients, args.seed)
    print()
    print_figures(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
