"""The review queue: documents sent from a phone seen beside the member, accepted (the answer
changes at once, the person is told with a fresh tracking code on the channel they used) or
rejected with a reason; every step in the access log; files for staff only; retention.

The person's page shows the reminders sent; the dashboard counts them per day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from eligibility_gw.domain.model import Status
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports.casework import AccessQuery
from eligibility_gw.ports.reminders import ReminderClaim, ReminderKey, ReminderStatus
from eligibility_gw.ports.uploads import Upload, UploadStatus
from eligibility_gw.uploads import Incoming, Uploads
from eligibility_gw.wording import Wording
from tests.channels.console.conftest import Console
from tests.channels.console.support import (
    AGENT,
    REZAEI_PHONE,
    SON,
    SUPERVISOR,
    StaffVisitor,
    add_staff,
    record_link_for,
    twilio_table,
)
from tests.channels.sms.support import FakeTwilio
from tests.channels.telegram.fakeapi import FakeBotApi
from tests.conftest import MakeGateway
from tests.integration.upload_samples import pdf, png

BOT_TOKEN = "777:review-test-token"
BOT_ENV = "EGW_TEST_REVIEW_BOT"
_CODE = re.compile(r"[0-9۰-۹]{4}-[0-9۰-۹]{4}-[0-9۰-۹]{4}")


def uploads_of(console: Console) -> Uploads:
    found = console.gateway.uploads
    assert found is not None
    return found


async def sent_in(
    console: Console,
    key: str = SON,
    content: bytes | None = None,
    channel: str = "sms",
    reply_to: str = REZAEI_PHONE,
    language: str = "en",
) -> Upload:
    """A document for persona ``key``, sent from the Rezaei principal's phone."""
    family = await console.gateway.service.find_family(console.ids[key])
    assert family is not None
    person = family.member(console.ids[key])
    assert person is not None
    incoming = Incoming(content or png(), channel, reply_to, REZAEI_PHONE, language)
    return await uploads_of(console).receive(person, family, incoming)


async def accept(agent: StaffVisitor, upload: Upload, **fields: str) -> tuple[int, str]:
    data = {"kind": "student_certificate", "valid_from": "", "valid_until": "", **fields}
    response, body = await agent.form(f"/console/uploads/{upload.upload_id}/accept", data)
    return response.status, body


async def access(console: Console, **query: Any) -> list[tuple[str, str]]:
    found = await console.store.access_log(AccessQuery(**query), limit=500)
    return [(e.staff, e.action) for e in found]


async def test_an_empty_queue_and_the_link_to_it(console: Console) -> None:
    agent = await console.agent()
    _, home = await agent.get("/console/")
    assert 'href="/console/uploads"' in home
    response, page = await agent.get("/console/uploads")
    assert response.status == 200
    assert "No document is waiting for review." in page


async def test_the_queue_lists_the_member_masked_for_agents(console: Console) -> None:
    upload = await sent_in(console)
    son = console.ids[SON]
    agent = await console.agent()
    _, page = await agent.get("/console/uploads")
    assert f'data-upload="{upload.upload_id}"' in page
    assert "Hamid Rezaei" in page and "******" + son[-4:] in page and son not in page
    assert "1 document waiting for review" in page
    supervisor = await console.supervisor()
    _, page = await supervisor.get("/console/uploads")
    assert son in page
    assert (AGENT, "uploads") in await access(console, national_id=son)


