"""SMS webhook inquiries per second: signed Twilio posts through the HTTP app, demo registry.

A real local server (aiohttp's ``TestServer`` on 127.0.0.1) runs the gateway with only the
SMS channel. Each request is a Twilio inbound-SMS form signed with Twilio's own
``RequestValidator`` (signatures computed before the clock starts): the gateway checks the
signature, de-duplicates the ``MessageSid``, counts the rate limits, answers in TwiML and logs
the answer. The mix: a provider's check (half), the insured person's own cover in Persian
digits, a stranger refused, HELP. ``--concurrency`` requests are in flight at once. Twilio
waits 15 s for an answer; the target here is a p99 far inside it.

    python -m bench.bench_sms [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from bench._common import Figure, load_text, machine, print_figures, quiet_logs, twilio_form
from eligibility_gw.adapters.sqlite import open_sqlite_store
from eligibility_gw.channels import CHANNELS, gateway_app
from eligibility_gw.demo import DEMO_PROVIDER_PHONE, seed_demo
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import Settings, parse_settings

DEFAULT_REQUESTS = 2_000
DEFAULT_CONCURRENCY = 20
#: "Well inside" Twilio's 15 s.
P99_TARGET_MS = 500.0
PUBLIC = "https://gw.example.org"
PATH = "/channels/sms/twilio"
TOKEN_ENV = "BENCH_SMS_TWILIO_AUTH_TOKEN"  # noqa: S105 (a variable's name)
_UNLIMITED = 10**9
Client = TestClient[web.Request, web.Application]
Signed = tuple[dict[str, str], str]


@dataclass(frozen=True, slots=True)
class Run:
    """Request latencies (seconds) and the wall time of a run."""

    latencies: list[float]
    wall_s: float

    @property
    def rate(self) -> float:
        """Requests per second."""
        return len(self.latencies) / self.wall_s

    def pct(self, p: float) -> float:
        """The ``p``-th percentile latency in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def show(self, label: str) -> None:
        """One line per run."""
        print(
            f"  {label}: {len(self.latencies):,} SMS in {self.wall_s:.2f} s"
            f" = {self.rate:,.0f}/s; p50 {self.pct(50):.2f} ms, p95 {self.pct(95):.2f} ms,"
            f" p99 {self.pct(99):.2f} ms"
        )


def bench_settings(db: Path) -> Settings:
    """The gateway with only the SMS channel, its rate limits out of the way."""
    channels: dict[str, dict[str, object]] = {
        name: {"enabled": False} for name in CHANNELS if name != "sms"
    }
    channels["sms"] = {"inquiries_per_sender": _UNLIMITED}
    return parse_settings(
        {
            "gateway": {
                "rule_pack": "ir-tamin",
                "time_zone": "Asia/Tehran",
                "languages": ["fa", "en"],
            },
            "store": {"url": f"sqlite:///{db}"},
            "server": {"public_base_url": PUBLIC},
            "twilio": {"auth_token_env": TOKEN_ENV},
            "inquiries": {
                "insured_per_hour": _UNLIMITED,
                "provider_per_minute": _UNLIMITED,
                "provider_per_national_id": _UNLIMITED,
                "national_id_ceiling": _UNLIMITED,
            },
            "channels": channels,
        },
        source="<bench_sms>",
    )


async def fill(settings: Settings) -> list[tuple[str, str]]:
    """The demo registry and pharmacy; the (sender, body) mix the requests cycle through."""
    store = await open_sqlite_store(settings.store.url.removeprefix("sqlite:///"))
    try:
        people = await seed_demo(store, rule_pack_for(settings), settings.today(), "bench")
    finally:
        await store.close()
    checks = [(DEMO_PROVIDER_PHONE, p.row.national_id) for p in people]
    own = ("+989121110001", "۱۰۰۰۰۰۰۰۱۱")
    stranger = ("+989129999999", "1000000011")
    help_ = ("+989121110002", "HELP")
    mix: list[tuple[str, str]] = []
    for check in checks:
        mix += [check, own if len(mix) % 3 else stranger, check, help_ if len(mix) % 2 else own]
    return mix


def signed_forms(mix: list[tuple[str, str]], n: int, token: str) -> list[Signed]:
    """``n`` Twilio forms with their signatures, each with a fresh ``MessageSid``."""
    validator = RequestValidator(token)
    forms: list[Signed] = []
    for sender, body in itertools.islice(itertools.cycle(mix), n):
        form = twilio_form(sender, body)
        forms.append((form, str(validator.compute_signature(PUBLIC + PATH, form))))
    return forms


async def _post(client: Client, signed: Signed) -> float:
    form, signature = signed
    started = time.perf_counter()
    async with client.post(PATH, data=form, headers={"X-Twilio-Signature": signature}) as resp:
        await resp.read()
    if resp.status != 200:
        raise RuntimeError(f"webhook answered {resp.status}")
    return time.perf_counter() - started


async def drive(client: Client, forms: Sequence[Signed], width: int) -> Run:
    """Post ``forms``, ``width`` at a time."""
    latencies: list[float] = []
    queue = iter(forms)

    async def worker() -> None:
        for signed in queue:
            latencies.append(await _post(client, signed))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    return Run(latencies, time.perf_counter() - started)


async def measure(requests: int, width: int) -> tuple[Run, Run]:
    """A sequential run and a concurrent one, after a warm-up."""
    token = secrets.token_hex(16)
    os.environ[TOKEN_ENV] = token
    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
        settings = bench_settings(Path(tmp) / "sms.sqlite3")
        mix = await fill(settings)
        warm_up = signed_forms(mix, 50, token)
        sequential = signed_forms(mix, max(50, requests // 4), token)
        concurrent = signed_forms(mix, requests, token)
        async with TestClient(TestServer(gateway_app(settings))) as client:
            await drive(client, warm_up, 1)
            seq = await drive(client, sequential, 1)
            con = await drive(client, concurrent, width)
    return seq, con


def run(requests: int = DEFAULT_REQUESTS, width: int = DEFAULT_CONCURRENCY) -> list[Figure]:
    """Signed SMS webhook requests per second, and their latency."""
    quiet_logs()
    print(f"bench_sms: {requests:,} signed Twilio webhooks, {width} concurrent; {load_text()}")
    seq, con = asyncio.run(measure(requests, width))
    seq.show("sequential")
    con.show(f"{width} concurrent")
    return [
        Figure("SMS webhook inquiries/s, sequential (signed)", seq.rate, "req/s"),
        Figure(f"SMS webhook inquiries/s, {width} concurrent (signed)", con.rate, "req/s"),
        Figure(
            f"SMS webhook p99 latency, {width} concurrent",
            con.pct(99),
            "ms",
            target=P99_TARGET_MS,
            higher_is_better=False,
            note="Twilio waits 15 s",
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_sms", description=__doc__)
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    args = parser.parse_args(argv)
    print(machine())
    figures = run(args.requests, args.concurrency)
    print()
    print_figures(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
