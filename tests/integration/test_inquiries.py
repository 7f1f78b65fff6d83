"""The inquiry policy around the service, on the memory store and on a real SQLite file.

Quotas, views, notices and reports are decided once, here; the channel tests show that each
channel renders what this returns.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eligibility_gw.adapters.memory.state import MemoryKeyValueStore
from eligibility_gw.bootstrap import open_store, wire
from eligibility_gw.demo import DEMO_PROVIDER_ID, Persona, seed_demo
from eligibility_gw.domain.errors import (
    DateOutOfRange,
    NationalIdCheckDigit,
    NotPermitted,
    ProviderInactive,
    QuotaExceeded,
)
from eligibility_gw.domain.model import Status
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.gateway import Gateway
from eligibility_gw.notices import NOTICE_PURPOSE
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import View
from eligibility_gw.ports.messages import OutboundSms, SmsRecords
from eligibility_gw.ports.outbound import SentSms
from eligibility_gw.providers import hash_api_key, new_api_key
from eligibility_gw.rulepacks import rule_pack_for
from tests.gateway import gateway_settings


class RecordingSender:
    """The outbound SMS port, keeping what it is handed as Twilio's adapter records it."""

    def __init__(self, records: SmsRecords) -> None:
        self.records = records
        self.sent: list[tuple[str, str, str, str | None]] = []

    @property
    def ready(self) -> bool:
        return True

    async def send(self, to: str, body: str, purpose: str, reference: str | None = None) -> SentSms:
        sid = "SM" + secrets.token_hex(16)
        now = datetime.now(UTC)
        self.sent.append((to, body, purpose, reference))
        await self.records.record_sent(
            OutboundSms(sid, to, purpose, reference, "queued", 1, now, now)
        )
        return SentSms(sid, "queued", 1)

    def send_later(self, to: str, body: str, purpose: str, reference: str | None = None) -> None:
        raise AssertionError("the gateway queues notices; tests send them at once")

    async def drain(self) -> None:
        return None

    async def close(self) -> None:
        return None


class InlineSender(RecordingSender):
    """``send_later`` in a task that ``drain`` waits for, as the Twilio adapter does."""

    def __init__(self, records: SmsRecords) -> None:
        super().__init__(records)
        self.tasks: list[asyncio.Task[SentSms]] = []

    def send_later(self, to: str, body: str, purpose: str, reference: str | None = None) -> None:
        self.tasks.append(
            asyncio.get_running_loop().create_task(self.send(to, body, purpose, reference))
        )

    async def drain(self) -> None:
        await asyncio.gather(*self.tasks)


class Setup:
    """A wired gateway on a seeded store, the demo personas, two more providers."""

    def __init__(self, gateway: Gateway, people: dict[str, Persona], sender: InlineSender) -> None:
        self.gateway = gateway
        self.people = people
        self.sender = sender
        self.providers: dict[str, Provider] = {}

    def nid(self, key: str) -> str:
        return self.people[key].row.national_id

    def provider(self, provider_id: str = DEMO_PROVIDER_ID, channel: str = "web") -> Asker:
        return Asker.for_provider(channel, self.providers[provider_id])


@pytest.fixture(params=["memory", "sqlite"])
async def setup(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'g.sqlite3'}"
    settings = gateway_settings(
        url,
        inquiries={"provider_per_national_id": 3, "national_id_ceiling": 7, "insured_per_hour": 50},
        notices={"check_notices": True},
    )
    pack = rule_pack_for(settings)
    store = await open_store(settings)
    state = MemoryKeyValueStore()
    sender = InlineSender(store.sms)
    gateway = wire(settings, pack, store, state, None, sender)
    people = {p.key: p for p in await seed_demo(store, pack, settings.today())}
    s = Setup(gateway, people, sender)
    for pid in ("clinic-b", "lab-c", "closed-d"):
        await store.providers.add(pid, pid, ProviderKind.CLINIC, None, hash_api_key(new_api_key()))
    await store.providers.set_active("closed-d", False)
    for p in await store.providers.list():
        s.providers[p.provider_id] = p
    try:
        yield s
    finally:
        await gateway.close()