async def test_the_document_beside_the_member_and_the_file_for_staff_only(
    console: Console,
) -> None:
    content = png(seed=9)
    upload = await sent_in(console, content=content)
    agent = await console.agent()
    response, page = await agent.get(f"/console/uploads/{upload.upload_id}")
    assert response.status == 200
    image = f'id="upload-image" src="/console/uploads/{upload.upload_id}/file"'
    assert image in page
    assert upload.sha256 in page
    assert "Hamid Rezaei" in page and "Not eligible" in page  # today's status beside it
    assert 'table class="grid members"' in page  # the whole family
    # The document today's answer asks for is offered first.
    assert '<option value="student_certificate" selected>' in page
    response = await agent.client.get(
        f"/console/uploads/{upload.upload_id}/file",
        headers=agent._headers(None),
        allow_redirects=False,
    )
    assert response.status == 200
    assert await response.read() == content
    assert response.content_type == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("inline;")
    steps = await access(console, national_id=console.ids[SON])
    assert {(AGENT, "upload"), (AGENT, "upload_file"), ("@sms", "upload_received")} <= set(steps)
    # Nobody else: not signed in, the file is not given.
    visitor = console.visitor()
    response, body = await visitor.get(f"/console/uploads/{upload.upload_id}/file")
    assert response.status == 303 and body != content.decode("latin-1")


async def test_a_pdf_is_downloaded_not_shown(console: Console) -> None:
    upload = await sent_in(console, content=pdf())
    agent = await console.agent()
    _, page = await agent.get(f"/console/uploads/{upload.upload_id}")
    assert 'id="upload-pdf"' in page and "upload-image" not in page
    response = await agent.client.get(
        f"/console/uploads/{upload.upload_id}/file", headers=agent._headers(None)
    )
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")


async def test_accepting_puts_it_on_file_and_tells_the_person_with_a_fresh_code(
    console: Console, fake_twilio: FakeTwilio
) -> None:
    son = console.ids[SON]
    before = await console.inquiries.ask(await console.provider(), son)
    assert before.status is Status.NOT_ELIGIBLE
    upload = await sent_in(console)
    agent = await console.agent()
    until = (date.today() + timedelta(days=200)).isoformat()
    status, page = await accept(agent, upload, valid_until=until)
    assert status == 200
    assert "Accepted: the document is on file" in page
    assert "told on the channel used" in page
    decided = await uploads_of(console).get(upload.upload_id)
    assert decided is not None and decided.status is UploadStatus.ACCEPTED
    assert decided.decided_by == AGENT and decided.kind == "student_certificate"
    assert decided.tracking_code is not None and decided.notified == "sent"
    # The answer changes at once.
    after = await console.inquiries.ask(await console.provider(), son)
    assert after.status is Status.ELIGIBLE
    # Recorded like a document seen at a branch, with where it came from.
    docs = await console.store.documents_of(son)
    assert [(d.kind, d.source, d.recorded_by) for d in docs][-1] == (
        "student_certificate",
        "branch",
        AGENT,
    )
    assert upload.upload_id in (docs[-1].note or "")
    # Told by SMS, where the document came from, with the fresh answer's tracking code.
    [sms] = [p for p in fake_twilio.posts if p["To"] == REZAEI_PHONE]
    code = TrackingCode(decided.tracking_code)
    assert code.grouped() in sms["Body"] and "accepted" in sms["Body"]
    assert "Covered until" in sms["Body"]
    record = await console.tg.store.answers.find(code)
    assert record is not None and record.draft.asker_id == REZAEI_PHONE  # theirs to quote
    assert (AGENT, "upload_accepted") in await access(console, national_id=son)
    # The review page now says what was done.
    _, page = await agent.get(f"/console/uploads/{upload.upload_id}")
    assert "accept-form" not in page and code.grouped() in page


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "Give the valid-until date or the issue date."),
        ({"kind": "passport", "valid_until": "2030-01-01"}, "Choose a document from the list."),
        (
            {"valid_from": "2026-05-01", "valid_until": "2026-01-01"},
            "The document cannot end before it starts.",
        ),
        ({"valid_until": "2026-02-30"}, "date"),
    ],
)
async def test_acceptance_needs_a_kind_and_a_date(
    console: Console, fields: dict[str, str], error: str
) -> None:
    upload = await sent_in(console)
    agent = await console.agent()
    status, page = await accept(agent, upload, **fields)
    assert status == 422
    assert error in page
    still = await uploads_of(console).get(upload.upload_id)
    assert still is not None and still.status is UploadStatus.PENDING


