"""What the degraded-state tests share: a Redis of their own to kill, and one that never answers.

``RedisProcess`` runs Debian's ``/usr/bin/redis-server`` on a free loopback port, without
persistence, and can SIGKILL it and start it again on the same port (its keys are then gone,
as after a real crash without persistence). ``BlackHole`` accepts connections and reads
whatever comes, answering nothing: a Redis that hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REDIS_SERVER = "/usr/bin/redis-server"
#: The pseudonym key every process of a shared state must share.
PSEUDONYM_KEY = "degraded-tests-shared-key"


def free_port() -> int:
    """A TCP port free on the loopback just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_path() -> str | None:
    """Debian's redis-server, or another on the PATH; None when there is none."""
    if Path(REDIS_SERVER).exists():
        return REDIS_SERVER
    return shutil.which("redis-server")


NEEDS_REDIS_SERVER = pytest.mark.skipif(
    redis_server_path() is None,
    reason="redis-server is not installed (Debian: apt-get install redis-server)",
)


@dataclass
class RedisProcess:
    """A redis-server of the test's own, started, SIGKILLed and restarted on one port."""

    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its ``redis://`` URL (database 0: the server is the test's alone)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until it answers PING."""
        path = redis_server_path()
        assert path is not None
        self.proc = subprocess.Popen(  # noqa: S603 (a fixed binary, our own arguments)
            [
                path,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not answer PING")
            time.sleep(0.02)

    def answers(self) -> bool:
        """Say whether the server answers PING now (a raw RESP exchange)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: gone at once, with every key and connection."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        """Kill the server if it runs (the fixture's clean-up)."""
        if self.proc is not None and self.proc.poll() is None:
            self.kill()


@contextlib.contextmanager
def redis_process(folder: Path) -> Iterator[RedisProcess]:
    """A started ``RedisProcess``, killed when the block ends."""
    server = RedisProcess(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class BlackHole:
    """A TCP server that accepts connections and never answers (a hung Redis)."""

    server: asyncio.Server | None = None
    accepted: int = 0
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def port(self) -> int:
        """Where it listens."""
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        """A ``redis://`` URL pointing at it."""
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self.server = await asyncio.start_server(self._swallow, "127.0.0.1", 0)

    async def _swallow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while await reader.read(65536):
                pass

    async def close(self) -> None:
        """Stop listening; drop every connection."""
        if self.server is not None:
            self.server.close()
        for writer in self._writers:
            writer.close()


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[BlackHole]:
    """A started ``BlackHole``, closed when the block ends."""
    hole = BlackHole()
    await hole.start()
    try:
        yield hole
    finally:
        await hole.close()


async def eventually(
    check: object, seconds: float = 20.0, every: float = 0.05, what: str = "condition"
) -> None:
    """Wait until ``check()`` (sync or async) is true; fail after ``seconds``.

    A generous bound: it ends a test that hangs, never one that is slow to pass.
    """
    assert callable(check)
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        await asyncio.sleep(every)