# -- who may learn what -----------------------------------------------------------------------


async def test_a_provider_gets_the_providers_view(setup: Setup) -> None:
    shown = await setup.gateway.inquiries.ask(setup.provider(), setup.nid("karimi-son-lapsed"))
    assert shown.view is View.PROVIDER
    assert shown.status is Status.NOT_ELIGIBLE
    assert [r.code for r in shown.reasons] == ["STUDENT_CERTIFICATE_EXPIRED"]
    assert shown.reasons[0].params == ()
    assert shown.cover_ended is None
    assert shown.member_name == "M*** K***"


async def test_the_principals_phone_learns_when_a_sons_cover_ended(setup: Setup) -> None:
    karimi = setup.people["karimi"].row.phone
    assert karimi is not None
    asker = Asker.for_insured("sms", karimi)
    shown = await setup.gateway.inquiries.ask(asker, setup.nid("karimi-son-lapsed"))
    assert shown.view is View.INSURED
    yesterday = setup.gateway.settings.today() - timedelta(days=1)
    assert shown.cover_ended == yesterday
    assert shown.reasons[0].param("expired_on") == yesterday.isoformat()
    assert shown.member_name == "Mehdi Karimi"


async def test_an_insured_phone_learns_nothing_of_other_families(setup: Setup) -> None:
    karimi = setup.people["karimi"].row.phone
    assert karimi is not None
    asker = Asker.for_insured("sms", karimi)
    before = (await setup.gateway.store.answers.verify()).rows
    with pytest.raises(NotPermitted):
        await setup.gateway.inquiries.ask(asker, setup.nid("rezaei"))
    unknown = setup.gateway.pack.national_id.complete("500000001")
    with pytest.raises(NotPermitted):
        await setup.gateway.inquiries.ask(asker, unknown)
    assert (await setup.gateway.store.answers.verify()).rows == before


async def test_a_deactivated_provider_is_refused_before_anything(setup: Setup) -> None:
    with pytest.raises(ProviderInactive):
        await setup.gateway.inquiries.ask(setup.provider("closed-d"), setup.nid("rezaei"))


async def test_input_is_checked_before_lookup(setup: Setup) -> None:
    good = setup.nid("rezaei")
    with pytest.raises(NationalIdCheckDigit):
        await setup.gateway.inquiries.ask(
            setup.provider(), good[:-1] + str((int(good[-1]) + 1) % 10)
        )
    with pytest.raises(DateOutOfRange):
        await setup.gateway.inquiries.ask(setup.provider(), good, date(2000, 1, 1))


async def test_recorded_answers_go_only_to_whom_they_were_given(setup: Setup) -> None:
    inquiries = setup.gateway.inquiries
    given = await inquiries.ask(setup.provider(), setup.nid("rezaei"))
    code = given.tracking_code
    assert (await inquiries.recorded(setup.provider(channel="sms"), code)) is not None
    assert (await inquiries.recorded(setup.provider("clinic-b"), code)) is None
    stranger = Asker.for_insured("sms", "+989129999999")
    assert (await inquiries.recorded(stranger, code)) is None
    staff = await inquiries.recorded(Asker.for_staff("agent"), code)
    assert staff is not None
    assert staff.view is View.STAFF
    assert staff.national_id == setup.nid("rezaei")


# -- quotas -----------------------------------------------------------------------------------


async def test_one_provider_cannot_lock_others_out_of_a_person(setup: Setup) -> None:
    inquiries = setup.gateway.inquiries
    hamid = setup.nid("rezaei-son-no-cert")
    for channel in ("web", "fhir", "sms"):  # every channel counts against one share
        await inquiries.ask(setup.provider(channel=channel), hamid)
    for _ in range(5):
        with pytest.raises(QuotaExceeded) as refused:
            await inquiries.ask(setup.provider(channel="ussd"), hamid)
        assert refused.value.scope == "provider_national_id"
    # Refused checks used up nothing of the ceiling: the others still get answers.
    for _ in range(3):
        assert (
            await inquiries.ask(setup.provider("clinic-b"), hamid)
        ).status is Status.NOT_ELIGIBLE
    assert (await inquiries.ask(setup.provider("lab-c"), hamid)).status is Status.NOT_ELIGIBLE
    # The ceiling (7) holds against many providers together.
    with pytest.raises(QuotaExceeded) as ceiling:
        await inquiries.ask(setup.provider("lab-c"), hamid)
    assert ceiling.value.scope == "national_id"
    assert ceiling.value.retry_after > 0


