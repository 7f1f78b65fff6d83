"""A walk through every page of the console and the portal, for the language tests.

What staff type on the way (summaries, notes, reasons) is written in Persian, so that any
Latin text a Persian page shows is the gateway's own (a code left unworded), never theirs.

``prepare_tour`` seeds what every page needs to show something (a dispute from a tracking
code, a document recorded at a branch, a reported check, a document sent from a phone, a
provider's checks); ``visit_all`` then opens each page in one language, signed in as a
supervisor at the console and as the demo pharmacy at the portal, and returns the pages'
HTML by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.demo import DEMO_PROVIDER_KEY
from eligibility_gw.uploads import Incoming
from tests.channels.console.conftest import Console
from tests.channels.console.support import (
    REZAEI_PHONE,
    SON,
    StaffVisitor,
    record_link_for,
)
from tests.channels.sms.support import new_sid
from tests.channels.web.portal.support import Visitor, csrf_of, tracking_code_of
from tests.integration.upload_samples import png

AHMADI_PHONE = "+989121110003"


@dataclass(frozen=True)
class Tour:
    """What the pages of the walk are about."""

    son_ref: str
    #: A dispute in progress, and one resolved (its person told by SMS).
    dispute: str
    resolved: str
    #: A document waiting for review, one accepted and one rejected.
    upload: str
    accepted: str
    rejected: str
    answer: str


async def _staff_language(visitor: StaffVisitor, language: str) -> None:
    response, body = await visitor.post(
        "/console/language",
        {"csrf": await visitor.token(), "lang": language, "next": "/console/"},
    )
    assert response.status == 303, body


async def prepare_tour(console: Console) -> Tour:
    """Seed what every page shows; sign-ins happen per language in ``visit_all``."""
    son = console.ids[SON]
    checked = await console.provider_check(SON)
    await console.provider_check("rezaei")
    await console.provider_check("ahmadi-son")
    sender = console.gateway.sms_sender
    if sender is not None:
        await sender.drain()
    await console.inquiries.report_unasked_check(AHMADI_PHONE, new_sid())

    agent = await console.agent()
    _, results = await agent.search(son)
    son_ref = record_link_for(results, "Hamid Rezaei")
    response, body = await agent.post(
        "/console/disputes",
        {
            "csrf": await agent.token(),
            "tracking_code": checked.tracking_code.digits,
            "caller_channel": "hotline",
            "caller_phone": REZAEI_PHONE,
            "language": "fa",
            "summary": "پدرش می‌گوید پسرش دانشجو است.",
        },
    )
    assert response.status == 303, body
    dispute = response.headers["Location"].rsplit("/", 1)[1]
    await agent.form(f"/console/disputes/{dispute}/status", {"action": "start", "note": ""})
    await agent.form(
        f"/console/people/{son_ref}/documents",
        {
            "kind": "birth_certificate",
            "valid_from": "",
            "valid_until": "",
            "note": "اصل شناسنامه در شعبه دیده شد.",
            "dispute": dispute,
        },
    )

    await agent.form(
        f"/console/people/{son_ref}/phone",
        {"phone": "+989121110009", "reason": "از شماره تازه تماس گرفت.", "dispute": ""},
    )
    resolved = await _resolved_dispute(agent, checked.tracking_code.digits)

    family = await console.gateway.service.find_family(son)
    assert family is not None
    person = family.member(son)
    assert person is not None
    uploads = console.gateway.uploads
    assert uploads is not None
    sent = [
        await uploads.receive(
            person, family, Incoming(png(seed=n), "sms", REZAEI_PHONE, REZAEI_PHONE, "fa")
        )
        for n in range(3)
    ]
    await agent.form(
        f"/console/uploads/{sent[1].upload_id}/accept",
        {"kind": "student_certificate", "valid_from": "", "valid_until": ""},
    )
    await agent.form(
        f"/console/uploads/{sent[2].upload_id}/reject", {"reason": "unreadable", "note": ""}
    )
    if sender is not None:
        await sender.drain()
    return Tour(
        son_ref,
        dispute,
        resolved,
        sent[0].upload_id,
        sent[1].upload_id,
        sent[2].upload_id,
        checked.tracking_code.digits,
    )


async def _resolved_dispute(agent: StaffVisitor, code: str) -> str:
    response, body = await agent.post(
        "/console/disputes",
        {
            "csrf": await agent.token(),
            "tracking_code": code,
            "caller_channel": "branch",
            "caller_phone": REZAEI_PHONE,
            "language": "en",
            "summary": "تماس دوم درباره همان استعلام.",
        },
    )
    assert response.status == 303, body
    digits = response.headers["Location"].rsplit("/", 1)[1]
    for action in ("start", "resolve"):
        response, body = await agent.form(
            f"/console/disputes/{digits}/status", {"action": action, "note": "انجام شد."}
        )
        assert response.status == 200, body
    return digits


async def visit_all(console: Console, tour: Tour, language: str) -> dict[str, str]:
    """Every page of the walk in ``language``: name to HTML."""
    pages: dict[str, str] = {}

    signin = console.visitor()
    _, pages["console/signin"] = await signin.get(f"/console/?lang={language}")
    staff = await console.supervisor()
    await _staff_language(staff, language)
    for name, path in (
        ("console/home", "/console/"),
        ("console/person", f"/console/people/{tour.son_ref}"),
        ("console/disputes", "/console/disputes?status=all"),
        ("console/dispute", f"/console/disputes/{tour.dispute}"),
        ("console/resolved", f"/console/disputes/{tour.resolved}"),
        ("console/upload_accepted", f"/console/uploads/{tour.accepted}?saved=accepted"),
        ("console/upload_rejected", f"/console/uploads/{tour.rejected}?saved=rejected"),
        ("console/dispute_new", f"/console/disputes/new?person={tour.son_ref}"),
        ("console/overdue", "/console/disputes/overdue"),
        ("console/reports", "/console/reports"),
        ("console/access_log", "/console/access-log"),
        ("console/dashboard", "/console/dashboard"),
        ("console/uploads", "/console/uploads"),
        ("console/upload", f"/console/uploads/{tour.upload}"),
        ("console/not_found", "/console/no-such-page"),
    ):
        response, pages[name] = await staff.get(path)
        assert response.status in (200, 404), (name, response.status)
    response, body = await staff.post(
        "/console/search", {"csrf": await staff.token(), "q": console.ids[SON], "kind": "auto"}
    )
    assert response.status == 303, body
    _, pages["console/search"] = await staff.get(response.headers["Location"])

    provider = Visitor(console.client)
    _, pages["portal/signin"] = await provider.get(f"/portal/?lang={language}")
    _, signin_page = await provider.get(f"/portal/?lang={language}")
    response, body = await provider.post(
        "/portal/signin",
        {"csrf": csrf_of(signin_page), "api_key": DEMO_PROVIDER_KEY, "lang": language},
    )
    assert response.status == 303, body
    _, pages["portal/check"] = await provider.get("/portal/")
    _, pages["portal/answer"] = await provider.get(f"/portal/answers/{tour.answer}")
    _, pages["portal/print"] = await provider.get(f"/portal/answers/{tour.answer}?print=1")
    _, pages["portal/history"] = await provider.get("/portal/history")
    response, body = await provider.post(
        "/portal/inquiries",
        {"csrf": csrf_of(pages["portal/check"]), "national_id": "12", "date": "x"},
    )
    pages["portal/check_errors"] = body
    assert tracking_code_of(pages["portal/answer"])
    return pages
