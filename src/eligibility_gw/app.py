"""The aiohttp application: health routes, request ids, and one sub-app per channel."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog
from aiohttp import web

from eligibility_gw import __version__
from eligibility_gw.appkeys import CORE, SETTINGS
from eligibility_gw.bootstrap import Core, open_core
from eligibility_gw.settings import Settings

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id (the caller's ``X-Request-Id`` when sane) to every log line."""
    given = request.headers.get("X-Request-Id", "")
    request_id = (
        given
        if 0 < len(given) <= 64 and given.isascii() and given.isprintable()
        else secrets.token_hex(8)
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id, path=request.path)
    response = await handler(request)
    response.headers["X-Request-Id"] = request_id
    return response


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok", "version": __version__})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the store answers."""
    core = request.app[CORE]
    ok = await core.store.ping()
    body = {"status": "ok" if ok else "unavailable", "rule_pack": core.pack.label}
    return web.json_response(body, status=200 if ok else 503)


def create_app(settings: Settings, core: Core | None = None) -> web.Application:
    """Build the app; it opens the store itself unless a ``core`` is handed in."""
    app = web.Application(middlewares=[request_context], client_max_size=1024**2)
    app[SETTINGS] = settings

    async def core_ctx(app: web.Application) -> AsyncIterator[None]:
        if core is not None:
            app[CORE] = core
            yield
            return
        opened = await open_core(settings)
        app[CORE] = opened
        log.info("store_opened", rule_pack=opened.pack.label)
        try:
            yield
        finally:
            await opened.close()

    app.cleanup_ctx.append(core_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    from eligibility_gw.channels import mount_channels

    mount_channels(app, settings)
    return app
