"""The store contract: the same tests against SQLite, PostgreSQL and the memory store.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from eligibility_gw.demo import personas
from eligibility_gw.domain.answer import AnswerDraft
from eligibility_gw.domain.model import Decision, Reason, ServiceSetting, Status
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.tracking import TrackingCode, verhoeff_is_valid
from eligibility_gw.ports import StoredBatch
from eligibility_gw.rulepacks import load_rule_pack
from tests.contract.stores import (
    Backend,
)

TODAY = date(2026, 11, 23)
PACK = load_rule_pack("ir-tamin")


def _draft(
    national_id: str = "1000000011", status: Status = Status.ELIGIBLE, asker: str = "p1"
) -> AnswerDraft:
    reasons = (
        ()
        if status is Status.ELIGIBLE
        else (
            Reason(
                "STUDENT_CERTIFICATE_EXPIRED",
                "student_certificate",
                (("expired_on", "2026-11-22"),),
            ),
        )
    )
    return AnswerDraft(
        channel="web",
        asker_kind="provider",
        asker_id=asker,
        national_id=national_id,
        service_date=TODAY,
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(
            status, reasons, TODAY if status is Status.ELIGIBLE else None, "ir-tamin", "2026.1"
        ),
        member_relationship="self",
        member_masked="A*** R***",
        principal_id=national_id,
    )


async def test_family_round_trip(backend: Backend) -> None:
    rows = [p.row for p in personas(PACK, TODAY)]
    await backend.store.registry.upsert_rows(rows)
    assert await backend.store.registry.count_people() == len(rows)
    family = await backend.store.registry.find_family("1000000087")
    assert family is not None
    assert family.principal.national_id == "1000000079"
    assert family.principal.cover_periods[0].end == TODAY
    son = family.member("1000000087")
    assert son is not None and son.principal_id == "1000000079"
    assert [d.kind for d in son.documents] == ["student_certificate"]
    assert son.documents[0].valid_until == TODAY - timedelta(days=1)
    assert [m.national_id for m in family.members][:2] == ["1000000079", "1000000087"]
    assert await backend.store.registry.find_family("1000000019") is None


async def test_upsert_updates_and_clears_documents(backend: Backend) -> None:
    rows = {p.key: p.row for p in personas(PACK, TODAY)}
    await backend.store.registry.upsert_rows(list(rows.values()))
    son = rows["karimi-son-lapsed"]
    renewed = replace(son, student_until=TODAY + timedelta(days=90), given_name="Mahdi")
    await backend.store.registry.upsert_rows([renewed])
    family = await backend.store.registry.find_family(son.national_id)
    assert family is not None
    member = family.member(son.national_id)
    assert member is not None and member.given_name == "Mahdi"
    assert [d.valid_until for d in member.documents] == [TODAY + timedelta(days=90)]
    cleared = replace(son, student_until=None)
    await backend.store.registry.upsert_rows([cleared])
    family = await backend.store.registry.find_family(son.national_id)
    assert family is not None
    member = family.member(son.national_id)
    assert member is not None and member.documents == ()
    assert await backend.store.registry.count_people() == len(rows)


async def test_people_by_phone_and_principals(backend: Backend) -> None:
    await backend.store.registry.upsert_rows([p.row for p in personas(PACK, TODAY)])
    people = await backend.store.registry.people_by_phone("+989121110002")
    assert [p.national_id for p in people] == ["1000000079"]
    known = await backend.store.registry.principals_known(["1000000079", "1000000087", "x"])
    assert known == {"1000000079"}


async def test_concurrent_appends_make_one_chain(backend: Backend) -> None:
    log = backend.store.answers
    records = await asyncio.gather(*(log.append(_draft(asker=f"p{i % 3}")) for i in range(300)))
    codes = [r.tracking_code.digits for r in records]
    assert len(set(codes)) == 300
    assert all(len(c) == 12 and verhoeff_is_valid(c) for c in codes)
    assert sorted(r.seq for r in records) == list(range(1, 301))
    report = await log.verify()
    assert report.ok and report.rows == 300


async def test_find_history_and_by_asker(backend: Backend) -> None:
    log = backend.store.answers
    first = await log.append(_draft("1000000087", Status.NOT_ELIGIBLE, asker="p1"))
    second = await log.append(_draft("1000000087", Status.NOT_ELIGIBLE, asker="p2"))
    found = await log.find(first.tracking_code)
    assert found is not None
    assert found.status is Status.NOT_ELIGIBLE
    assert found.reasons == first.reasons
    assert found.draft.decision.cover_end is None
    assert found.created_at == first.created_at
    assert await log.find(TrackingCode.new()) is None
    history = await log.history("1000000087")
    assert [r.seq for r in history] == [second.seq, first.seq]
    mine = await log.by_asker("provider", "p1")
    assert [r.seq for r in mine] == [first.seq]
    later = await log.by_asker("provider", "p1", since=datetime.now(UTC) + timedelta(hours=1))
    assert later == []


async def test_tampering_is_found(backend: Backend) -> None:
    log = backend.store.answers
    records = [await log.append(_draft()) for _ in range(5)]
    assert (await log.verify()).ok
    if backend.sql:
        with pytest.raises(Exception, match="append-only"):
            await backend.raw("UPDATE answer_log SET status = 'not_eligible' WHERE seq = 3")
    await backend.edit_status(3, "not_eligible")
    report = await log.verify()
    assert not report.ok
    assert report.first_bad_seq == records[2].seq == 3


async def test_a_period_answer_keeps_its_last_day_in_the_chain(backend: Backend) -> None:
    # One day and a period in one chain: the day's row hashes as before periods existed
    # (its payload names no service_until), the period's covers its last day.
    log = backend.store.answers
    day = await log.append(_draft())
    period = await log.append(replace(_draft(), service_until=TODAY + timedelta(days=6)))
    found_day, found_period = (
        await log.find(day.tracking_code),
        await log.find(period.tracking_code),
    )
    assert found_day is not None and found_period is not None
    assert found_day.draft.service_until is None
    assert found_period.draft.service_until == TODAY + timedelta(days=6)
    assert found_period.row_hash == period.row_hash
    assert [r.draft.service_until for r in await log.history("1000000011")] == [
        TODAY + timedelta(days=6),
        None,
    ]
    assert (await log.verify()).ok
    if backend.sql:
        await backend.raw(
            "DROP TRIGGER answer_log_no_update ON answer_log"
            if backend.url.startswith("postgresql")
            else "DROP TRIGGER answer_log_no_update"
        )
        await backend.raw(f"UPDATE answer_log SET service_until = NULL WHERE seq = {period.seq}")
        report = await log.verify()
        assert not report.ok
        assert report.first_bad_seq == period.seq


async def test_deleted_row_is_found(backend: Backend) -> None:
    log = backend.store.answers
    for _ in range(4):
        await log.append(_draft())
    await backend.delete(2)
    report = await log.verify()
    assert report.first_bad_seq == 2


async def test_tracking_codes_unique_in_the_store(backend: Backend) -> None:
    if not backend.sql:
        pytest.skip("the memory store draws codes it checks itself; no index to test")
    record = await backend.store.answers.append(_draft())
    with pytest.raises(Exception, match=r"(?i)unique"):
        await backend.raw(
            "INSERT INTO answer_log (seq, tracking_code, created_at, channel, asker_kind,"
            " asker_id, national_id, service_date, setting, status, reasons, rule_pack,"
            " rule_pack_version, prev_hash, row_hash) VALUES (99, "
            f"'{record.tracking_code.digits}', 'x', 'web', 'provider', 'p', '1', '2026-11-23',"
            " 'outpatient', 'eligible', '[]', 'ir-tamin', '1', 'x', 'y')"
        )


async def test_providers(backend: Backend) -> None:
    providers = backend.store.providers
    added = await providers.add(
        "ph-1", "Pharmacy One", ProviderKind.PHARMACY, "+989350000009", "h" * 64
    )
    assert added.active and added.kind is ProviderKind.PHARMACY
    with pytest.raises(ValueError, match="exists"):
        await providers.add("ph-1", "Again", ProviderKind.CLINIC, None, "i" * 64)
    assert (await providers.by_key_hash("h" * 64)) == added
    assert (await providers.by_phone("+989350000009")) == added
    off = await providers.set_active("ph-1", False)
    assert off is not None and not off.active and off.status_changed_at is not None
    assert await providers.set_active("nobody", True) is None
    assert [p.provider_id for p in await providers.list()] == ["ph-1"]


async def test_batches_only_for_their_provider(backend: Backend) -> None:
    await backend.store.providers.add("ph-1", "One", ProviderKind.PHARMACY, None, "a" * 64)
    batch = StoredBatch("b1", "ph-1", datetime.now(UTC), 2, '[{"index": 0}, {"index": 1}]')
    await backend.store.batches.save(batch)
    got = await backend.store.batches.get("b1", "ph-1")
    assert got is not None and got.item_count == 2 and got.results_json == batch.results_json
    assert await backend.store.batches.get("b1", "ph-2") is None


async def test_ping(backend: Backend) -> None:
    assert await backend.store.ping()
