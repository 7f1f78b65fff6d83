"""A page set's sub-application: the kit's middlewares, routes and place in the gateway app."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from eligibility_gw.channels.pages.gate import Gate, language_chooser
from eligibility_gw.channels.pages.rendering import (
    Handler,
    error_pages,
    security_headers,
    stylesheet,
    too_large,
)
from eligibility_gw.edge import limit_body


def page_app(gate: Gate[Any, Any, Any], home: Handler, sign_in: Handler) -> web.Application:
    """An application for ``gate``'s page set: safe headers, every refusal a page in words.

    Every page set has a first page (``home``: the sign-in form for a visitor) and takes
    the sign-in form (``sign_in``); the routes of its other pages are its own. A language
    chosen with ``?lang=`` on any page is remembered in the language cookie.
    """
    pages = web.Application(
        middlewares=[security_headers, language_chooser(gate.site), error_pages(gate.site)]
    )
    pages.router.add_get("/", home)
    pages.router.add_post("/signin", sign_in)
    return pages


def mount_pages(app: web.Application, pages: web.Application, gate: Gate[Any, Any, Any]) -> None:
    """Add the kit's routes to ``pages`` and mount it in ``app`` under the page set's address.

    The kit's routes: signing out, the language switch and the stylesheet. The bare address
    sends the browser to the first page.
    """
    site = gate.site
    pages.router.add_post("/signout", gate.sign_out)
    pages.router.add_post("/language", gate.set_language)
    pages.router.add_get(f"/static/{site.stylesheet}", stylesheet(site))

    async def to_home(_request: web.Request) -> web.Response:
        return web.Response(status=308, headers={"Location": site.home})

    # Before the sub-app: its prefix would otherwise answer the bare path with a 404.
    app.router.add_get(site.base, to_home)
    app.add_subapp(site.base, pages)


def limit_forms(app: web.Application, gate: Gate[Any, Any, Any], max_bytes: int) -> None:
    """Refuse bodies over ``max_bytes`` under the page set's address: a page in words (413)."""
    limit_body(app, gate.site.home, max_bytes, too_large(gate.site))
