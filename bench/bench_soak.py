"""Soak: every channel at once, open loop at 70 % of the mix's peak for minutes, then a burst.

The real gateway (``python -m eligibility_gw serve``: every channel mounted, info logs as JSON,
the answer log written) runs pinned to CPU 0 on a private copy of a synthetic registry of
100,000 persons (``--rows``); the load generator (this process, with the fake Telegram Bot API
the bot talks to) runs pinned to CPU 1. The mix and how each reply is judged are described in
``bench/_traffic.py``: JSON API 40 %, FHIR 10 %, signed Twilio SMS 20 %, USSD sessions hop by
hop 15 %, Telegram updates with the webhook secret 15 % (of arrivals).

1. Peak: a short closed-loop ramp of the mix (several numbers of concurrent clients); the
   peak is the best arrivals/s of a step in which every arrival was answered.
2. Soak: a 2 s burst first fills the gateway to its in-flight bound (so a full queue's
   memory is counted before the measurement, not as growth); then arrivals at 70 % of that
   peak, open loop (latency from each arrival's scheduled
   start), for ``--duration`` seconds. The server's resident set (``VmRSS`` in
   ``/proc/<pid>/status``) is sampled every second; its growth is measured from the end of the
   warm-up (the first 20 % of the soak) to the end. Every reply must be a proper answer.
3. Burst: 3x the peak for a few seconds. Requests past ``max_in_flight`` are refused in each
   channel's own way (503 + Retry-After, "busy" in TwiML or on the USSD screen); nothing else
   may fail.
4. The server is stopped (SIGTERM); then every tracking code the load generator received in
   an answer must be in the answer log (the SQLite file opened read-only), and
   ``eligibility-gw audit verify`` must pass.

With the shipped ``[state] url = "memory://"`` the USSD sessions, webhook de-duplication keys
and rate-limit counters live in the server's own memory and count in its resident set: they
grow until their TTLs (a day for de-duplication keys, an hour for per-person counters) are
reached, and the soak prints how many keys the store holds (``eligibility_state_keys`` in
``/metrics``) beside the resident set. ``--state redis://HOST:PORT/DB`` keeps them in Redis
instead (under a key prefix of the run's own, deleted afterwards), so that the resident set
shows the gateway's own memory; ``make bench`` soaks that way when Redis answers.

``--redis-outage SECONDS`` soaks with the state in a ``redis-server`` of the run's own and
SIGKILLs it for that long in the middle of the soak, then starts it again (empty, as a cache
without disk comes back): the gateway must go on answering every channel and logging every
answer (issue #22). Besides the figures above it reports the error rate and p99 of the
arrivals that began while Redis was down, what ``/readyz`` said meanwhile (200
``degraded``), the seconds from the restart until it said ``ok`` again (shared state
resumed), and the transition lines in the server's log (one each way). USSD sessions that
were mid-way when Redis died lose their state and are told to dial again: counted apart
("restarted"), neither answered nor failed.

    python -m bench.bench_soak [--quick] [--duration 300] [--rows 100000] [--state URL]
    python -m bench.bench_soak --redis-outage 30 --duration 90
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
    CHANNELS,
    LOAD_CPU,
    SERVER_CPU,
    WEIGHTS,
    FakeBotApi,
    Gateway,
    Outcome,
    RedisServer,
    Result,
    Tally,
    Traffic,
    answer_log_codes,
    client_session,
    closed_loop,
    forget_state,
    free_port,
    gateway_config,
    open_loop,
    percentile_ms,
    pinned,
    population,
    prepare_registry,
    redis_server_path,
    tool,
)

DEFAULT_DURATION = 300.0
QUICK_DURATION = 15.0
#: Share of the peak the soak runs at, and the burst's multiple of the peak.
SOAK_SHARE = 0.70
BURST_FACTOR = 3.0
#: Targets: no reply other than a proper answer while soaking; the resident set grows less
#: than this from the end of the warm-up to the end.
TARGET_ERROR_RATE = 0.0
TARGET_RSS_GROWTH = 10.0
#: Each channel's p99 while soaking: the bound bench_sms and bench_ussd set ("well inside"
#: the 15 s Twilio and the USSD operators wait), for every channel.
TARGET_P99_MS = 500.0
WARM_UP_SHARE = 0.20
#: With ``--redis-outage``: the soak's length (the outage in its middle), and how often
#: readiness is asked.
OUTAGE_DURATION = 90.0
REDIS_OUTAGE = 30.0
READY_EVERY = 0.5


@dataclass
class Step:
    """One step of the closed-loop ramp."""

    width: int
    rate: float
    requests_rate: float
    server_cpu: float
    not_answered: int


@dataclass
class Soak:
    """What the whole run measured."""

    rows: int
    state: str
    peak: Step
    ramp: list[Step]
    rate: float
    achieved: float
    duration: float
    soak: Tally
    #: (seconds into the soak, VmRSS kB, RssAnon kB)
    rss: list[tuple[float, int, int]]
    #: (seconds into the soak, keys held by the in-memory state store; 0 on Redis)
    state_keys: list[tuple[float, int]]
    warm_up_s: float
    burst_rate: float
    burst_s: float
    burst: Tally
    stop_code: int
    stop_s: float
    received: int
    found: int
    verify_code: int
    verify_text: str
    server_errors: int
    #: The server's CPU use while soaking (% of one core), and the machine's load meanwhile.
    soak_cpu: float = 0.0
    soak_load: str = ""
    samples: list[str] = field(default_factory=list)
    #: With a Redis outage: seconds into the soak it was killed and restarted, the arrivals
    #: that began meanwhile, readiness as sampled (seconds, HTTP status, "status"), and the
    #: transition lines of the server's log.
    outage: tuple[float, float] | None = None
    during: Tally = field(default_factory=Tally)
    before: Tally = field(default_factory=Tally)
    after: Tally = field(default_factory=Tally)
    ready: list[tuple[float, int, str]] = field(default_factory=list)
    went_down: int = 0
    came_back: int = 0


class PhasedTally(Tally):
    """A tally that also keeps, apart, the arrivals that began before, inside and after a
    window of time (the same load, compared)."""

    def __init__(self, t0: float) -> None:
        super().__init__()
        self.t0 = t0
        self.window: tuple[float, float] | None = None
        self.before, self.inside, self.after = Tally(), Tally(), Tally()

    def add(self, result: Result) -> None:
        """Count one arrival; also in its phase."""
        super().add(result)
        if self.window is None:
            return
        began = time.perf_counter() - sum(result.latencies) - self.t0
        start, end = self.window
        phase = self.before if began < start else self.inside if began < end else self.after
        phase.add(result)


def readiness(base: str) -> tuple[int, str]:
    """``/readyz``: its HTTP status and its ``status`` (0 and "" when it does not answer)."""
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:  # noqa: S310 (our own)
            return r.status, str(json.loads(r.read()).get("status", ""))
    except urllib.error.HTTPError as exc:
        return exc.code, str(json.loads(exc.read() or b"{}").get("status", ""))
    except (OSError, ValueError):
        return 0, ""


def state_keys(base: str) -> int:
    """The gateway's ``eligibility_state_keys`` gauge (-1 when /metrics does not answer)."""
    try:
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as r:  # noqa: S310 (our own)
            text = r.read().decode("utf-8")
    except OSError:
        return -1
    for line in text.splitlines():
        if line.startswith("eligibility_state_keys "):
            return int(float(line.split()[1]))
    return -1


