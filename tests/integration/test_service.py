"""The eligibility service wired by ``open_gateway`` over a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, timedelta

import pytest

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.demo import Persona, personas
from eligibility_gw.domain.dates import add_months, end_of_month
from eligibility_gw.domain.errors import (
    DateOutOfRange,
    InvalidNationalId,
    InvalidSetting,
    NationalIdCheckDigit,
)
from eligibility_gw.domain.model import Family, Person, ServiceSetting, Status
from eligibility_gw.gateway import Gateway
from eligibility_gw.policy.askers import Asker, AskerKind
from eligibility_gw.ports import CorrectionsOnFile, RegistryRow, StoreUnavailable
from eligibility_gw.service import EligibilityService, member_view
from eligibility_gw.settings import Settings
from tests.conftest import ir_id, with_bad_check_digit

ASKER = Asker("web", AskerKind.PROVIDER, "pharmacy-1")


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Gateway]:
    """The core on a temporary file, holding the ir-tamin demo personas."""
    opened = await open_gateway(settings)
    try:
        rows = [p.row for p in personas(opened.pack, settings.today())]
        await opened.store.registry.upsert_rows(rows)
        yield opened
    finally:
        await opened.close()


def _persona(core: Gateway, key: str) -> Persona:
    return next(p for p in personas(core.pack, core.settings.today()) if p.key == key)


async def _logged(core: Gateway) -> int:
    report = await core.store.answers.verify()
    assert report.ok
    return report.rows


class _BrokenRegistry:
    """A registry whose database fails (locked, gone) or answers too late."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    async def _fail(self) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        raise StoreUnavailable("database is locked")

    async def find_family(self, national_id: str) -> Family | None:
        await self._fail()
        return None

    async def people_by_phone(self, phone: str) -> list[Person]:
        await self._fail()
        return []

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        await self._fail()
        return set()

    async def upsert_rows(self, rows: Sequence[RegistryRow]) -> None:
        await self._fail()

    async def count_people(self) -> int:
        await self._fail()
        return 0

    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        await self._fail()
        return {}

    async def people_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[Person]:
        await self._fail()
        return []


async def test_every_persona_answer_is_logged_before_it_is_returned(core: Gateway) -> None:
    today = core.settings.today()
    people = personas(core.pack, today)
    for persona in people:
        answer = await core.service.ask(persona.row.national_id, ASKER)
        assert answer.status.value == persona.expected_status, persona.key
        if persona.expected_reason:
            assert persona.expected_reason in [r.code for r in answer.reasons], persona.key

        logged = await core.store.answers.find(answer.tracking_code)
        assert logged is not None, persona.key
        assert logged.status is answer.status
        assert logged.reasons == answer.reasons
        assert logged.draft.national_id == persona.row.national_id
        assert logged.draft.service_date == today
        assert (logged.draft.channel, logged.draft.asker_kind, logged.draft.asker_id) == (
            "web",
            "provider",
            "pharmacy-1",
        )
        assert logged.draft.decision.rule_pack == "ir-tamin"
        assert answer.person is not None
        assert logged.draft.member_masked == member_view(answer.person).masked_name
    assert await _logged(core) == len(people)


async def test_cover_end_of_a_son_turning_19_is_today(core: Gateway) -> None:
    son = _persona(core, "rezaei-son-18")
    answer = await core.service.ask(son.row.national_id, ASKER)
    assert answer.status is Status.ELIGIBLE
    assert answer.cover_end == core.settings.today()


async def test_inpatient_overlap_is_undetermined(core: Gateway) -> None:
    mother = _persona(core, "karimi-mother")
    outpatient = await core.service.ask(mother.row.national_id, ASKER)
    inpatient = await core.service.ask(mother.row.national_id, ASKER, None, "inpatient")
    assert outpatient.status is Status.ELIGIBLE
    assert inpatient.status is Status.UNDETERMINED
    assert [r.code for r in inpatient.reasons] == ["OVERLAP_WITH_OTHER_INSURER"]
    logged = await core.store.answers.find(inpatient.tracking_code)
    assert logged is not None
    assert logged.draft.setting is ServiceSetting.INPATIENT


async def test_unknown_person_is_answered_not_found_and_logged(core: Gateway) -> None:
    nobody = ir_id(424242)
    answer = await core.service.ask(nobody, ASKER)
    assert answer.status is Status.NOT_ELIGIBLE
    assert [r.code for r in answer.reasons] == ["NOT_FOUND"]
    assert answer.person is None
    assert len(answer.tracking_code.digits) == 12
    logged = await core.store.answers.find(answer.tracking_code)
    assert logged is not None
    assert logged.status is Status.NOT_ELIGIBLE
    assert logged.draft.national_id == nobody
    assert logged.draft.principal_id is None
    assert await _logged(core) == 1


async def test_typed_forms_of_an_id_are_normalised_before_lookup(core: Gateway) -> None:
    principal = _persona(core, "rezaei").row.national_id  # 1000000011
    persian = principal.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    answer = await core.service.ask(f" {persian[:4]}-{persian[4:]} ", ASKER)
    assert answer.status is Status.ELIGIBLE
    assert answer.record.draft.national_id == principal


