"""``check`` latency: ``EligibilityService.ask`` against a registry of a million persons.

Reuses the database ``bench_import`` left in ``bench/data/`` (imported when missing or
incomplete). Ids are drawn at random among the registry's persons, with a share of valid ids
nobody holds (NOT_FOUND answers). Every answer is logged, as in production.

Sequential: one ask at a time, latency per ask. Concurrent: waves of ``--concurrency``
asks gathered together, so the answer log's group commit writes a wave in few transactions.

    python -m bench.bench_check [--rows 1000000] [--asks 5000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bench._common import (
    DEFAULT_PACK,
    FULL_ROWS,
    Figure,
    bench_settings,
    db_path,
    load_text,
    machine,
    pack_for,
    print_figures,
    quiet_logs,
)
from bench.bench_import import build_db
from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.gateway import Gateway
from eligibility_gw.policy.askers import Asker, AskerKind
from eligibility_gw.service import EligibilityService
from eligibility_gw.synthetic import synthetic_id

ASKER = Asker(channel="bench", kind=AskerKind.OPERATOR, ident="bench")
DEFAULT_ASKS = 5_000
DEFAULT_CONCURRENCY = 50
UNKNOWN_SHARE = 0.05
WARM_UP = 200


@dataclass(frozen=True, slots=True)
class Run:
    """Latencies (seconds) of one run and its wall time."""

    latencies: list[float]
    wall_s: float
    statuses: Counter[str]

    @property
    def rate(self) -> float:
        """Answers per second."""
        return len(self.latencies) / self.wall_s

    def pct(self, p: float) -> float:
        """The ``p``-th percentile latency in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def show(self, label: str) -> None:
        """One line per run."""
        mix = ", ".join(f"{k} {v}" for k, v in sorted(self.statuses.items()))
        print(
            f"  {label}: {len(self.latencies):,} answers in {self.wall_s:.2f} s"
            f" = {self.rate:,.0f}/s; p50 {self.pct(50):.2f} ms, p95 {self.pct(95):.2f} ms,"
            f" p99 {self.pct(99):.2f} ms, max {max(self.latencies) * 1000:.1f} ms  [{mix}]"
        )


def draw_ids(pack_name: str, rows: int, n: int, seed: int) -> list[str]:
    """``n`` ids: row ``k`` of the synthetic registry holds ``synthetic_id(pack, k)``."""
    pack = pack_for(pack_name)
    rng = random.Random(seed)
    ids = []
    for _ in range(n):
        if rng.random() < UNKNOWN_SHARE:
            ids.append(synthetic_id(pack, rows + rng.randint(1, rows)))
        else:
            ids.append(synthetic_id(pack, rng.randint(1, rows)))
    return ids


async def timed_ask(service: EligibilityService, national_id: str) -> tuple[float, str]:
    """One answer's latency and status."""
    started = time.perf_counter()
    answer = await service.ask(national_id, ASKER)
    return time.perf_counter() - started, answer.status.value


async def sequential(service: EligibilityService, ids: Sequence[str]) -> Run:
    """One ask after the other."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for national_id in ids:
        latency, status = await timed_ask(service, national_id)
        latencies.append(latency)
        statuses[status] += 1
    return Run(latencies, time.perf_counter() - started, statuses)


async def concurrent(service: EligibilityService, ids: Sequence[str], width: int) -> Run:
    """Waves of ``width`` asks at once."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for i in range(0, len(ids), width):
        wave = await asyncio.gather(*(timed_ask(service, n) for n in ids[i : i + width]))
        for latency, status in wave:
            latencies.append(latency)
            statuses[status] += 1
    return Run(latencies, time.perf_counter() - started, statuses)


async def open_registry(pack_name: str, rows: int) -> Gateway:
    """The core over the imported registry of ``rows`` persons, importing it when needed."""
    path = db_path(pack_name, rows)
    if path.exists():
        core = await open_gateway(bench_settings(pack_name, path))
        people = await core.store.registry.count_people()
        if people == rows:
            print(f"  reusing {path.name} ({people:,} persons)")
            return core
        await core.close()
        print(f"  {path.name} holds {people:,} persons, not {rows:,}: importing again")
    timing = await build_db(pack_name, rows)
    timing.show("import")
    return await open_gateway(bench_settings(pack_name, path))


async def measure(pack_name: str, rows: int, asks: int, width: int) -> tuple[Run, Run]:
    """The sequential and the concurrent run."""
    core = await open_registry(pack_name, rows)
    try:
        service = core.service
        await sequential(service, draw_ids(pack_name, rows, WARM_UP, seed=1))
        seq = await sequential(service, draw_ids(pack_name, rows, asks, seed=2))
        seq.show("sequential")
        con = await concurrent(service, draw_ids(pack_name, rows, asks, seed=3), width)
        con.show(f"{width} concurrent")
    finally:
        await core.close()
    return seq, con


def run(
    rows: int = FULL_ROWS,
    pack_name: str = DEFAULT_PACK,
    asks: int = DEFAULT_ASKS,
    width: int = DEFAULT_CONCURRENCY,
) -> list[Figure]:
    """Latency percentiles and answers per second."""
    quiet_logs()
    print(
        f"bench_check: {asks:,} asks on a {rows:,}-person registry, pack {pack_name}; {load_text()}"
    )
    seq, con = asyncio.run(measure(pack_name, rows, asks, width))
    where = f"{rows:,} persons"
    return [
        Figure(f"check p50 latency ({where})", seq.pct(50), "ms", higher_is_better=False),
        Figure(f"check p95 latency ({where})", seq.pct(95), "ms", higher_is_better=False),
        Figure(f"check p99 latency ({where})", seq.pct(99), "ms", higher_is_better=False),
        Figure("check answers/s, sequential", seq.rate, "answers/s"),
        Figure(f"check answers/s, {width} concurrent", con.rate, "answers/s"),
        Figure(f"check p95 latency, {width} concurrent", con.pct(95), "ms", higher_is_better=False),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_check", description=__doc__)
    parser.add_argument("--rows", type=int, default=FULL_ROWS)
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    parser.add_argument("--asks", type=int, default=DEFAULT_ASKS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    args = parser.parse_args(argv)
    print(machine())
    figures = run(args.rows, args.pack, args.asks, args.concurrency)
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