def _keys_at(samples: list[tuple[float, int]], at: float) -> int:
    """The state keys held at the sample nearest ``at`` seconds."""
    return min(samples, key=lambda s: abs(s[0] - at))[1] if samples else -1


def _rss_at(samples: list[tuple[float, int, int]], at: float, part: int = 1) -> float:
    """The mean resident set (kB; ``part`` 2: its anonymous part) of the three samples nearest
    ``at`` seconds."""
    nearest = sorted(samples, key=lambda s: abs(s[0] - at))[:3]
    return statistics.fmean(s[part] for s in nearest)


async def _ramp(
    traffic: Traffic, gw: Gateway, widths: Sequence[int], seconds: float, all_codes: set[str]
) -> list[Step]:
    steps = []
    for width in widths:
        tally = Tally()
        cpu = gw.cpu_s()
        started = time.perf_counter()
        rate = await closed_loop(traffic, width, seconds, tally)
        wall = time.perf_counter() - started
        step = Step(
            width,
            rate,
            tally.requests() / wall,
            100 * (gw.cpu_s() - cpu) / wall,
            tally.count() - tally.count(Outcome.ANSWERED),
        )
        all_codes |= tally.codes
        print(
            f"  ramp c={width:<4} {step.rate:7,.0f} arrivals/s ({step.requests_rate:,.0f} req/s)"
            f"  p50 {percentile_ms(tally.latencies(), 50):6.1f} ms"
            f"  p99 {percentile_ms(tally.latencies(), 99):7.1f} ms"
            f"  server CPU {step.server_cpu:3.0f} %  not answered {step.not_answered}"
        )
        for failure, n in tally.failures.most_common(3):
            print(f"    {n} x {failure}")
        steps.append(step)
    return steps


