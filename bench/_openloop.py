"""A lean open-loop HTTP/1.1 load generator: requests leave on a fixed schedule.

Latency is measured from each request's *scheduled* start to the last byte of its response,
so a server that falls behind is charged for every request it delays (no coordinated
omission). The generator must not be the noise it measures: a general-purpose client
(aiohttp's, with a task per request and a response object per answer) costs a few hundred
microseconds per request and pauses for its own garbage collections and its event loop's
backlog, which then show in the server's p99. This one keeps a pool of keep-alive
connections, writes pre-built request bytes and reads only the status code and the length of
each response; the collector is off while it measures (nothing it allocates forms a cycle).

The generator reports its own event-loop lags beside the figures: a lag of the generator
shows in the latencies as if it were the server's, so a run whose generator lagged is to be
read with that in mind.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field

#: Connections opened before the clock starts; more are opened when all are busy.
WARM_CONNECTIONS = 64
#: Never more than this many connections (a server that stops answering gets no more).
MAX_CONNECTIONS = 1024


@dataclass
class _Tally:
    expected: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, latency: float, status: int) -> None:
        self.latencies.append(latency)
        self.statuses[status] += 1
        if len(self.latencies) >= self.expected:
            self.done.set()


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self, pool: list[_Connection], tally: _Tally) -> None:
        self._pool = pool
        self._tally = tally
        self._buffer = bytearray()
        self._scheduled = 0.0
        self._need = -1  # bytes of the whole response, once its head is read
        self._status = 0
        self._busy = False
        self.transport: asyncio.Transport | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, request: bytes, scheduled: float) -> None:
        assert self.transport is not None
        self._scheduled = scheduled
        self._buffer.clear()
        self._need = -1
        self._busy = True
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            self._status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            length = 0
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else len(head)])
            self._need = end + 4 + length
        if len(buffer) >= self._need:
            self._busy = False
            self._tally.add(time.perf_counter() - self._scheduled, self._status)
            self._pool.append(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._busy:  # a request in flight lost its connection: a failure (status 0)
            self._busy = False
            self._tally.add(time.perf_counter() - self._scheduled, 0)


def request_bytes(host: str, port: int, path: str, headers: dict[str, str], body: str) -> bytes:
    """A whole POST request, ready to write."""
    payload = body.encode("utf-8")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload


async def open_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    rate: float,
    duration: float,
) -> dict[str, object]:
    """Send ``rate`` requests a second for ``duration`` seconds; latency figures and statuses."""
    loop = asyncio.get_running_loop()
    total = int(rate * duration)
    tally = _Tally(total)
    idle: list[_Connection] = []
    opened: list[_Connection] = []

    async def connect() -> _Connection:
        _, conn = await loop.create_connection(lambda: _Connection(idle, tally), host, port)
        opened.append(conn)
        return conn

    for conn in await asyncio.gather(*(connect() for _ in range(WARM_CONNECTIONS))):
        idle.append(conn)
    lags: list[float] = []
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter() + 0.05
        i = 0
        while i < total:
            now = time.perf_counter()
            due = min(total, int((now - start) * rate) + 1)
            if due <= i:
                await asyncio.sleep(start + i / rate - now)
                late = time.perf_counter() - (start + i / rate)
                if late > 0.005:
                    lags.append(late)
                continue
            while i < due:
                while idle and idle[-1].closed:
                    idle.pop()
                if idle:
                    conn = idle.pop()
                elif len(opened) < MAX_CONNECTIONS:
                    conn = await connect()
                else:  # every connection busy: this request waits, and is charged for it
                    await asyncio.sleep(0.0005)
                    continue
                conn.send(requests[i % len(requests)], start + i / rate)
                i += 1
        wall = time.perf_counter() - start
        with suppress(TimeoutError):  # answers still missing then count as failures
            await asyncio.wait_for(tally.done.wait(), 30)
    finally:
        gc.enable()
        for conn in opened:
            if conn.transport is not None:
                conn.transport.close()
    ordered = sorted(tally.latencies)
    missing = total - len(ordered)
    if missing > 0:
        tally.statuses[0] += missing

    def pct(p: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return {
        "sent": total,
        "achieved": total / wall,  # the rate the requests left at
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "statuses": {str(k): v for k, v in tally.statuses.items()},
        "connections": len(opened),
        "generator_lags_over_5ms": len(lags),
        "generator_max_lag_ms": max(lags, default=0.0) * 1000,
    }
