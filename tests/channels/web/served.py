"""A seeded gateway served on 127.0.0.1 from a thread with its own event loop.

For clients that block (schemathesis' ``requests`` transport): the test thread talks HTTP to
the server, and runs store queries on the server's loop with ``run``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from tests.channels.web.support import Gateway, open_gateway

T = TypeVar("T")


class ServedGateway:
    """Start with ``start()``, stop with ``stop()``; ``url`` and ``gateway`` in between."""

    def __init__(self, tmp_path: Path, web_settings: Mapping[str, Any] | None = None) -> None:
        self._tmp_path = tmp_path
        self._web_settings = web_settings
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="served-gateway", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._gateway: Gateway | None = None
        self._failure: BaseException | None = None
        self.url = ""

    @property
    def gateway(self) -> Gateway:
        """The seeded gateway being served."""
        assert self._gateway is not None, "not started"
        return self._gateway

    def start(self, timeout: float = 30) -> None:
        """Serve, and return once the port listens."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the gateway did not start")
        if self._failure is not None:
            raise RuntimeError("the gateway failed to start") from self._failure

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run ``coro`` on the server's loop (store queries) and return its result."""
        assert self._loop is not None, "not started"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self, timeout: float = 30) -> None:
        """Stop serving, close the stores, and join the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start() to the test thread
            self._failure = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with open_gateway(self._tmp_path, self._web_settings) as gateway:
            runner = web.AppRunner(gateway.app)
            await runner.setup()
            try:
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                port = runner.addresses[0][1]
                self.url = f"http://127.0.0.1:{port}"
                self._gateway = gateway
                self._ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()
