"""The reminder and upload stores' contract: the same tests on SQLite, PostgreSQL and memory
(and the uploads directory for files). PostgreSQL cases skip where no server listens."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eligibility_gw.adapters.upload_directory import DirectoryUploadFiles
from eligibility_gw.demo import personas
from eligibility_gw.domain.model import Family
from eligibility_gw.domain.reminders import due_reminders, horizon
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.chats import Binding
from eligibility_gw.ports.reminders import ReminderClaim, ReminderKey, ReminderStatus
from eligibility_gw.ports.uploads import Upload, UploadDecision, UploadStatus
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.synthetic import synthetic_rows
from tests.contract.stores import (
    Backend,
    memory_backend,
    postgres_backend,
    postgres_reachable,
    sqlite_backend,
)

TODAY = date(2026, 11, 23)
PACK = load_rule_pack("ir-tamin")
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres", "memory"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        async with sqlite_backend(tmp_path) as b:
            yield b
    elif request.param == "memory":
        async with memory_backend() as b:
            yield b
    else:
        if not postgres_reachable():
            pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
        async with postgres_backend() as b:
            yield b


def _claim(
    national_id: str = "1000000052", milestone: int = 30, at: datetime = T0
) -> ReminderClaim:
    key = ReminderKey(national_id, date(2026, 12, 20), milestone)
    return ReminderClaim(key, "STUDENT_CERTIFICATE_REQUIRED", "age", "sms", "fa", TODAY, at)


async def test_a_key_is_claimed_once(backend: Backend) -> None:
    records = backend.store.reminders
    claim = _claim()
    assert await records.claim(claim)
    assert not await records.claim(claim)
    assert not await records.claim(replace(claim, channel="telegram"))
    await records.finish(claim.key, ReminderStatus.SENT, T0 + timedelta(seconds=1), "SM1")
    assert not await records.claim(claim)
    [kept] = await records.reminders_about(claim.key.national_id)
    assert (kept.status, kept.reference, kept.attempts) == (ReminderStatus.SENT, "SM1", 1)
    assert (kept.reason, kept.rule, kept.channel, kept.language) == (
        "STUDENT_CERTIFICATE_REQUIRED",
        "age",
        "sms",
        "fa",
    )
    assert kept.key == claim.key and kept.run_day == TODAY
    assert kept.claimed_at == T0


async def test_a_failed_reminder_is_claimed_again_a_sending_one_is_not(backend: Backend) -> None:
    records = backend.store.reminders
    failed, stuck = _claim(milestone=30), _claim(milestone=7)
    assert await records.claim(failed) and await records.claim(stuck)
    await records.finish(failed.key, ReminderStatus.FAILED, T0, problem="SmsSendError")
    later = replace(failed, channel="telegram", at=T0 + timedelta(hours=1))
    assert await records.claim(later)
    assert not await records.claim(stuck)  # its message may have gone out
    by_milestone = {r.key.milestone: r for r in await records.reminders_about("1000000052")}
    again = by_milestone[30]
    assert (again.status, again.attempts, again.channel, again.problem) == (
        ReminderStatus.SENDING,
        2,
        "telegram",
        None,
    )
    assert by_milestone[7].status is ReminderStatus.SENDING


async def test_claims_at_once_give_the_key_to_one(backend: Backend) -> None:
    records = backend.store.reminders
    results = await asyncio.gather(*(records.claim(_claim()) for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_sent_per_day_counts_sent_ones_only(backend: Backend) -> None:
    records = backend.store.reminders
    for i, (day, status) in enumerate(
        [
            (TODAY, ReminderStatus.SENT),
            (TODAY, ReminderStatus.SENT),
            (TODAY, ReminderStatus.FAILED),
            (TODAY - timedelta(days=1), ReminderStatus.SENT),
            (TODAY - timedelta(days=40), ReminderStatus.SENT),
        ]
    ):
        claim = replace(_claim(f"10000000{i:02d}"), run_day=day)
        assert await records.claim(claim)
        await records.finish(claim.key, status, T0)
    found = await records.sent_per_day(TODAY - timedelta(days=29), TODAY)
    assert found == {TODAY: 2, TODAY - timedelta(days=1): 1}


async def test_families_are_read_whole(backend: Backend) -> None:
    rows = [p.row for p in personas(PACK, TODAY)]
    await backend.store.registry.upsert_rows(rows)
    records = backend.store.reminders
    principals = sorted(r.national_id for r in rows if r.principal_id is None)
    dependent = next(r.national_id for r in rows if r.principal_id is not None)
    asked = [*reversed(principals), dependent, "1234567890", principals[0]]
    found = await records.families_of(asked)
    # In the order asked, once each; dependents' and unknown ids are no family of theirs.
    assert [f.principal.national_id for f in found] == list(reversed(principals))
    for family in found:
        assert await backend.store.registry.find_family(family.principal.national_id) == family
    assert await records.families_of([]) == []


@pytest.mark.parametrize("offset", [0, 1, 29, 30, 200])
async def test_the_families_a_run_looks_at_hold_every_reminder_due(
    backend: Backend, offset: int
) -> None:
    """Over the demo and 300 synthetic families, on days around their dates: the families the
    store picks give exactly the reminders a walk over every family gives."""
    rows = [p.row for p in personas(PACK, TODAY)]
    rows += list(synthetic_rows(PACK, 300, TODAY, seed=11))
    await backend.store.registry.upsert_rows(rows)
    day = TODAY + timedelta(days=offset)
    reach = horizon(day, PACK)
    assert reach is not None
    heads = await backend.store.reminders.heads_ending(reach)
    assert heads == sorted(set(heads))
    picked = await backend.store.reminders.families_of(heads)
    everyone = [
        f
        for r in rows
        if r.principal_id is None
        and (f := await backend.store.registry.find_family(r.national_id)) is not None
    ]

    def due_of(families: list[Family]) -> set[tuple[str, int]]:
        return {(r.national_id, r.milestone) for f in families for r in due_reminders(f, day, PACK)}

    expected = due_of(everyone)
    assert expected  # the day has reminders to find
    assert due_of(picked) == expected
    assert len(picked) < len(everyone) / 2  # and far fewer families were read


async def test_bindings_by_phone_newest_first(backend: Backend) -> None:
    chats = backend.store.chats
    phone = "+989121110001"
    await chats.bind(Binding(1, 1, phone, "fa", T0))
    await chats.bind(Binding(2, 2, phone, "en", T0 + timedelta(days=1)))
    await chats.bind(Binding(3, 3, "+989121110002", "en", T0))
    assert [b.chat_id for b in await chats.by_phone(phone)] == [2, 1]
    assert await chats.by_phone("+989129999999") == []


def _upload(upload_id: str = "00112233aabbccdd", **kw: object) -> Upload:
    base = Upload(
        upload_id=upload_id,
        national_id="1000000052",
        channel="telegram",
        reply_to="4242",
        phone="+989121110001",
        language="fa",
        content_type="image/png",
        size=123,
        sha256="ab" * 32,
        status=UploadStatus.PENDING,
        received_at=T0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


async def test_uploads_round_trip_and_decide_once(backend: Backend) -> None:
    records = backend.store.uploads
    upload = _upload()
    assert await records.add_upload(upload)
    assert not await records.add_upload(upload)
    assert await records.get_upload(upload.upload_id) == upload
    assert await records.pending_like("1000000052", "ab" * 32) == upload
    assert await records.pending_like("1000000052", "cd" * 32) is None
    accepted = UploadDecision(
        UploadStatus.ACCEPTED,
        "amina",
        T0 + timedelta(hours=1),
        kind="student_certificate",
        valid_until=date(2027, 6, 30),
    )
    decided = await records.decide_upload(upload.upload_id, accepted)
    assert decided is not None
    assert (decided.status, decided.decided_by, decided.kind, decided.valid_until) == (
        UploadStatus.ACCEPTED,
        "amina",
        "student_certificate",
        date(2027, 6, 30),
    )
    rejected = UploadDecision(UploadStatus.REJECTED, "sara", T0, reason="unreadable")
    assert await records.decide_upload(upload.upload_id, rejected) is None
    await records.record_notice(upload.upload_id, "123456789012", "sent")
    kept = await records.get_upload(upload.upload_id)
    assert kept is not None and (kept.tracking_code, kept.notified) == ("123456789012", "sent")
    assert await records.reopen_upload(upload.upload_id, UploadStatus.ACCEPTED)
    reopened = await records.get_upload(upload.upload_id)
    assert reopened is not None and reopened.status is UploadStatus.PENDING
    assert reopened.kind is None and reopened.decided_by is None


async def test_the_queue_is_oldest_first_and_counted(backend: Backend) -> None:
    records = backend.store.uploads
    for i in range(5):
        assert await records.add_upload(
            _upload(f"{i:016x}", received_at=T0 - timedelta(minutes=i), sha256=f"{i:064x}")
        )
    pending = [UploadStatus.PENDING]
    assert [u.upload_id for u in await records.list_uploads(pending, 2)] == [
        f"{4:016x}",
        f"{3:016x}",
    ]
    assert [u.upload_id for u in await records.list_uploads(pending, 2, 4)] == [f"{0:016x}"]
    assert await records.count_uploads(pending) == 5
    assert await records.count_uploads([UploadStatus.REJECTED]) == 0
    about = await records.uploads_about("1000000052", 3)
    assert [u.upload_id for u in about] == [f"{i:016x}" for i in range(3)]


async def test_expiry_and_deletion(backend: Backend) -> None:
    records = backend.store.uploads
    old, new, rejected = (
        _upload("a" * 16),
        _upload("b" * 16, received_at=T0 + timedelta(days=20)),
        _upload("c" * 16),
    )
    for u in (old, new, rejected):
        assert await records.add_upload(u)
    await records.decide_upload(
        rejected.upload_id, UploadDecision(UploadStatus.REJECTED, "amina", T0, reason="expired")
    )
    at = T0 + timedelta(days=31)
    expired = await records.expire_uploads(T0 + timedelta(days=1), at)
    assert [u.upload_id for u in expired] == [old.upload_id]
    found = await records.get_upload(old.upload_id)
    assert found is not None and found.status is UploadStatus.EXPIRED and found.decided_at == at
    deletable = await records.deletable_uploads(T0 + timedelta(days=1))
    assert [u.upload_id for u in deletable] == [rejected.upload_id]
    await records.mark_deleted(rejected.upload_id, at)
    assert await records.deletable_uploads(T0 + timedelta(days=100)) == [
        await records.get_upload(old.upload_id)
    ]


async def test_files_in_the_store(backend: Backend) -> None:
    files = backend.store.upload_files
    content = bytes(range(256)) * 40
    await files.put_file("00112233aabbccdd", content)
    assert await files.get_file("00112233aabbccdd") == content
    await files.delete_file("00112233aabbccdd")
    assert await files.get_file("00112233aabbccdd") is None
    await files.delete_file("00112233aabbccdd")  # twice: nothing to do


async def test_files_in_a_directory(tmp_path: Path) -> None:
    files = DirectoryUploadFiles(tmp_path / "uploads")
    await files.put_file("00112233aabbccdd", b"%PDF-1.4 x")
    path = tmp_path / "uploads" / "00112233aabbccdd.upload"
    assert path.read_bytes() == b"%PDF-1.4 x"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # the gateway's user only
    assert await files.get_file("00112233aabbccdd") == b"%PDF-1.4 x"
    await files.delete_file("00112233aabbccdd")
    assert await files.get_file("00112233aabbccdd") is None and not path.exists()
    with pytest.raises(ValueError, match="upload id"):
        await files.get_file("../../etc/passwd")


async def test_an_unwritable_directory_is_the_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    files = DirectoryUploadFiles(blocker / "uploads")
    with pytest.raises(StoreUnavailable, match="uploads directory"):
        await files.put_file("00112233aabbccdd", b"x")
