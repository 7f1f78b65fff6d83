"""The call-centre console at ``/console``: staff pages for look-ups, disputes and corrections.

Server-rendered like the provider pages (no script), for staff accounts made with
``eligibility-gw staff add``. Agents find people by national id, phone or tracking code, open
and follow disputes, record documents seen at a branch and correct phone numbers;
supervisors also see overdue disputes, reported checks, the log of staff look-ups and a
dashboard. Every answer comes through the inquiry policy, asked as the staff member
(``INQUIRIES``); what the console keeps is the gateway's casework store (``CASEWORK``).
The frame, sessions, sign-out, language, stylesheet and error pages are the page kit's
(``eligibility_gw.channels.pages``).
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.console import (
    casework,
    corrections,
    people,
    reports,
    review,
    signin,
    supervision,
)
from eligibility_gw.channels.console.gate import GATE
from eligibility_gw.channels.console.settings import CONSOLE_SETTINGS, console_settings
from eligibility_gw.channels.pages.app import limit_forms, mount_pages, page_app
from eligibility_gw.settings import Settings

__all__ = ["mount"]

MAX_FORM_BYTES = 64 * 1024


def mount(app: web.Application, settings: Settings) -> None:
    """Add the staff pages under ``/console/``."""
    sub = page_app(GATE, people.home, signin.sign_in)
    sub[CONSOLE_SETTINGS] = console_settings(settings)
    r = sub.router
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
    # Documents sent from a phone: the review queue, one upload, its file, the decisions.
    r.add_get("/uploads", review.review_queue)
    r.add_get("/uploads/{upload}", review.review_upload)
    r.add_get("/uploads/{upload}/file", review.upload_file)
    r.add_post("/uploads/{upload}/accept", review.accept_upload)
    r.add_post("/uploads/{upload}/reject", review.reject_upload)
    mount_pages(app, sub, GATE)
    limit_forms(app, GATE, MAX_FORM_BYTES)
