"""Provider pages at ``/portal``: server-rendered, no script, signed in with the API key.

A provider checks members (the answer card with its tracking code, printable), reads its own
history of checks and downloads its monthly activity report as CSV.
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.web.portal import pages
from eligibility_gw.channels.web.portal.rendering import (
    BASE,
    error_pages,
    security_headers,
    too_large,
)
from eligibility_gw.channels.web.portal.sessions import PORTAL_SETTINGS
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.edge import limit_body
from eligibility_gw.settings import Settings

__all__ = ["mount"]


async def _to_portal(_request: web.Request) -> web.Response:
    return web.Response(status=308, headers={"Location": BASE + "/"})


def mount(app: web.Application, settings: Settings, ws: WebSettings) -> None:
    """Add the provider pages under ``/portal/`` (they ask through the gateway's inquiries)."""
    portal = web.Application(middlewares=[security_headers, error_pages])
    portal[PORTAL_SETTINGS] = ws
    router = portal.router
    router.add_get("/", pages.home)
    router.add_post("/signin", pages.sign_in)
    router.add_post("/signout", pages.sign_out)
    router.add_post("/language", pages.set_language)
    router.add_post("/inquiries", pages.inquire)
    router.add_get("/answers/{code}", pages.show_answer)
    router.add_get("/history", pages.history)
    router.add_get("/report.csv", pages.report)
    router.add_get("/static/portal.css", pages.stylesheet)
    # Before the sub-app: its prefix would otherwise answer the bare path with a 404.
    app.router.add_get(BASE, _to_portal)
    app.add_subapp(BASE, portal)
    limit_body(app, BASE + "/", ws.max_body_bytes, too_large)