async def test_a_birth_certificate_by_its_issue_date(console: Console) -> None:
    upload = await sent_in(console, key="rezaei-daughter-no-bc")
    agent = await console.agent()
    _, page = await agent.get(f"/console/uploads/{upload.upload_id}")
    assert '<option value="birth_certificate" selected>' in page
    status, _ = await accept(agent, upload, kind="birth_certificate", valid_from="1383/05/10")
    assert status == 200
    answer = await console.inquiries.ask(
        await console.provider(), console.ids["rezaei-daughter-no-bc"]
    )
    assert answer.status is Status.ELIGIBLE


async def test_rejecting_tells_the_reason_in_the_persons_words(
    console: Console, fake_twilio: FakeTwilio
) -> None:
    upload = await sent_in(console, language="fa")
    agent = await console.agent()
    response, page = await agent.form(
        f"/console/uploads/{upload.upload_id}/reject", {"reason": "unreadable", "note": "blurred"}
    )
    assert response.status == 200 and "Rejected: the person was told why." in page
    [sms] = fake_twilio.posts
    assert Wording("fa").t("upload.reason.unreadable") in sms["Body"]
    assert "blurred" not in sms["Body"]  # the note stays here
    decided = await uploads_of(console).get(upload.upload_id)
    assert decided is not None
    assert (decided.status, decided.reason, decided.note) == (
        UploadStatus.REJECTED,
        "unreadable",
        "blurred",
    )
    assert (AGENT, "upload_rejected") in await access(console, national_id=console.ids[SON])
    answer = await console.inquiries.ask(await console.provider(), console.ids[SON])
    assert answer.status is Status.NOT_ELIGIBLE


async def test_other_needs_a_note_and_reasons_come_from_the_list(console: Console) -> None:
    upload = await sent_in(console)
    agent = await console.agent()
    response, page = await agent.form(
        f"/console/uploads/{upload.upload_id}/reject", {"reason": "other", "note": ""}
    )
    assert response.status == 422
    assert "Say why: it is kept with the change." in page
    response, page = await agent.form(
        f"/console/uploads/{upload.upload_id}/reject", {"reason": "made-up", "note": "x"}
    )
    assert response.status == 422
    assert "Choose a reason from the list." in page


async def test_deciding_twice_is_refused_in_words(console: Console) -> None:
    upload = await sent_in(console)
    agent = await console.agent()
    supervisor = await console.supervisor()
    status, _ = await accept(agent, upload, valid_until="2030-01-01")
    assert status == 200
    response, page = await supervisor.form(
        f"/console/uploads/{upload.upload_id}/reject", {"reason": "unreadable", "note": ""}
    )
    assert response.status == 409 and "decided already" in page


@pytest.mark.parametrize("upload_id", ["0" * 16, "not-an-id", "A" * 16, "0" * 17])
async def test_unknown_uploads_are_a_page_in_words(console: Console, upload_id: str) -> None:
    agent = await console.agent()
    for path in (f"/console/uploads/{upload_id}", f"/console/uploads/{upload_id}/file"):
        response, page = await agent.get(path)
        assert response.status == 404 and "No such document." in page


async def test_retention_expires_then_deletes_and_logs_each_step(console: Console) -> None:
    upload = await sent_in(console)
    uploads = uploads_of(console)
    now = datetime.now(UTC)
    assert (await uploads.purge(now)).expired == 0
    later = now + timedelta(days=31)
    done = await uploads.purge(later)
    assert (done.expired, done.deleted) == (1, 0)
    done = await uploads.purge(later + timedelta(days=31))
    assert (done.expired, done.deleted) == (0, 1)
    assert await console.tg.store.upload_files.get_file(upload.upload_id) is None
    agent = await console.agent()
    _, page = await agent.get(f"/console/uploads/{upload.upload_id}")
    assert "deleted after the retention period" in page and "accept-form" not in page
    response, page = await agent.get(f"/console/uploads/{upload.upload_id}/file")
    assert response.status == 404
    steps = await access(console, national_id=console.ids[SON])
    assert ("@retention", "upload_expired") in steps and ("@retention", "upload_deleted") in steps
    supervisor = await console.supervisor()
    _, log_page = await supervisor.get("/console/access-log")
    assert "document file deleted" in log_page


