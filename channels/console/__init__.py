"""The call-centre console at ``/console``: staff pages for look-ups, disputes and corrections.

Server-rendered like the provider pages (no script), for staff accounts made with
``eligibility-gw staff add``. Agents find people by national id, phone or tracking code, open
and follow disputes, record documents seen at a branch and correct phone numbers;
supervisors also see overdue disputes, reported checks, the log of staff look-ups and a
dashboard. Every answer comes through the inquiry policy, asked as the staff member
(``INQUIRIES``); what the console keeps is the gateway's casework store (``CASEWORK``).
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.console import (
    casework,
    corrections,
    people,
    reports,
    signin,
    supervision,
)
from eligibility_gw.channels.console.rendering import (
    BASE,
    error_pages,
    service_refusals,
    stylesheet_text,
    too_large,
)
from eligibility_gw.channels.console.settings import CONSOLE_SETTINGS, console_settings
from eligibility_gw.channels.web.pages_common import security_headers, stylesheet_response
from eligibility_gw.edge import limit_body
from eligibility_gw.settings import Settings

__all__ = ["mount"]

MAX_FORM_BYTES = 64 * 1024


async def _stylesheet(_request: web.Request) -> web.Response:
    return stylesheet_response(stylesheet_text())


async def _to_console(_request: web.Request) -> web.Response:
    return web.Response(status=308, headers={"Location": BASE + "/"})


def mount(app: web.Application, settings: Settings) -> None:
    """Add the staff pages under ``/console/``."""
    sub = web.Application(middlewares=[security_headers, error_pages, service_refusals])
    sub[CONSOLE_SETTINGS] = console_settings(settings)
    r = sub.router
    r.add_get("/", people.home)
    r.add_post("/signin", signin.sign_in)
    r.add_post("/signout", signin.sign_out)
    r.add_post("/language", signin.set_language)
    r.add_post("/search", people.search)
    r.add_get("/search", people.search_results)
    r.add_get("/people/{ref}", people.person_record)
    r.add_post("/people/{ref}/documents", corrections.record_document)
    r.add_post("/people/{ref}/phone", corrections.correct_phone)
    # Fixed paths before ``{code}``: they would otherwise be read as dispute codes.
    r.add_get("/disputes", casework.dispute_list)
    r.add_post("/disputes", casework.open_dispute)
    r.add_get("/disputes/new", casework.new_dispute)
    r.add_get("/disputes/overdue", supervision.overdue)
    r.add_get("/disputes/{code}", casework.show_dispute)
    r.add_post("/disputes/{code}/status", casework.change_status)
    r.add_post("/disputes/{code}/notes", casework.add_note)
    r.add_post("/disputes/{code}/notify", casework.notify_again)
    r.add_get("/reports", reports.reported_checks)
    r.add_post("/reports/dispute", reports.open_dispute_from_report)
    r.add_get("/access-log", supervision.access_log)
    r.add_post("/access-log", supervision.filter_access_log)
    r.add_get("/dashboard", supervision.dashboard)
    r.add_get("/static/console.css", _stylesheet)
    # Before the sub-app: its prefix would otherwise answer the bare path with a 404.
    app.router.add_get(BASE, _to_console)
    app.add_subapp(BASE, sub)
    limit_body(app, BASE + "/", MAX_FORM_BYTES, too_large)
