"""Provider pages at ``/portal``: server-rendered, no script, signed in with the API key.

A provider checks members (the answer card with its tracking code, printable), reads its own
history of checks and downloads its monthly activity report as CSV. The frame, sessions,
sign-out, language, stylesheet and error pages are the page kit's
(``eligibility_gw.channels.pages``).
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.pages.app import limit_forms, mount_pages, page_app
from eligibility_gw.channels.web.portal import pages
from eligibility_gw.channels.web.portal.gate import GATE
from eligibility_gw.channels.web.portal.rendering import PORTAL_SETTINGS
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.settings import Settings

__all__ = ["mount"]


def mount(app: web.Application, settings: Settings, ws: WebSettings) -> None:
    """Add the provider pages under ``/portal/`` (they ask through the gateway's inquiries)."""
    portal = page_app(GATE, pages.home, pages.sign_in)
    portal[PORTAL_SETTINGS] = ws
    router = portal.router
    router.add_post("/inquiries", pages.inquire)
    router.add_get("/answers/{code}", pages.show_answer)
    router.add_get("/history", pages.history)
    router.add_get("/report.csv", pages.report)
    mount_pages(app, portal, GATE)
    limit_forms(app, GATE, ws.max_body_bytes)