async def _measure(
    db: Path,
    pack_name: str,
    rows: int,
    duration: float,
    quick: bool,
    state: str,
    folder: Path,
    redis: RedisServer | None = None,
    outage: float = 0.0,
) -> Soak:
    people = population(db)
    bot = FakeBotApi()
    bot_url = await bot.start()
    port = free_port()
    config = gateway_config(pack_name, db, port, bot_url, folder, state_url=state)
    gw = Gateway(config, port, DATA_DIR / "bench_soak.server.log")
    gw.log.unlink(missing_ok=True)
    all_codes: set[str] = set()
    try:
        start_s = await asyncio.to_thread(gw.start)
        print(f"  gateway up in {start_s:.1f} s (pid {gw.pid}, CPU {SERVER_CPU})")
        async with client_session() as session:
            traffic = Traffic(session, gw.base, people, bot, today_for(pack_name))
            await traffic.bind_telegram_users(300 if quick else 1000)
            ramp = await _ramp(
                traffic,
                gw,
                (8, 32, 96) if quick else (8, 16, 32, 64, 128),
                2.0 if quick else 5.0,
                all_codes,
            )
            clean = [s for s in ramp if s.not_answered == 0] or ramp
            peak = max(clean, key=lambda s: s.rate)
            rate = SOAK_SHARE * peak.rate
            # Fill the gateway to its in-flight bound once before measuring: a queue of
            # max_in_flight requests sets the allocator's high-water mark (CPython keeps the
            # arenas), which an overload moment during the soak would otherwise add to the
            # growth. What grows after it is memory the gateway keeps.
            prime = Tally()
            await open_loop(traffic, BURST_FACTOR * peak.rate, 2.0, prime)
            all_codes |= prime.codes
            await asyncio.sleep(3.0)
            print(
                f"  filled to the in-flight bound: {prime.count():,} arrivals in 2 s,"
                f" {prime.count(Outcome.SHED):,} busy, {prime.count(Outcome.FAILED)} failed"
            )
            print(
                f"  peak {peak.rate:,.0f} arrivals/s (c={peak.width}); soak at {rate:,.0f}/s"
                f" for {duration:.0f} s ..."
            )
            rss: list[tuple[float, int, int]] = []
            t0 = time.perf_counter()
            soak = PhasedTally(t0)
            ready: list[tuple[float, int, str]] = []
            killed_at = (duration - outage) / 2 if redis is not None and outage > 0 else None

            keys: list[tuple[float, int]] = []

            async def sample() -> None:
                n = 0
                while True:
                    kb = gw.memory_kb()
                    rss.append((time.perf_counter() - t0, kb["VmRSS"], kb.get("RssAnon", 0)))
                    if n % 5 == 0:
                        held = await asyncio.to_thread(state_keys, gw.base)
                        keys.append((time.perf_counter() - t0, held))
                    n += 1
                    await asyncio.sleep(1.0)

            def progress(elapsed: float) -> None:
                if int(elapsed) % 30 == 0:
                    print(
                        f"    {elapsed:4.0f} s: {soak.count():,} arrivals,"
                        f" {soak.count() - soak.count(Outcome.ANSWERED)} not answered,"
                        f" RSS {rss[-1][1] / 1024:.1f} MiB"
                    )

            async def ask_ready() -> None:
                while True:
                    code, said = await asyncio.to_thread(readiness, gw.base)
                    ready.append((time.perf_counter() - t0, code, said))
                    await asyncio.sleep(READY_EVERY)

            async def cut_redis() -> None:
                assert redis is not None
                assert killed_at is not None
                await asyncio.sleep(killed_at)
                redis.kill()
                print(f"    {killed_at:4.0f} s: Redis killed (SIGKILL) for {outage:.0f} s")
                await asyncio.sleep(outage)
                await asyncio.to_thread(redis.start)
                print(f"    {killed_at + outage:4.0f} s: Redis started again (empty)")

            tasks = [asyncio.create_task(sample()), asyncio.create_task(ask_ready())]
            if killed_at is not None:
                soak.window = (killed_at, killed_at + outage)
                tasks.append(asyncio.create_task(cut_redis()))
            cpu, load_before = gw.cpu_s(), load_text()
            achieved = await open_loop(traffic, rate, duration, soak, progress)
            soak_cpu = 100 * (gw.cpu_s() - cpu) / (time.perf_counter() - t0)
            soak_load = f"{load_before} at the start, {load_text()} at the end"
            if killed_at is not None:
                await tasks[-1]  # Redis is back before the burst
            for task in tasks:
                task.cancel()
            all_codes |= soak.codes
            burst_rate = BURST_FACTOR * peak.rate
            burst_s = 3.0 if quick else 5.0
            print(f"  burst at {burst_rate:,.0f} arrivals/s for {burst_s:.0f} s ...")
            burst = Tally()
            await open_loop(traffic, burst_rate, burst_s, burst)
            all_codes |= burst.codes
        stop_code, stop_s = await asyncio.to_thread(gw.stop)
    finally:
        gw.ensure_stopped()
        await bot.close()
        await asyncio.to_thread(forget_state, state, port)
    found = len(all_codes & answer_log_codes(db))
    verify_code, verify_text = await asyncio.to_thread(gw.audit_verify)
    said = gw.log.read_text(errors="replace")
    return Soak(
        rows=rows,
        state=state,
        peak=peak,
        ramp=ramp,
        rate=rate,
        achieved=achieved,
        duration=duration,
        soak=soak,
        rss=rss,
        state_keys=keys,
        warm_up_s=max(5.0, WARM_UP_SHARE * duration),
        burst_rate=burst_rate,
        burst_s=burst_s,
        burst=burst,
        stop_code=stop_code,
        stop_s=stop_s,
        received=len(all_codes),
        found=found,
        verify_code=verify_code,
        verify_text=verify_text,
        server_errors=said.count('"level": "error"'),
        soak_cpu=soak_cpu,
        soak_load=soak_load,
        samples=[f"{n} x {f}" for f, n in (soak.failures + burst.failures).most_common(5)],
        outage=soak.window,
        during=soak.inside,
        before=soak.before,
        after=soak.after,
        ready=ready,
        went_down=said.count('"event": "dependency_unavailable"'),
        came_back=said.count('"event": "dependency_restored"'),
    )