# -- check notices ----------------------------------------------------------------------------


async def test_a_provider_check_tells_the_principal_of_a_minor(setup: Setup) -> None:
    inquiries = setup.gateway.inquiries
    shown = await inquiries.ask(setup.provider(), setup.nid("ahmadi-son"))
    await setup.sender.drain()
    ahmadi = setup.people["ahmadi"].row.phone
    assert [(to, purpose, ref) for to, _, purpose, ref in setup.sender.sent] == [
        (ahmadi, NOTICE_PURPOSE, shown.tracking_code.digits)
    ]
    # Once a day per person, provider and phone.
    await inquiries.ask(setup.provider(channel="sms"), setup.nid("ahmadi-son"))
    await setup.sender.drain()
    assert len(setup.sender.sent) == 1


async def test_an_adults_visits_are_their_own(setup: Setup) -> None:
    await setup.gateway.inquiries.ask(setup.provider(), setup.nid("karimi-daughter"))
    await setup.sender.drain()
    assert setup.sender.sent == []


async def test_a_no_is_recorded_with_the_check(setup: Setup) -> None:
    inquiries = setup.gateway.inquiries
    shown = await inquiries.ask(setup.provider(), setup.nid("ahmadi-son"))
    await setup.sender.drain()
    ahmadi = setup.people["ahmadi"].row.phone
    assert ahmadi is not None
    report = await inquiries.report_unasked_check(ahmadi, "SM" + "1" * 32)
    assert report is not None
    assert report.tracking_code == shown.tracking_code.digits
    (found,) = await inquiries.reported_checks(Asker.for_staff("super"))
    assert found.check is not None
    assert found.check.draft.asker_id == DEMO_PROVIDER_ID
    assert found.check.draft.national_id == setup.nid("ahmadi-son")
    # Nothing was sent to this phone: nothing to report.
    assert await inquiries.report_unasked_check("+989129999999", "SM" + "2" * 32) is None
    with pytest.raises(NotPermitted):
        await inquiries.reported_checks(setup.provider())


# -- staff ------------------------------------------------------------------------------------


async def test_staff_preview_is_not_logged(setup: Setup) -> None:
    inquiries = setup.gateway.inquiries
    staff = Asker.for_staff("agent")
    family = await inquiries.family_of(staff, setup.nid("karimi"))
    assert family is not None
    before = (await setup.gateway.store.answers.verify()).rows
    statuses = await inquiries.preview(staff, family)
    assert (await setup.gateway.store.answers.verify()).rows == before
    by_id = {s.person.national_id: s.decision for s in statuses}
    assert by_id[setup.nid("karimi-son-lapsed")].status is Status.NOT_ELIGIBLE
    assert by_id[setup.nid("karimi")].cover_end is not None
    with pytest.raises(NotPermitted):
        await inquiries.preview(setup.provider(), family)


async def test_a_family_list_past_the_budget_keeps_what_was_answered(setup: Setup) -> None:
    karimi = setup.people["karimi"].row.phone
    assert karimi is not None
    inquiries = setup.gateway.inquiries
    identity = await inquiries.identify(karimi)
    asker = Asker.for_insured("sms", karimi)
    before = (await setup.gateway.store.answers.verify()).rows
    first = await inquiries.ask_family(asker, identity)  # 8 members, a budget of 50
    assert len(first) == 8
    for _ in range(5):
        await inquiries.ask_family(asker, identity)
    cut = await inquiries.ask_family(asker, identity)  # 48 answered: two left of 50
    assert len(cut) == 2
    logged = (await setup.gateway.store.answers.verify()).rows - before
    assert logged == 8 * 6 + 2  # every answer given was shown: none logged unseen
    with pytest.raises(QuotaExceeded):
        await inquiries.ask_family(asker, identity)
