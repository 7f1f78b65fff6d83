"""What every store must do for the registry's integrity and the log's checkpoints.

The same cases on SQLite, PostgreSQL (skipped with a reason where no server listens) and the
memory store: a phone corrected at the console survives an upsert that keeps it, the
corrections on file are listed, people are found by family name and birth date, the log's
head and the hashes at given sizes are what checkpoints sign, and a log cut at its end is
told apart from the one a checkpoint signed.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eligibility_gw.adapters.memory.store import MemoryAnswerLog
from eligibility_gw.audit.checkpoints import Held, compare, sign_checkpoint
from eligibility_gw.audit.notes import new_signer
from eligibility_gw.demo import personas
from eligibility_gw.domain.answer import GENESIS_HASH, AnswerDraft
from eligibility_gw.domain.model import Decision, ServiceSetting, Status
from eligibility_gw.ports import ChainHead
from eligibility_gw.ports.casework import DocumentDraft
from eligibility_gw.rulepacks import load_rule_pack
from tests.contract.stores import (
    Backend,
    postgres_backend,
    postgres_reachable,
)

TODAY = date(2026, 11, 23)
PACK = load_rule_pack("ir-tamin")
ROWS = {p.key: p.row for p in personas(PACK, TODAY)}
ALI = ROWS["rezaei"]
NEW_PHONE = "+989121119999"
ORIGIN = "gateway.example.org/eligibility-gw/answers"


def _draft(n: int) -> AnswerDraft:
    return AnswerDraft(
        channel="web",
        asker_kind="provider",
        asker_id="p1",
        national_id=ALI.national_id,
        service_date=TODAY - timedelta(days=n % 30),
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(Status.ELIGIBLE, (), TODAY, "ir-tamin", "2026.1"),
        member_relationship="self",
        member_masked="A*** R***",
        principal_id=ALI.national_id,
    )


async def _answers(backend: Backend, count: int) -> None:
    await asyncio.gather(*(backend.store.answers.append(_draft(n)) for n in range(count)))


async def _cut_tail(backend: Backend, keep: int, move_head: bool = False) -> None:
    """Delete every row after ``keep`` behind the log's back (and, on PostgreSQL, move the
    chain head back to the last row kept, as someone covering their tracks would)."""
    if not backend.sql:
        memory = backend.store.answers
        assert isinstance(memory, MemoryAnswerLog)
        del memory.records[keep:]
        return
    if backend.url.startswith("postgresql"):
        await backend.raw("DROP TRIGGER IF EXISTS answer_log_no_update ON answer_log")
    else:
        await backend.raw("DROP TRIGGER IF EXISTS answer_log_no_delete")
    await backend.raw(f"DELETE FROM answer_log WHERE seq > {int(keep)}")
    if move_head and backend.url.startswith("postgresql"):
        await backend.raw(
            f"UPDATE answer_chain_head SET seq = {int(keep)}, row_hash ="
            f" (SELECT row_hash FROM answer_log WHERE seq = {int(keep)}) WHERE id"
        )


# --- the registry ---------------------------------------------------------------------------


async def test_a_kept_phone_survives_an_upsert_and_is_listed_until_the_registry_agrees(
    backend: Backend,
) -> None:
    registry = backend.store.registry
    await registry.upsert_rows(list(ROWS.values()))
    assert await registry.corrections([ALI.national_id]) == {}
    at = datetime.now(UTC)
    await backend.store.casework.correct_phone(ALI.national_id, NEW_PHONE, "sara", at, "moved")
    found = await registry.corrections([ALI.national_id, ROWS["rezaei-son-student"].national_id])
    assert list(found) == [ALI.national_id]
    phone = found[ALI.national_id].phone
    assert phone is not None
    assert (phone.phone, phone.registry_phone, phone.corrected_by) == (NEW_PHONE, ALI.phone, "sara")
    assert abs((phone.corrected_at - at).total_seconds()) < 1

    # The file still has the registry's number: kept, the file's number becomes the base.
    await registry.upsert_rows([replace(ALI, given_name="Aly", keep_phone=True)])
    assert [p.national_id for p in await registry.people_by_phone(NEW_PHONE)] == [ALI.national_id]
    assert await registry.people_by_phone(ALI.phone or "") == []
    family = await registry.find_family(ALI.national_id)
    assert family is not None and family.principal.given_name == "Aly"
    assert ALI.national_id in await registry.corrections([ALI.national_id])

    # The registry caught up: the correction is no longer one.
    await registry.upsert_rows([replace(ALI, phone=NEW_PHONE)])
    assert await registry.corrections([ALI.national_id]) == {}
    # An upsert that does not keep the phone takes the file's.
    await registry.upsert_rows([ALI])
    assert await registry.people_by_phone(NEW_PHONE) == []


async def test_branch_documents_are_listed_as_corrections(backend: Backend) -> None:
    registry = backend.store.registry
    await registry.upsert_rows(list(ROWS.values()))
    daughter = ROWS["rezaei-daughter-no-bc"]
    recorded = datetime.now(UTC)
    assert await backend.store.casework.record_document(
        DocumentDraft(daughter.national_id, "birth_certificate", None, None, "sara", recorded, "")
    )
    found = await registry.corrections([daughter.national_id])
    (doc,) = found[daughter.national_id].documents
    assert (doc.kind, doc.source, doc.recorded_by) == ("birth_certificate", "branch", "sara")
    assert found[daughter.national_id].phone is None
    # A re-import does not touch it.
    await registry.upsert_rows([daughter])
    assert (
        len((await registry.corrections([daughter.national_id]))[daughter.national_id].documents)
        == 1
    )


async def test_people_found_by_family_name_and_birth_date(backend: Backend) -> None:
    registry = backend.store.registry
    await registry.upsert_rows(list(ROWS.values()))
    son = ROWS["rezaei-son-student"]
    assert son.birth_date is not None
    found = await registry.people_named("  REZAEI ", son.birth_date)
    assert [p.national_id for p in found] == [son.national_id]
    persian = replace(son, family_name="رضايي")  # Arabic yeh, as some registries write it
    await registry.upsert_rows([persian])
    found = await registry.people_named("رضایی", son.birth_date)  # Persian yeh, as typed
    assert [p.national_id for p in found] == [son.national_id]
    assert await registry.people_named("Rezaei", son.birth_date + timedelta(days=1)) == []
    assert await registry.people_named("Karimi", son.birth_date) == []
    assert await registry.people_named(" - ", son.birth_date) == []
    ids = await backend.store.casework.national_ids_named("رضایی", son.birth_date)
    assert ids == [son.national_id]


# --- the answer log's head and checkpoints --------------------------------------------------


async def test_head_and_hashes_at_sizes(backend: Backend) -> None:
    answers = backend.store.answers
    assert await answers.head() == ChainHead(0, GENESIS_HASH)
    await _answers(backend, 12)
    head = await answers.head()
    assert head.size == 12
    report = await answers.verify(at=[0, 5, 12, 40])
    assert report.ok and report.rows == 12
    assert report.hashes[12] == head.row_hash
    assert report.hashes[0] == GENESIS_HASH
    assert 5 in report.hashes and 40 not in report.hashes
    record = await answers.history(ALI.national_id, limit=12)
    assert {r.seq: r.row_hash for r in record}[5] == report.hashes[5]


@pytest.mark.parametrize("cut", [1, 100])
async def test_a_tail_cut_is_found_given_a_checkpoint(backend: Backend, cut: int) -> None:
    answers = backend.store.answers
    await _answers(backend, 130)
    signer = new_signer(ORIGIN)
    checkpoint, _ = sign_checkpoint(await answers.head(), ORIGIN, signer)
    held = [Held("kept.checkpoint", checkpoint)]
    report = await answers.verify(at=[130])
    assert compare(report, held) == []

    await _cut_tail(backend, 130 - cut, move_head=True)
    report = await answers.verify(at=[130])
    # The chain alone reads as a shorter, intact log (PostgreSQL's head was moved back too).
    assert report.ok and report.rows == 130 - cut
    (found,) = compare(report, held)
    assert found.first_bad_row == 130 - cut + 1
    assert f"{cut} row(s) from row {130 - cut + 1} on are missing" in found.problem


async def test_a_cut_tail_written_on_since_is_found(backend: Backend) -> None:
    answers = backend.store.answers
    await _answers(backend, 10)
    checkpoint, _ = sign_checkpoint(await answers.head(), ORIGIN, new_signer(ORIGIN))
    await _cut_tail(backend, 7, move_head=True)
    await _answers(backend, 5)  # rows 8 to 12 again, other answers
    report = await answers.verify(at=[10])
    assert report.ok and report.rows == 12
    (found,) = compare(report, [Held("kept.checkpoint", checkpoint)])
    assert found.first_bad_row == 10
    assert "hashes otherwise" in found.problem


async def test_postgres_head_left_behind_names_the_first_missing_row(tmp_path: Path) -> None:
    if not postgres_reachable():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432 (CI runs one)")
    async with postgres_backend() as backend:
        await _answers(backend, 20)
        checkpoint, _ = sign_checkpoint(
            await backend.store.answers.head(), ORIGIN, new_signer(ORIGIN)
        )
        await _cut_tail(backend, 15)
        report = await backend.store.answers.verify(at=[20])
        assert not report.ok and report.first_bad_seq == 16
        (found,) = compare(report, [Held("kept.checkpoint", checkpoint)])
        assert found.first_bad_row == 16


# --- the console's follow-up of outcome SMS -------------------------------------------------


async def test_undelivered_outcomes_follow_the_status_callbacks(backend: Backend) -> None:
    from eligibility_gw.domain.disputes import DisputeStatus
    from eligibility_gw.ports.casework import DisputeDraft, DisputeEvent, EventKind
    from eligibility_gw.ports.messages import OutboundSms, StatusEvent

    store = backend.store
    await store.registry.upsert_rows(list(ROWS.values()))
    now = datetime.now(UTC)
    opened = []
    for n in range(3):
        opened.append(
            await store.casework.open_dispute(
                DisputeDraft(
                    ALI.national_id,
                    None,
                    "hotline",
                    None,
                    "en",
                    f"#{n}",
                    "sara",
                    now,
                    now + timedelta(hours=48),
                )
            )
        )
    sids = [f"SM{'0' * 31}{n}" for n in range(3)]
    for dispute, sid in zip(opened, sids, strict=True):
        await store.sms.record_sent(
            OutboundSms(
                sid,
                ALI.phone or "",
                "console_resolution",
                dispute.code.digits,
                "queued",
                1,
                now,
                now,
            )
        )
        event = DisputeEvent(now, "sara", EventKind.SMS, "sent")
        await store.casework.record_resolution(dispute.code, None, "sent", sid, event)
    assert await store.casework.undelivered_outcomes() == []
    await store.sms.record_status(StatusEvent(sids[0], "delivered", None, now))
    await store.sms.record_status(StatusEvent(sids[1], "undelivered", "30005", now))
    failed = await store.casework.undelivered_outcomes()
    assert [d.code for d in failed] == [opened[1].code]
    await store.casework.record_resolution(
        opened[2].code, None, "failed", None, DisputeEvent(now, "sara", EventKind.SMS, "failed")
    )
    assert {d.code for d in await store.casework.undelivered_outcomes()} == {
        opened[1].code,
        opened[2].code,
    }
    assert opened[0].status is DisputeStatus.RECEIVED