def outage_figures(r: Soak) -> list[Figure]:
    """What the Redis outage cost: the figures of the arrivals that began meanwhile."""
    assert r.outage is not None
    down, up = r.outage
    d = r.during
    arrivals = d.count()
    failed = d.count(Outcome.FAILED)
    inside = [(c, said) for t, c, said in r.ready if down + 1 <= t < up]
    after_up = [t - up for t, c, said in r.ready if t >= up and (c, said) == (200, "ok")]
    degraded = bool(inside) and all((c, said) == (200, "degraded") for c, said in inside)
    return [
        Figure(
            "Redis killed: error rate of arrivals meanwhile",
            100 * failed / max(1, arrivals),
            "%",
            TARGET_ERROR_RATE,
            higher_is_better=False,
            note=f"{arrivals:,} arrivals in {up - down:.0f} s: {d.count(Outcome.ANSWERED):,}"
            f" answered, {d.count(Outcome.SHED)} busy, {failed} failed,"
            f" {d.count(Outcome.RESTARTED)} USSD sessions told to dial again"
            f" (before: {r.before.count(Outcome.RESTARTED)}, after:"
            f" {r.after.count(Outcome.RESTARTED)})",
        ),
        Figure(
            "Redis killed: p99 of requests meanwhile",
            percentile_ms(d.latencies(), 99),
            "ms",
            TARGET_P99_MS,
            False,
            note=f"p50 {percentile_ms(d.latencies(), 50):.1f} ms; {d.requests():,} requests;"
            f" the same load before: p99 {percentile_ms(r.before.latencies(), 99):.1f} ms"
            f" ({r.before.count(Outcome.FAILED)} failed), after:"
            f" {percentile_ms(r.after.latencies(), 99):.1f} ms"
            f" ({r.after.count(Outcome.FAILED)} failed)",
        ),
        Figure(
            "Redis killed: /readyz 200 degraded meanwhile",
            1.0 if degraded else 0.0,
            "pass",
            1.0,
            note=f"{len(inside)} polls; "
            + ", ".join(f"{c} {said}" for (c, said), n in Counter(inside).most_common(3)),
        ),
        Figure(
            "Redis back: seconds until /readyz ok",
            after_up[0] if after_up else float("nan"),
            "s",
            note="shared state resumed by itself",
        ),
        Figure(
            "Redis killed and back: transition lines logged",
            r.went_down + r.came_back,
            "lines",
            2,
            False,
            note=f"{r.went_down} dependency_unavailable, {r.came_back} dependency_restored",
        ),
    ]