async def test_bad_check_digit_is_refused_and_nothing_is_logged(core: Gateway) -> None:
    await core.service.ask(_persona(core, "rezaei").row.national_id, ASKER)
    before = await _logged(core)
    typo = with_bad_check_digit(_persona(core, "rezaei").row.national_id)
    with pytest.raises(NationalIdCheckDigit):
        await core.service.ask(typo, ASKER)
    with pytest.raises(InvalidNationalId):
        await core.service.ask("12345", ASKER)
    with pytest.raises(InvalidNationalId):
        await core.service.ask("", ASKER)
    assert await _logged(core) == before == 1


@pytest.mark.parametrize(
    "shift",
    [
        pytest.param(lambda t: add_months(t, -12) - timedelta(days=1), id="a-day-too-old"),
        pytest.param(lambda t: end_of_month(t) + timedelta(days=1), id="next-month"),
        pytest.param(lambda t: date(t.year - 5, 1, 1), id="years-ago"),
    ],
)
async def test_service_date_outside_the_window_is_refused(
    core: Gateway, shift: Callable[[date], date]
) -> None:
    today = core.settings.today()
    day = shift(today)
    with pytest.raises(DateOutOfRange) as caught:
        await core.service.ask(_persona(core, "rezaei").row.national_id, ASKER, day)
    assert caught.value.params["earliest"] == add_months(today, -12)
    assert caught.value.params["latest"] == end_of_month(today)
    assert await _logged(core) == 0


async def test_window_edges_are_answered(core: Gateway) -> None:
    today = core.settings.today()
    principal = _persona(core, "rezaei").row.national_id
    for day in (add_months(today, -12), end_of_month(today)):
        answer = await core.service.ask(principal, ASKER, day)
        assert answer.record.draft.service_date == day
    assert await _logged(core) == 2


async def test_unknown_setting_is_refused_before_lookup(core: Gateway) -> None:
    with pytest.raises(InvalidSetting):
        await core.service.ask(_persona(core, "rezaei").row.national_id, ASKER, None, "dental")
    assert await _logged(core) == 0


async def test_failing_registry_answers_undetermined_and_logs_it(core: Gateway) -> None:
    service = EligibilityService(
        _BrokenRegistry(), core.store.answers, core.pack, core.settings.today
    )
    principal = _persona(core, "rezaei").row.national_id
    answer = await service.ask(principal, ASKER)
    assert answer.status is Status.UNDETERMINED
    assert [r.code for r in answer.reasons] == ["REGISTRY_UNAVAILABLE"]
    assert answer.person is None
    logged = await core.store.answers.find(answer.tracking_code)
    assert logged is not None
    assert logged.status is Status.UNDETERMINED
    assert [r.code for r in logged.reasons] == ["REGISTRY_UNAVAILABLE"]
    # Input errors are still refused before the (broken) registry is asked.
    with pytest.raises(NationalIdCheckDigit):
        await service.ask(with_bad_check_digit(principal), ASKER)
    assert await _logged(core) == 1


async def test_slow_registry_is_cut_at_the_lookup_deadline(core: Gateway) -> None:
    service = EligibilityService(
        _BrokenRegistry(delay=30.0),
        core.store.answers,
        core.pack,
        core.settings.today,
        lookup_timeout=1.0,
    )
    answer = await asyncio.wait_for(service.ask(ir_id(1), ASKER), timeout=20.0)
    assert answer.status is Status.UNDETERMINED
    assert [r.code for r in answer.reasons] == ["REGISTRY_UNAVAILABLE"]
    assert await core.store.answers.find(answer.tracking_code) is not None


async def test_decide_for_logs_its_answer(core: Gateway) -> None:
    family = await core.store.registry.find_family(_persona(core, "karimi").row.national_id)
    assert family is not None
    father = family.member(_persona(core, "karimi-father").row.national_id)
    assert father is not None
    asker = Asker("ussd", AskerKind.INSURED, "+98912")
    answer = await core.service.decide_for(father, family, asker, core.settings.today())
    assert answer.status is Status.NOT_ELIGIBLE
    assert [r.code for r in answer.reasons] == ["HAS_INCOME"]
    logged = await core.store.answers.find(answer.tracking_code)
    assert logged is not None
    assert logged.draft.principal_id == family.principal.national_id
    assert logged.draft.channel == "ussd"


async def test_concurrent_inquiries_each_get_their_own_logged_code(core: Gateway) -> None:
    ids = [p.row.national_id for p in personas(core.pack, core.settings.today())]
    answers = await asyncio.gather(
        *(core.service.ask(ids[i % len(ids)], ASKER) for i in range(200))
    )
    assert len({a.tracking_code for a in answers}) == 200
    for i, answer in enumerate(answers):
        assert answer.record.draft.national_id == ids[i % len(ids)]
    assert await _logged(core) == 200
