"""The aiohttp application: health routes, the edge, and the channels it is given.

The core knows no channel: whoever builds the app hands in their ``mount`` functions
(``eligibility_gw.channels.gateway_app`` hands in every enabled one).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable

import structlog
from aiohttp import web

from eligibility_gw import __version__
from eligibility_gw.appkeys import GATEWAY, SETTINGS, hand_out
from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.edge import edge, prepare
from eligibility_gw.gateway import Gateway
from eligibility_gw.settings import Settings
from eligibility_gw.shedding import SHEDDER, LoadShedder

log = structlog.get_logger(__name__)

#: Adds one channel's routes and resources to the app.
Mount = Callable[[web.Application, Settings], None]


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok", "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the store answers."""
    gateway = request.app[GATEWAY]
    ok = await gateway.store.ping()
    body = {"status": "ok" if ok else "unavailable", "rule_pack": gateway.pack.label}
    return web.json_response(body, status=200 if ok else 503)


def create_app(
    settings: Settings, gateway: Gateway | None = None, mounts: Iterable[Mount] = ()
) -> web.Application:
    """Build the app with the given channels; it opens the gateway itself unless handed one."""
    # aiohttp reads bodies up to the main app's limit whatever the sub-app: the largest any
    # route allows. Each path prefix gets its own, smaller limit from ``limit_body``.
    app = web.Application(middlewares=[edge], client_max_size=settings.server.max_body_bytes)
    app[SETTINGS] = settings
    prepare(app)
    shedder = LoadShedder(settings.server.max_in_flight, settings.server.max_log_queue)
    app[SHEDDER] = shedder

    async def gateway_ctx(app: web.Application) -> AsyncIterator[None]:
        opened = gateway if gateway is not None else await open_gateway(settings)
        hand_out(app, opened)
        shedder.queue_depth = opened.store.answers.queued
        if gateway is None:
            log.info("store_opened", rule_pack=opened.pack.label)
        try:
            yield
        finally:
            if gateway is None:
                await opened.close()

    app.cleanup_ctx.append(gateway_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    for mount in mounts:
        mount(app, settings)
    return app
