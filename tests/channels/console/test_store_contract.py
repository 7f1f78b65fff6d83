"""The casework store's contract: the same tests against SQLite, PostgreSQL and memory://.

The console keeps its tables in the gateway's store (``Store.casework``), next to the
registry its corrections change. PostgreSQL cases skip with a reason where no server listens
on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from eligibility_gw.channels.console.supervision import day_windows
from eligibility_gw.demo import personas
from eligibility_gw.domain.answer import AnswerDraft
from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.domain.model import Decision, ServiceSetting, Status
from eligibility_gw.ports.casework import (
    AccessEntry,
    AccessQuery,
    ConsoleStore,
    DayCount,
    DisputeDraft,
    DisputeEvent,
    DocumentDraft,
    EventKind,
    Role,
)
from eligibility_gw.rulepacks import load_rule_pack
from tests.channels.console.support import password_hash
from tests.contract.stores import Backend, postgres_backend, postgres_reachable, sqlite_backend

TODAY = date(2026, 11, 23)
PACK = load_rule_pack("ir-tamin")
PEOPLE = {p.key: p.row.national_id for p in personas(PACK, TODAY)}
SON = PEOPLE["rezaei-son-no-cert"]
PRINCIPAL = PEOPLE["rezaei"]
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
S = DisputeStatus


@dataclass
class Stores:
    """The gateway's store and the console's store next to it."""

    backend: Backend
    console: ConsoleStore


@asynccontextmanager
async def memory_backend() -> AsyncIterator[Backend]:
    """The in-memory store (no SQL to tamper with)."""
    from eligibility_gw.adapters.memory.store import MemoryStore

    store = MemoryStore()

    async def raw(_sql: str) -> None:
        raise AssertionError("the memory store speaks no SQL")

    try:
        yield Backend(store, raw, "memory://")
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgres", "memory"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    if request.param == "sqlite":
        opened = sqlite_backend(tmp_path)
    elif request.param == "memory":
        opened = memory_backend()
    else:
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        opened = postgres_backend()
    async with opened as backend:
        await backend.store.registry.upsert_rows([p.row for p in personas(PACK, TODAY)])
        yield Stores(backend, backend.store.casework)


def _draft(opened: datetime = T0, hours: int = 48, national_id: str = SON) -> DisputeDraft:
    return DisputeDraft(
        national_id=national_id,
        tracking_code="123456789012",
        caller_channel="hotline",
        caller_phone="+989121110001",
        language="fa",
        summary="My son is a student.",
        opened_by="amina",
        opened_at=opened,
        due_at=opened + timedelta(hours=hours),
    )


# --- staff ----------------------------------------------------------------------------------


async def test_staff_accounts(stores: Stores) -> None:
    c = stores.console
    made = await c.add_staff("amina", Role.AGENT, password_hash("pw-for-contract-tests"))
    assert made.role is Role.AGENT and made.active
    assert made.created_at.tzinfo is not None
    with pytest.raises(ValueError, match="exists already"):
        await c.add_staff("amina", Role.SUPERVISOR, "x")
    await c.add_staff("sara", Role.SUPERVISOR, "hash-b")
    assert [a.username for a in await c.list_staff()] == ["amina", "sara"]
    disabled = await c.set_staff_active("amina", False)
    assert disabled is not None and not disabled.active
    assert await c.set_staff_active("nobody", False) is None
    assert await c.set_password_hash("sara", "hash-c")
    assert not await c.set_password_hash("nobody", "hash-c")
    sara = await c.get_staff("sara")
    assert sara is not None and sara.password_hash == "hash-c" and sara.is_supervisor
    assert await c.get_staff("nobody") is None


# --- disputes -------------------------------------------------------------------------------


async def test_open_and_read_a_dispute(stores: Stores) -> None:
    c = stores.console
    d = await c.open_dispute(_draft())
    assert d.status is S.RECEIVED
    assert d.opened_at == T0 and d.updated_at == T0
    assert d.due_at == T0 + timedelta(hours=48)
    assert (d.resolution_code, d.sms_status, d.sms_message_sid) == (None, None, None)
    again = await c.get_dispute(d.code)
    assert again == d
    assert await c.get_dispute(DisputeCode.new()) is None
    events = await c.events(d.code)
    assert [(e.kind, e.to_status, e.text) for e in events] == [
        (EventKind.OPENED, S.RECEIVED, "My son is a student.")
    ]


async def test_many_disputes_get_distinct_codes(stores: Stores) -> None:
    made = await asyncio.gather(*(stores.console.open_dispute(_draft()) for _ in range(40)))
    assert len({d.code for d in made}) == 40


async def test_status_changes_are_guarded_by_the_expected_status(stores: Stores) -> None:
    c = stores.console
    d = await c.open_dispute(_draft())
    at = T0 + timedelta(hours=1)
    start = DisputeEvent(at, "amina", EventKind.STATUS, "", S.RECEIVED, S.IN_PROGRESS)
    moved = await c.change_status(d.code, S.RECEIVED, start)
    assert moved is not None
    assert moved.status is S.IN_PROGRESS and moved.updated_at == at
    assert moved.due_at == d.due_at
    # A second, stale move from "received" changes nothing and adds no event.
    assert await c.change_status(d.code, S.RECEIVED, start) is None
    assert len(await c.events(d.code)) == 2
    reopen_due = T0 + timedelta(days=5)
    resolve = DisputeEvent(at, "sara", EventKind.STATUS, "done", S.IN_PROGRESS, S.RESOLVED)
    resolved = await c.change_status(d.code, S.IN_PROGRESS, resolve, reopen_due)
    assert resolved is not None and resolved.due_at == reopen_due
    history = await c.events(d.code)
    assert [(e.from_status, e.to_status, e.staff) for e in history[1:]] == [
        (S.RECEIVED, S.IN_PROGRESS, "amina"),
        (S.IN_PROGRESS, S.RESOLVED, "sara"),
    ]


async def test_events_and_resolution(stores: Stores) -> None:
    c = stores.console
    d = await c.open_dispute(_draft())
    await c.add_event(d.code, DisputeEvent(T0 + timedelta(minutes=5), "amina", EventKind.NOTE, "n"))
    sms = DisputeEvent(T0 + timedelta(minutes=9), "amina", EventKind.SMS, "failed")
    await c.record_resolution(d.code, "111122223333", "failed", None, sms)
    later = DisputeEvent(T0 + timedelta(minutes=10), "amina", EventKind.SMS, "sent SM1")
    await c.record_resolution(d.code, None, "sent", "SM1", later)
    stored = await c.get_dispute(d.code)
    assert stored is not None
    assert stored.resolution_code == "111122223333"  # kept when none is given
    assert (stored.sms_status, stored.sms_message_sid) == ("sent", "SM1")
    assert stored.updated_at == T0 + timedelta(minutes=10)
    assert [e.kind for e in await c.events(d.code)] == [
        EventKind.OPENED,
        EventKind.NOTE,
        EventKind.SMS,
        EventKind.SMS,
    ]


async def test_lists_counts_and_overdue(stores: Stores) -> None:
    c = stores.console
    early = await c.open_dispute(_draft(T0 - timedelta(days=3)))
    soon = await c.open_dispute(_draft(T0, hours=1))
    later = await c.open_dispute(_draft(T0, hours=72, national_id=PRINCIPAL))
    done = await c.open_dispute(_draft(T0 - timedelta(days=9)))
    reject = DisputeEvent(T0, "amina", EventKind.STATUS, "no", S.RECEIVED, S.REJECTED)
    await c.change_status(done.code, S.RECEIVED, reject)
    open_ = [S.RECEIVED, S.IN_PROGRESS]
    listed = await c.list_disputes(open_)
    assert [d.code for d in listed] == [early.code, soon.code, later.code]
    assert [d.code for d in await c.list_disputes(open_, limit=1, offset=1)] == [soon.code]
    now = T0 + timedelta(hours=2)
    assert [d.code for d in await c.list_disputes(open_, now)] == [early.code, soon.code]
    assert await c.count_disputes(open_) == 3
    assert await c.count_disputes(open_, now) == 2
    assert await c.count_disputes([S.REJECTED]) == 1
    assert await c.count_disputes([]) == 0
    about_son = await c.disputes_about(SON)
    assert [d.code for d in about_son] == [soon.code, early.code, done.code]


# --- corrections ----------------------------------------------------------------------------


async def test_a_branch_document_is_seen_by_the_registry(stores: Stores) -> None:
    c = stores.console
    registry = stores.backend.store.registry
    until = TODAY + timedelta(days=120)
    at = T0 + timedelta(minutes=3)
    assert await c.record_document(
        DocumentDraft(SON, "student_certificate", None, until, "amina", at, "seen at branch 12")
    )
    family = await registry.find_family(SON)
    assert family is not None
    son = family.member(SON)
    assert son is not None
    assert [(d.kind, d.valid_until, d.source) for d in son.documents] == [
        ("student_certificate", until, "branch")
    ]
    on_file = await c.documents_of(SON)
    assert [(d.source, d.recorded_by, d.recorded_at, d.note) for d in on_file] == [
        ("branch", "amina", at, "seen at branch 12")
    ]
    assert not await c.record_document(
        DocumentDraft("0499370899", "student_certificate", None, until, "amina", at, "x")
    )
    # A registry import keeps branch documents (it replaces only its own).
    await registry.upsert_rows([p.row for p in personas(PACK, TODAY)])
    assert [d.source for d in await c.documents_of(SON)] == ["branch"]


async def test_registry_documents_are_listed_too(stores: Stores) -> None:
    student = PEOPLE["rezaei-son-student"]
    on_file = await stores.console.documents_of(student)
    assert [(d.kind, d.source, d.recorded_by) for d in on_file] == [
        ("student_certificate", "registry", None)
    ]


async def test_a_phone_correction_keeps_the_old_number(stores: Stores) -> None:
    c = stores.console
    at = T0 + timedelta(minutes=1)
    change = await c.correct_phone(PRINCIPAL, "+989122220001", "amina", at, "new SIM")
    assert change is not None
    assert (change.old_phone, change.new_phone, change.changed_by, change.changed_at) == (
        "+989121110001",
        "+989122220001",
        "amina",
        at,
    )
    await c.correct_phone(PRINCIPAL, "+989123330001", "sara", at + timedelta(hours=1), "again")
    history = await c.phone_changes(PRINCIPAL)
    assert [(h.old_phone, h.new_phone) for h in history] == [
        ("+989122220001", "+989123330001"),
        ("+989121110001", "+989122220001"),
    ]
    family = await stores.backend.store.registry.find_family(PRINCIPAL)
    assert family is not None and family.principal.phone == "+989123330001"
    found = await stores.backend.store.registry.people_by_phone("+989123330001")
    assert [p.national_id for p in found] == [PRINCIPAL]
    assert await c.correct_phone("0499370899", "+989122220001", "amina", at, "x") is None
    assert await c.phone_changes("0499370899") == []


# --- access log -----------------------------------------------------------------------------


async def test_access_log_filters_and_order(stores: Stores) -> None:
    c = stores.console
    await c.log_access([])
    await c.log_access(
        [
            AccessEntry("amina", SON, T0, "search"),
            AccessEntry("amina", PRINCIPAL, T0, "search"),
            AccessEntry("sara", SON, T0 + timedelta(hours=1), "record"),
            AccessEntry("amina", SON, T0 + timedelta(days=1), "dispute"),
        ]
    )
    everything = await c.access_log(AccessQuery())
    assert [(e.staff, e.action) for e in everything] == [
        ("amina", "dispute"),
        ("sara", "record"),
        ("amina", "search"),
        ("amina", "search"),
    ]
    assert everything[1].at == T0 + timedelta(hours=1)
    assert len(await c.access_log(AccessQuery(staff="amina"))) == 3
    assert len(await c.access_log(AccessQuery(national_id=SON))) == 3
    assert len(await c.access_log(AccessQuery(staff="amina", national_id=SON))) == 2
    window = AccessQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(days=1))
    assert [e.action for e in await c.access_log(window)] == ["record"]
    assert [e.action for e in await c.access_log(AccessQuery(), limit=1, offset=1)] == ["record"]


# --- dashboard counts -----------------------------------------------------------------------


def _answer(status: Status, channel: str) -> AnswerDraft:
    return AnswerDraft(
        channel=channel,
        asker_kind="provider",
        asker_id="p1",
        national_id=SON,
        service_date=TODAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(status, (), None, "ir-tamin", "2026.1"),
    )


async def test_answer_counts_per_day_channel_and_status(stores: Stores) -> None:
    log = stores.backend.store.answers
    for status, channel in (
        (Status.ELIGIBLE, "portal"),
        (Status.ELIGIBLE, "portal"),
        (Status.NOT_ELIGIBLE, "portal"),
        (Status.UNDETERMINED, "sms"),
    ):
        await log.append(_answer(status, channel))
    tz = ZoneInfo("Asia/Tehran")
    today = datetime.now(tz).date()
    windows = day_windows(today, 3, tz)
    counts = await stores.console.answer_counts(windows)
    assert counts == [
        DayCount(today, "portal", "eligible", 2),
        DayCount(today, "portal", "not_eligible", 1),
        DayCount(today, "sms", "undetermined", 1),
    ]
    yesterday_only = day_windows(today - timedelta(days=1), 2, tz)
    assert await stores.console.answer_counts(yesterday_only) == []
    assert await stores.console.answer_counts([]) == []
