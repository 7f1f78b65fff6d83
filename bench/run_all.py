"""Run every benchmark and print one summary table (``make bench``).

python -m bench.run_all            # full size: a registry of 1,000,000 rows
python -m bench.run_all --quick    # smoke run: 100,000 rows, fewer persons and asks
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from bench import (
    bench_api,
    bench_check,
    bench_crash,
    bench_decide,
    bench_import,
    bench_scaleout,
    bench_sms,
    bench_soak,
    bench_ussd,
)
from bench._common import (
    DEFAULT_PACK,
    FULL_ROWS,
    QUICK_ROWS,
    REDIS_HOST,
    REDIS_PORT,
    Figure,
    load_text,
    machine,
    print_figures,
    redis_reachable,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Decide, import, check; then the summary."""
    parser = argparse.ArgumentParser(prog="python -m bench.run_all", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROWS:,} rows instead of {FULL_ROWS:,}"
    )
    parser.add_argument("--rows", type=int, help="registry rows (overrides --quick)")
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    args = parser.parse_args(argv)
    rows = args.rows or (QUICK_ROWS if args.quick else FULL_ROWS)
    persons = 50_000 if args.quick else bench_decide.DEFAULT_PERSONS
    asks = 1_000 if args.quick else bench_check.DEFAULT_ASKS

    print(machine())
    print(f"started {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; registry of {rows:,} rows")
    print(f"{load_text()}\n")
    started = time.perf_counter()
    figures: list[Figure] = []
    figures += bench_decide.run(persons)
    print()
    figures += bench_import.run(rows, args.pack)
    print()
    figures += bench_check.run(rows, args.pack, asks)
    print()
    figures += bench_ussd.run(150 if args.quick else bench_ussd.DEFAULT_SESSIONS)
    print()
    figures += bench_sms.run(500 if args.quick else bench_sms.DEFAULT_REQUESTS)
    print()
    figures += bench_api.run(rows, args.pack, args.quick)
    print()
    # 2 workers on PostgreSQL + Redis beside 1 on SQLite (a registry of 100,000 persons).
    figures += bench_scaleout.run(args.pack, args.quick)
    print()
    # Every channel mixed, on a registry of at most 100,000 persons (a soak, not a size test).
    mixed_rows = min(rows, QUICK_ROWS)
    soak_s = bench_soak.QUICK_DURATION if args.quick else bench_soak.DEFAULT_DURATION
    # The shared state in Redis where one answers, as a multi-process deployment keeps it:
    # then the resident set shows the gateway's own memory. With memory:// it also holds
    # every live session, de-duplication key and rate counter, which grow until their TTLs
    # (hours) are reached; the soak prints how many keys it holds either way.
    soak_state = f"redis://{REDIS_HOST}:{REDIS_PORT}/0" if redis_reachable() else "memory://"
    figures += bench_soak.run(mixed_rows, args.pack, soak_s, args.quick, soak_state)
    print()
    # The same mix with Redis killed for 30 s mid-soak (a redis-server of the run's own):
    # answers go on and are logged, /readyz says degraded, shared state resumes by itself.
    figures += bench_soak.run(
        mixed_rows,
        args.pack,
        bench_soak.OUTAGE_DURATION,
        args.quick,
        redis_outage=bench_soak.REDIS_OUTAGE,
    )
    print()
    rounds = bench_crash.QUICK_ROUNDS if args.quick else bench_crash.DEFAULT_ROUNDS
    figures += bench_crash.run(mixed_rows, args.pack, rounds)
    print(f"\nsummary ({time.perf_counter() - started:.0f} s in all; {machine()}; {load_text()})\n")
    print_figures(figures)
    failed = [f.name for f in figures if f.verdict == "FAIL"]
    if failed:
        print(f"\nbelow target: {', '.join(failed)}")
    # Figures are reported, never asserted: a slow run is information, not an error.
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
