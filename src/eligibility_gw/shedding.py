"""Load shedding: a bound on requests in flight and on answers waiting to be logged.

Past either bound a request is refused *before* anything is accepted, so nothing accepted
is ever dropped: the web API answers 503 with Retry-After, and channels answer a short
"busy, try again" in their own medium and the user's language (they register a responder
for their path prefix). Health probes are never shed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from aiohttp import web

from eligibility_gw.metrics import SHED

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BusyResponder = Callable[[web.Request, int], Awaitable[web.StreamResponse]]
_NEVER_SHED = ("/healthz", "/readyz", "/metrics")


@dataclass
class LoadShedder:
    """Counts requests in flight; says when to refuse."""

    max_in_flight: int
    max_log_queue: int
    retry_after: int = 2
    queue_depth: Callable[[], int] = lambda: 0
    in_flight: int = 0
    responders: dict[str, BusyResponder] = field(default_factory=dict)

    def register(self, path_prefix: str, responder: BusyResponder) -> None:
        """Answer shed requests under ``path_prefix`` with ``responder``."""
        self.responders[path_prefix] = responder

    def overloaded(self) -> bool:
        """Say whether a new request must be refused now."""
        return self.in_flight >= self.max_in_flight or self.queue_depth() >= self.max_log_queue

    async def admit(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse new work past the bounds; count the work let in."""
        if request.path in _NEVER_SHED:
            return await handler(request)
        if self.overloaded():
            SHED.inc()
            log.warning("shed", in_flight=self.in_flight, queued=self.queue_depth())
            return await self.busy(request)
        self.in_flight += 1
        try:
            return await handler(request)
        finally:
            self.in_flight -= 1

    async def busy(self, request: web.Request) -> web.StreamResponse:
        """The refusal for this request's channel."""
        for prefix, responder in sorted(self.responders.items(), key=lambda kv: -len(kv[0])):
            if request.path.startswith(prefix):
                return await responder(request, self.retry_after)
        body = {
            "type": "/problems/unavailable",
            "title": "Temporarily unavailable",
            "status": 503,
            "detail": "The gateway is at capacity; retry shortly.",
        }
        return web.Response(
            status=503,
            text=json.dumps(body),
            content_type="application/problem+json",
            headers={"Retry-After": str(self.retry_after)},
        )


SHEDDER = web.AppKey("load_shedder", LoadShedder)