async def test_accepted_uploads_are_kept(console: Console) -> None:
    upload = await sent_in(console)
    agent = await console.agent()
    await accept(agent, upload, valid_until="2030-01-01")
    later = datetime.now(UTC) + timedelta(days=400)
    assert (await uploads_of(console).purge(later)).deleted == 0
    assert await console.tg.store.upload_files.get_file(upload.upload_id) is not None


async def test_the_persons_page_shows_reminders_and_uploads(console: Console) -> None:
    son = console.ids[SON]
    records = console.tg.store.reminders
    at = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    for milestone, status in ((30, ReminderStatus.SENT), (7, ReminderStatus.FAILED)):
        key = ReminderKey(son, date(2026, 12, 20), milestone)
        claim = ReminderClaim(
            key, "STUDENT_CERTIFICATE_REQUIRED", "age", "sms", "en", date(2026, 11, 23), at
        )
        assert await records.claim(claim)
        await records.finish(key, status, at, "SM1" if status is ReminderStatus.SENT else None)
    upload = await sent_in(console)
    agent = await console.agent()
    _, search = await agent.search(son)
    _, page = await agent.get(f"/console/people/{record_link_for(search, 'Hamid Rezaei')}")
    assert 'id="reminders"' in page
    assert "30 days before" in page and "7 days before" in page
    assert "failed: tried again by the next run" in page
    assert f'href="/console/uploads/{upload.upload_id}"' in page


async def test_the_dashboard_counts_reminders_per_day(console: Console) -> None:
    records = console.tg.store.reminders
    today = console.inquiries.today()
    at = datetime.now(UTC)
    for i, day in enumerate((today, today, today - timedelta(days=2))):
        key = ReminderKey(f"10000000{i:02d}", today + timedelta(days=7), 7)
        assert await records.claim(ReminderClaim(key, "X", "age", "sms", "en", day, at))
        await records.finish(key, ReminderStatus.SENT, at, f"SM{i}")
    await sent_in(console)
    supervisor = await console.supervisor()
    _, page = await supervisor.get("/console/dashboard")
    assert 'id="reminders-per-day"' in page
    assert f'<tr data-day="{today.isoformat()}">' in page
    assert re.search(r'id="reminders-total">3<', page)
    assert re.search(r'id="uploads-waiting-count">1<', page)


@pytest.fixture
def fake_bot() -> FakeBotApi:
    return FakeBotApi(BOT_TOKEN)


@pytest.fixture
async def bot_url(aiohttp_server: AiohttpServer, fake_bot: FakeBotApi) -> str:
    server: TestServer = await aiohttp_server(fake_bot.app())
    return str(server.make_url("")).rstrip("/")


async def test_a_telegram_upload_is_answered_on_telegram(
    make_gateway: MakeGateway,
    fake_twilio: FakeTwilio,
    twilio_server: TestServer,
    bot_url: str,
    fake_bot: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BOT_ENV, BOT_TOKEN)
    tg = await make_gateway(
        store="sqlite",
        languages=("en", "fa"),
        twilio=twilio_table(fake_twilio.base_url),
        channels={"telegram": {"token_env": BOT_ENV, "api_base_url": f"{bot_url}/bot"}},
    )
    await add_staff(tg.store.casework)
    console = Console(tg, fake_twilio)
    upload = await sent_in(console, channel="telegram", reply_to="4242", language="fa")
    supervisor = await console.signed_in(SUPERVISOR, "supervisor-password-for-tests")
    status, _ = await accept(supervisor, upload, valid_until="1410/01/01")
    assert status == 200
    [message] = fake_bot.sent()
    assert message.params["chat_id"] == 4242
    decided = await uploads_of(console).get(upload.upload_id)
    assert decided is not None and decided.tracking_code is not None
    [shown] = _CODE.findall(message.text)
    assert Wording("fa").digits(TrackingCode(decided.tracking_code).grouped()) == shown
    assert fake_twilio.posts == []  # not by SMS: the channel they used
