"""USSD hops per second: whole sessions through the HTTP app, both dialects, on the demo registry.

A real local server (aiohttp's ``TestServer`` on 127.0.0.1) runs the gateway with only the
USSD channel; sessions are driven as the operators' gateways call it, hop after hop: "my
cover", a family member, a provider's check by national id (with its answer logged), in
Africa's Talking's and Hubtel's dialects alternately. ``--concurrency`` sessions are in
flight at once. The operators allow 15 s per hop; the target here is a p99 far inside it.

    python -m bench.bench_ussd [--sessions 600] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bench._common import Figure, load_text, machine, print_figures, quiet_logs
from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.channels import CHANNELS, gateway_app
from eligibility_gw.demo import DEMO_PROVIDER_PHONE, seed_demo
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import Settings, parse_settings

DEFAULT_SESSIONS = 600
DEFAULT_CONCURRENCY = 20
#: "Well inside" the operators' 15 s per hop.
HOP_P99_TARGET_MS = 500.0
_UNLIMITED = 10**9
Client = TestClient[web.Request, web.Application]


@dataclass(frozen=True, slots=True)
class Flow:
    """One kind of session: who dials and what they type after the first screen."""

    name: str
    phone: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Run:
    """Hop latencies (seconds) and the wall time of a run."""

    latencies: list[float]
    wall_s: float
    sessions: int

    @property
    def rate(self) -> float:
        """Hops per second."""
        return len(self.latencies) / self.wall_s

    def pct(self, p: float) -> float:
        """The ``p``-th percentile latency in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


def bench_settings(db: Path) -> Settings:
    """The gateway with only the USSD channel, its rate limits out of the way."""
    channels: dict[str, dict[str, object]] = {
        name: {"enabled": False} for name in CHANNELS if name != "ussd"
    }
    channels["ussd"] = {"hops_per_minute": _UNLIMITED}
    return parse_settings(
        {
            "gateway": {
                "rule_pack": "ir-tamin",
                "time_zone": "Asia/Tehran",
                "languages": ["fa", "en"],
            },
            "store": {"url": f"sqlite:///{db}"},
            "inquiries": {
                "insured_per_hour": _UNLIMITED,
                "provider_per_minute": _UNLIMITED,
                "provider_per_national_id": _UNLIMITED,
                "national_id_ceiling": _UNLIMITED,
            },
            "channels": channels,
        },
        source="<bench_ussd>",
    )


async def fill(settings: Settings) -> list[Flow]:
    """The demo registry and pharmacy; the flows the sessions follow."""
    store = await open_sqlite_store(settings.store.url.removeprefix("sqlite:///"))
    try:
        people = await seed_demo(store, rule_pack_for(settings), settings.today(), "bench")
    finally:
        await store.close()
    ids = {p.key: p.row.national_id for p in people}
    return [
        Flow("my cover", "+989121110001", ("1",)),
        Flow("family member", "+989121110002", ("2", "1")),
        Flow("provider check", DEMO_PROVIDER_PHONE, ("1", ids["rezaei-son-no-cert"], "1")),
    ]


async def _hop(client: Client, dialect: str, body: dict[str, object]) -> tuple[float, bool]:
    started = time.perf_counter()
    if dialect == "africastalking":
        async with client.post("/channels/ussd/africastalking", data=body) as resp:
            text = await resp.text()
        end = text.startswith("END ")
    else:
        async with client.post("/channels/ussd/hubtel", json=body) as resp:
            end = (await resp.json())["Type"] == "Release"
    if resp.status != 200:
        raise RuntimeError(f"hop answered {resp.status}")
    return time.perf_counter() - started, end


async def session(client: Client, flow: Flow, sid: str, dialect: str) -> list[float]:
    """One whole session; the latency of each hop."""
    latencies = []
    history: list[str] = []
    inputs = ("", *flow.inputs)
    for sequence, text in enumerate(inputs, start=1):
        if dialect == "africastalking":
            if sequence > 1:
                history.append(text)
            body: dict[str, object] = {
                "sessionId": sid,
                "serviceCode": "*384#",
                "phoneNumber": flow.phone,
                "text": "*".join(history),
            }
        else:
            body = {
                "Type": "Initiation" if sequence == 1 else "Response",
                "Mobile": flow.phone.removeprefix("+"),
                "SessionId": sid,
                "Message": "*713#" if sequence == 1 else text,
                "Sequence": sequence,
            }
        latency, end = await _hop(client, dialect, body)
        latencies.append(latency)
        if end != (sequence == len(inputs)):
            raise RuntimeError(f"{flow.name} ({dialect}) ended at hop {sequence}")
    return latencies


async def drive(client: Client, flows: list[Flow], sessions: int, width: int, label: str) -> Run:
    """``sessions`` sessions, ``width`` at a time (``label`` keeps their ids apart)."""
    plan = list(
        zip(
            range(sessions),
            itertools.cycle(flows),
            itertools.cycle(("africastalking", "hubtel", "hubtel", "africastalking")),
            strict=False,
        )
    )
    latencies: list[float] = []
    queue = iter(plan)

    async def worker() -> None:
        for number, flow, dialect in queue:
            sid = f"{label}-{number}"
            latencies.extend(await session(client, flow, sid, dialect))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return Run(latencies, time.perf_counter() - started, sessions)


async def measure(sessions: int, width: int) -> tuple[Run, Run]:
    """A sequential run and a concurrent one, after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="bench-ussd-") as tmp:
        settings = bench_settings(Path(tmp) / "ussd.sqlite3")
        flows = await fill(settings)
        async with TestClient(TestServer(gateway_app(settings))) as client:
            await drive(client, flows, 30, 1, "warm-up")
            seq = await drive(client, flows, max(30, sessions // 4), 1, "sequential")
            con = await drive(client, flows, sessions, width, "concurrent")
    return seq, con


def show(label: str, run: Run) -> None:
    """One line per run."""
    print(
        f"  {label}: {len(run.latencies):,} hops ({run.sessions:,} sessions) in "
        f"{run.wall_s:.2f} s = {run.rate:,.0f} hops/s; p50 {run.pct(50):.2f} ms, "
        f"p99 {run.pct(99):.2f} ms, max {max(run.latencies) * 1000:.1f} ms"
    )


def run(sessions: int = DEFAULT_SESSIONS, width: int = DEFAULT_CONCURRENCY) -> list[Figure]:
    """Measure and report; the figures for the summary."""
    quiet_logs()
    print(f"USSD hops through HTTP ({load_text()})")
    seq, con = asyncio.run(measure(sessions, width))
    show("one session at a time", seq)
    show(f"{width} sessions at a time", con)
    return [
        Figure("ussd hops/s, sequential", seq.rate, "hops/s"),
        Figure(f"ussd hops/s, {width} concurrent", con.rate, "hops/s"),
        Figure(
            f"ussd hop p99, {width} concurrent",
            con.pct(99),
            "ms",
            HOP_P99_TARGET_MS,
            higher_is_better=False,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run alone: ``python -m bench.bench_ussd``."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ussd", description=__doc__)
    parser.add_argument("--sessions", type=int, default=DEFAULT_SESSIONS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    print(machine())
    figures = run(args.sessions, args.concurrency)
    print()
    print_figures(figures)
    if args.json:
        print(json.dumps({f.name: round(f.value, 2) for f in figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
