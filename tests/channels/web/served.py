"""A seeded gateway served on 127.0.0.1 from a thread with its own event loop.

For clients that block (schemathesis' ``requests`` transport): the test thread talks HTTP to
the server, and runs store queries on the server's loop with ``run``. The gateway is built as
the suite's factory builds it (``tests.gateway``), on the ``memory://`` store, with the
demo personas, the demo pharmacy and another provider.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.channels import gateway_app
from eligibility_gw.demo import DEMO_PROVIDER_KEY, Persona
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.gateway import Gateway
from eligibility_gw.providers import hash_api_key, new_api_key
from tests.channels.web.support import OTHER_ID
from tests.gateway import gateway_settings, seed

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Served:
    """What the served gateway holds: the gateway, its people and two providers' keys."""

    gateway: Gateway
    people: Mapping[str, Persona]
    other: Provider
    active_key: str
    other_key: str

    def auth(self, key: str) -> dict[str, str]:
        """The Authorization header for ``key``."""
        return {"Authorization": f"Bearer {key}"}

    def nid(self, persona: str) -> str:
        """A persona's national id."""
        return self.people[persona].row.national_id


class ServedGateway:
    """Start with ``start()``, stop with ``stop()``; ``url`` and ``served`` in between."""

    def __init__(self, inquiries: Mapping[str, Any] | None = None) -> None:
        self._inquiries = inquiries
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="served-gateway", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._served: Served | None = None
        self._failure: BaseException | None = None
        self.url = ""

    @property
    def served(self) -> Served:
        """The seeded gateway being served."""
        assert self._served is not None, "not started"
        return self._served

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
        settings = gateway_settings("memory://", inquiries=self._inquiries)
        gateway = await open_gateway(settings)
        try:
            people = await seed(gateway)
            other_key = new_api_key()
            other = await gateway.store.providers.add(
                OTHER_ID, "Other Lab", ProviderKind.PARACLINIC, None, hash_api_key(other_key)
            )
            runner = web.AppRunner(gateway_app(settings, gateway))
            await runner.setup()
            try:
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                port = runner.addresses[0][1]
                self.url = f"http://127.0.0.1:{port}"
                self._served = Served(gateway, people, other, DEMO_PROVIDER_KEY, other_key)
                self._ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()
        finally:
            await gateway.close()