def figures(r: Soak) -> list[Figure]:
    """The run's figures, with their targets."""
    s = r.soak
    arrivals = s.count()
    not_answered = arrivals - s.count(Outcome.ANSWERED)
    rss_from = _rss_at(r.rss, r.warm_up_s)
    rss_to = _rss_at(r.rss, r.rss[-1][0])
    growth = 100 * (rss_to - rss_from) / rss_from
    anon_from = _rss_at(r.rss, r.warm_up_s, 2)
    anon_to = _rss_at(r.rss, r.rss[-1][0], 2)
    keys_from, keys_to = _keys_at(r.state_keys, r.warm_up_s), _keys_at(r.state_keys, 1e9)
    held = f"; state keys {keys_from:,} -> {keys_to:,}"
    if keys_to > keys_from >= 0:
        per_key = 1024 * (rss_to - rss_from) / (keys_to - keys_from)
        held += f" ({per_key:,.0f} bytes of growth per key added)"
    shed = r.burst.shed_by_channel()
    out = [
        Figure(
            f"soak: mixed peak, closed loop ({r.rows:,} persons)",
            r.peak.rate,
            "arrivals/s",
            note=f"c={r.peak.width}, {r.peak.requests_rate:,.0f} req/s,"
            f" server CPU {r.peak.server_cpu:.0f} %",
        ),
        Figure(
            f"soak: offered rate ({SOAK_SHARE:.0%} of peak)",
            r.achieved,
            "arrivals/s",
            note=f"{r.duration:.0f} s, {arrivals:,} arrivals, {s.requests():,} requests;"
            f" server CPU {r.soak_cpu:.0f} %",
        ),
        Figure(
            "soak: error rate (not a proper answer)",
            100 * not_answered / max(1, arrivals),
            "%",
            TARGET_ERROR_RATE,
            higher_is_better=False,
            note=f"{s.count(Outcome.FAILED)} failed, {s.count(Outcome.SHED)} busy",
        ),
        Figure(
            "soak: server RSS growth after warm-up",
            growth,
            "%",
            TARGET_RSS_GROWTH,
            higher_is_better=False,
            note=f"VmRSS {rss_from / 1024:.1f} -> {rss_to / 1024:.1f} MiB from {r.warm_up_s:.0f} s"
            f" (anonymous {anon_from / 1024:.1f} -> {anon_to / 1024:.1f}); state {r.state}" + held,
        ),
        Figure("soak: p50, all requests", percentile_ms(s.latencies(), 50), "ms", None, False),
        Figure(
            "soak: p99, all requests",
            percentile_ms(s.latencies(), 99),
            "ms",
            TARGET_P99_MS,
            False,
        ),
    ]
    for channel in CHANNELS:
        lat = s.latencies(channel)
        unit = "hop" if channel == "ussd" else "request"
        out.append(
            Figure(
                f"soak: {channel} p99",
                percentile_ms(lat, 99),
                "ms",
                TARGET_P99_MS,
                False,
                note=f"p50 {percentile_ms(lat, 50):.1f} ms; {len(lat):,} {unit}s",
            )
        )
    burst = r.burst
    out += [
        Figure(
            f"burst: busy replies at {BURST_FACTOR:.0f}x peak",
            burst.count(Outcome.SHED),
            "replies",
            note=f"of {burst.count():,} arrivals in {r.burst_s:.0f} s; "
            + ", ".join(f"{c} {n}" for c, n in shed.items() if n),
        ),
        Figure(
            "burst: failed (neither answer nor busy)",
            burst.count(Outcome.FAILED),
            "arrivals",
            0,
            False,
        ),
        Figure(
            "no lost logged answers: codes missing from the log",
            r.received - r.found,
            "codes",
            0,
            False,
            note=f"{r.found:,} of {r.received:,} received codes found",
        ),
        Figure(
            "audit verify after the run",
            1.0 if r.verify_code == 0 else 0.0,
            "pass",
            1.0,
            note=r.verify_text.splitlines()[-1][:60] if r.verify_text else "",
        ),
        Figure(
            "SIGTERM after the burst: seconds to exit",
            r.stop_s,
            "s",
            note=f"exit code {r.stop_code}; {r.server_errors} error lines in the server log",
        ),
    ]
    if r.outage is not None:
        out = [replace(f, name=f"{f.name} [Redis killed]") for f in out] + outage_figures(r)
    return out


