"""The schemes' facts in every store (SQLite, PostgreSQL, memory): categories, privileges,
documents dated from their issue, what an answer said of them, and the provider feed.

PostgreSQL cases skip with a reason where no server listens on 127.0.0.1:5432 (CI has one).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from eligibility_gw.demo import personas
from eligibility_gw.domain.answer import AnswerDraft
from eligibility_gw.domain.dates import add_months
from eligibility_gw.domain.model import (
    Decision,
    Document,
    PrivilegeOnFile,
    ServiceSetting,
    Status,
)
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.reminders import due_reminders, horizon
from eligibility_gw.ports import BulkLoading, FeedOutcome, ProviderFeedRow
from eligibility_gw.rulepacks import load_rule_pack
from tests.contract.stores import (
    Backend,
)

TODAY = date(2026, 11, 23)
RO = load_rule_pack("ro-cnas")
PL = load_rule_pack("pl-nfz")
RU = load_rule_pack("ru-oms")
BR = load_rule_pack("br-sus")


async def _load(backend: Backend, rows: list[object], bulk: bool) -> None:
    """Write rows as an import does: in one bulk load where the store has one, else upserts."""
    registry = backend.store.registry
    if bulk and isinstance(registry, BulkLoading):
        async with registry.load() as load:
            await load.write(rows)  # type: ignore[arg-type]
    else:
        await registry.upsert_rows(rows)  # type: ignore[arg-type]


@pytest.mark.parametrize("bulk", [False, True], ids=["upsert", "bulk"])
@pytest.mark.parametrize("pack", [RO, PL, RU, BR], ids=lambda p: p.name)
async def test_categories_privileges_and_documents_come_back_as_written(
    backend: Backend, pack: object, bulk: bool
) -> None:
    people = personas(pack, TODAY)  # type: ignore[arg-type]
    await _load(backend, [p.row for p in people], bulk)
    for persona in people:
        row = persona.row
        family = await backend.store.registry.find_family(row.national_id)
        assert family is not None
        person = family.member(row.national_id)
        assert person is not None, persona.key
        assert person.category == row.category
        assert person.privileges == row.privileges
        others = tuple(
            Document(d.kind, d.valid_from, d.valid_until)
            for d in person.documents
            if d.kind not in ("student_certificate", "birth_certificate")
        )
        assert others == row.documents, persona.key
        if row.cover_end is not None and person.is_principal:
            assert person.cover_periods[-1].end == row.cover_end  # date.max: no end


async def test_a_reimport_replaces_privileges_and_documents(backend: Backend) -> None:
    people = {p.key: p for p in personas(RU, TODAY)}
    ivan = people["ivanov"].row
    await backend.store.registry.upsert_rows([ivan])
    until = TODAY + timedelta(days=400)
    changed = replace(
        ivan,
        privileges=(PrivilegeOnFile("social_services_set", until),),
        documents=(Document("sanatorium_referral", TODAY - timedelta(days=3)),),
    )
    await backend.store.registry.upsert_rows([changed])
    family = await backend.store.registry.find_family(ivan.national_id)
    assert family is not None
    assert family.principal.privileges == (PrivilegeOnFile("social_services_set", until),)
    assert [(d.kind, d.valid_from) for d in family.principal.documents] == [
        ("sanatorium_referral", TODAY - timedelta(days=3))
    ]
    await backend.store.registry.upsert_rows([replace(ivan, privileges=(), documents=())])
    family = await backend.store.registry.find_family(ivan.national_id)
    assert family is not None
    assert family.principal.privileges == ()
    assert family.principal.documents == ()


async def test_the_log_keeps_the_category_and_privileges_within_its_chain(
    backend: Backend,
) -> None:
    held = (PrivilegeOnFile("honorary_blood_donor", date(2028, 12, 31)),)
    draft = AnswerDraft(
        channel="web",
        asker_kind="provider",
        asker_id="p1",
        national_id="52092700104",
        service_date=TODAY,
        setting=ServiceSetting.SANATORIUM,
        decision=Decision(
            Status.ELIGIBLE, (), TODAY, "pl-nfz", "2026.1", category="07", privileges=held
        ),
        member_relationship="self",
        member_masked="J*** K***",
        principal_id="52092700104",
    )
    plain = replace(draft, decision=replace(draft.decision, category=None, privileges=()))
    first = await backend.store.answers.append(draft)
    second = await backend.store.answers.append(plain)
    found = await backend.store.answers.find(first.tracking_code)
    assert found is not None
    assert found.draft.decision.category == "07"
    assert found.draft.decision.privileges == held
    assert found.draft.setting is ServiceSetting.SANATORIUM
    again = await backend.store.answers.find(second.tracking_code)
    assert again is not None
    assert (again.draft.decision.category, again.draft.decision.privileges) == (None, ())
    assert (await backend.store.answers.verify()).ok


async def test_the_provider_feed_creates_updates_and_keeps_newer_data(backend: Backend) -> None:
    providers = backend.store.providers
    row = ProviderFeedRow("2345678", "UBS Centro", ProviderKind.CLINIC, None, date(2026, 5, 31))
    created, outcome = await providers.feed(row, "hash-a")
    assert outcome is FeedOutcome.CREATED
    assert (created.active, created.last_updated, created.stale_since) == (
        True,
        date(2026, 5, 31),
        None,
    )
    assert await providers.by_key_hash("hash-a") is not None
    assert await providers.mark_stale(["2345678"], TODAY) == 1
    assert await providers.mark_stale(["2345678"], TODAY) == 0  # marked once
    marked = await providers.get("2345678")
    assert marked is not None and marked.stale_since == TODAY
    older = replace(row, name="Old name", last_updated=date(2026, 1, 1))
    kept, outcome = await providers.feed(older, "hash-b")
    assert outcome is FeedOutcome.OLDER
    assert kept.name == "UBS Centro"
    newer = replace(row, name="UBS Centro Novo", last_updated=date(2026, 11, 20))
    updated, outcome = await providers.feed(newer, "hash-c")
    assert outcome is FeedOutcome.REACTIVATED
    assert (updated.name, updated.last_updated, updated.stale_since) == (
        "UBS Centro Novo",
        date(2026, 11, 20),
        None,
    )
    assert await providers.by_key_hash("hash-c") is None  # a known provider keeps its key
    _, outcome = await providers.feed(newer, "hash-d")
    assert outcome is FeedOutcome.UPDATED


async def test_a_document_dated_from_its_issue_is_found_when_it_ends_within_a_run(
    backend: Backend,
) -> None:
    """Reminders look up the families where something ends soon: a decision valid 12 months
    from its issue ends 7 days from today, and the run finds that family and its reminder."""
    vasile = {p.key: p for p in personas(RO, TODAY)}["ionescu"].row
    issued = add_months(TODAY + timedelta(days=7), -12)
    row = replace(vasile, documents=(Document("disability_pension_decision", issued),))
    await backend.store.registry.upsert_rows([row])
    reach = horizon(TODAY, RO)
    assert reach is not None
    assert await backend.store.reminders.heads_ending(reach) == [row.national_id]
    (family,) = await backend.store.reminders.families_of([row.national_id])
    (reminder,) = due_reminders(family, TODAY, RO)
    assert (reminder.ending.last_day, reminder.milestone) == (TODAY + timedelta(days=7), 7)
    assert reminder.ending.reason.code == "DISABILITY_PENSION_DECISION_EXPIRED"
    later = replace(row, documents=(Document("disability_pension_decision", TODAY),))
    await backend.store.registry.upsert_rows([later])
    assert await backend.store.reminders.heads_ending(reach) == []
