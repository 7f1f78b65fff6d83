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
from eligibility_gw.health import Dependency
from eligibility_gw.metrics import exposition
from eligibility_gw.settings import Settings
from eligibility_gw.shedding import SHEDDER, LoadShedder
from eligibility_gw.state import DegradingKeyValueStore

log = structlog.get_logger(__name__)

#: Adds one channel's routes and resources to the app.
Mount = Callable[[web.Application, Settings], None]


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok", "version": __version__})


#: The store's health as readiness last saw it (one warning line when it changes).
STORE_HEALTH = web.AppKey("store_health", Dependency)


async def metrics(_request: web.Request) -> web.Response:
    """Prometheus text exposition (served whichever channels are on)."""
    body, content_type = exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: 503 while answers cannot be given (the store); 200 ``degraded`` without Redis.

    Every dependency is named with its state: ``store`` (the registry and the answer log:
    without it no answer may go out) and ``state`` (sessions, de-duplication, rate counters:
    without a shared one the process answers on its own, and says ``degraded``).
    """
    gateway = request.app[GATEWAY]
    store = request.app[STORE_HEALTH]
    if await gateway.store.ping():
        store.restored()
    else:
        store.down("the store did not answer readiness")
    dependencies = {"store": store.report().document()}
    state = gateway.state
    if isinstance(state, DegradingKeyValueStore):
        dependencies["state"] = (await state.check()).document()
    else:  # in this process's memory: nothing to lose
        dependencies["state"] = {"status": "ok"}
    failing = sorted(name for name, doc in dependencies.items() if doc["status"] != "ok")
    if not store.up:
        status = "unavailable"
    elif failing:
        status = "degraded"
    else:
        status = "ok"
    body: dict[str, object] = {"status": status, "rule_pack": gateway.pack.label}
    if failing:
        body["failing"] = failing
    body["dependencies"] = dependencies
    return web.json_response(body, status=200 if store.up else 503)


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
    app[STORE_HEALTH] = Dependency("store", "no answer can be given: none may go out unlogged")

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
    app.router.add_get("/metrics", metrics)
    for mount in mounts:
        mount(app, settings)
    return app