def run(
    rows: int = QUICK_ROWS,
    pack_name: str = DEFAULT_PACK,
    duration: float = DEFAULT_DURATION,
    quick: bool = False,
    state: str = "memory://",
    redis_outage: float = 0.0,
) -> list[Figure]:
    """The soak benchmark's figures (``state``: the gateway's ``[state] url``).

    ``redis_outage`` seconds above 0: the state in a redis-server of the run's own, killed
    for that long in the middle of the soak (``state`` is then ignored).
    """
    for name in ("taskset",):
        try:
            tool(name)
        except FileNotFoundError:
            print(f"bench_soak: skipped, {name} is not installed")
            return []
    if redis_outage > 0 and redis_server_path() is None:
        print("bench_soak: Redis outage skipped, redis-server is not installed")
        return []
    if redis_outage >= duration:
        raise ValueError("the Redis outage must be shorter than the soak")
    mix = ", ".join(f"{c} {w} %" for c, w in WEIGHTS.items())
    print(
        f"bench_soak: all channels mixed ({mix}) on a {rows:,}-person registry; server on CPU"
        f" {SERVER_CPU}, load on CPU {LOAD_CPU}; {duration:.0f} s at {SOAK_SHARE:.0%} of the"
        f" peak, then {BURST_FACTOR:.0f}x; {load_text()}"
    )
    if redis_outage > 0:
        print(f"  Redis of the run's own, killed for {redis_outage:.0f} s mid-soak")
    db = prepare_registry(pack_name, rows, "soak")
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp, pinned(LOAD_CPU):
        redis = None
        if redis_outage > 0:
            redis = RedisServer(Path(tmp))
            redis.start()
            state = redis.url
        try:
            result = asyncio.run(
                _measure(
                    db, pack_name, rows, duration, quick, state, Path(tmp), redis, redis_outage
                )
            )
        finally:
            if redis is not None:
                redis.kill()
    s = result.soak
    for channel in CHANNELS:
        t = s.channels[channel]
        print(
            f"  {channel:<8} {sum(t.arrivals.values()):>8,} arrivals"
            f"  answered {t.arrivals[Outcome.ANSWERED]:,}  busy {t.arrivals[Outcome.SHED]}"
            f"  failed {t.arrivals[Outcome.FAILED]}"
            f"  p50 {percentile_ms(t.latencies, 50):.1f} ms"
            f"  p99 {percentile_ms(t.latencies, 99):.1f} ms"
        )
    for line in result.samples:
        print(f"  failure: {line}")
    step = max(1, len(result.rss) // 10)
    print(
        "  RSS (MiB) over the soak: "
        + " ".join(f"{t:.0f}s:{kb / 1024:.1f}" for t, kb, _ in result.rss[::step])
    )
    if any(n > 0 for _, n in result.state_keys):
        step = max(1, len(result.state_keys) // 10)
        print(
            "  state keys held by the process itself (memory://, or kept while Redis was out): "
            + " ".join(f"{t:.0f}s:{n:,}" for t, n in result.state_keys[::step])
        )
    if result.outage is not None:
        down, up = result.outage
        said = [f"{t:.0f}s:{c} {st}" for t, c, st in result.ready if down - 2 <= t <= up + 5]
        print("  /readyz around the outage: " + " ".join(said[::2]))
    print(f"  soak: {result.soak_load}")
    return figures(result)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_soak", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help=f"a {QUICK_DURATION:.0f} s soak and short steps"
    )
    parser.add_argument("--duration", type=float, help="soak seconds (default 300)")
    parser.add_argument("--rows", type=int, default=QUICK_ROWS, help="registry rows")
    parser.add_argument("--pack", default=DEFAULT_PACK, choices=("ir-tamin", "ro-cnas"))
    parser.add_argument(
        "--state",
        default="memory://",
        help="the gateway's [state] url: memory:// (default) or redis://HOST:PORT/DB",
    )
    parser.add_argument(
        "--redis-outage",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="state in a redis-server of the run's own, SIGKILLed this long mid-soak"
        f" (the soak then lasts {OUTAGE_DURATION:.0f} s unless --duration says otherwise)",
    )
    args = parser.parse_args(argv)
    default = OUTAGE_DURATION if args.redis_outage > 0 else DEFAULT_DURATION
    duration = args.duration or (
        QUICK_DURATION if args.quick and not args.redis_outage else default
    )
    print(machine())
    found = run(args.rows, args.pack, duration, args.quick, args.state, args.redis_outage)
    print()
    print_figures(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
