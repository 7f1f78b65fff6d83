"""The eligibility service: normalise, look up, decide, log, answer. One path for every channel."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import structlog

from eligibility_gw.domain.answer import AnswerDraft, AnswerRecord
from eligibility_gw.domain.dates import service_window
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.errors import DateOutOfRange, InvalidSetting
from eligibility_gw.domain.model import (
    Decision,
    Family,
    MemberView,
    Person,
    Reason,
    ServiceSetting,
    Status,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.evidence import LiveEvidence
from eligibility_gw.metrics import observe_answer
from eligibility_gw.ports import Store

log = structlog.get_logger(__name__)

#: Errors a store raises when it cannot answer; the decision becomes REGISTRY_UNAVAILABLE.
STORE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asks, through which channel: recorded with every answer."""

    channel: str
    kind: str  # provider | insured | operator | staff | public
    ident: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """A logged answer and what the asker may be shown about the member."""

    record: AnswerRecord
    member: MemberView | None

    @property
    def tracking_code(self) -> TrackingCode:
        """The code a claim can quote."""
        return self.record.tracking_code

    @property
    def status(self) -> Status:
        """Eligible, not eligible or undetermined."""
        return self.record.status

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why, as codes."""
        return self.record.reasons

    @property
    def cover_end(self) -> date | None:
        """The last covered day (for the insured person and staff only)."""
        return self.record.draft.decision.cover_end

    @property
    def service_date(self) -> date:
        """The date the answer speaks about."""
        return self.record.draft.service_date


def member_view(person: Person) -> MemberView:
    """The member as answers show them."""
    return MemberView(
        given_name=person.given_name,
        family_name=person.family_name,
        relationship=person.relationship,
        national_id=person.national_id,
        sex=person.sex,
    )


class EligibilityService:
    """Answer inquiries under one rule pack, logging every answer before returning it."""

    def __init__(
        self,
        store: Store,
        pack: RulePack,
        today: Callable[[], date],
        lookup_timeout: float = 2.0,
        evidence: LiveEvidence | None = None,
    ) -> None:
        self.store = store
        self.pack = pack
        self.today = today
        self.lookup_timeout = lookup_timeout
        #: Live registries; None (no ``[evidence.*]``): documents on file decide, at no cost.
        self.evidence = evidence

    def normalise_id(self, raw: str) -> str:
        """The canonical national id, or ``InvalidNationalId`` before any lookup."""
        return self.pack.national_id.normalise(raw)

    def window(self) -> tuple[date, date]:
        """The first and last service dates answered today."""
        return service_window(self.today(), self.pack.months_back)

    def check_date(self, service_date: date | None) -> date:
        """The service date to use; refuse one outside the window."""
        day = service_date or self.today()
        earliest, latest = self.window()
        if not earliest <= day <= latest:
            raise DateOutOfRange(
                f"service date must lie between {earliest} and {latest}",
                field="service_date",
                earliest=earliest,
                latest=latest,
            )
        return day

    def check_setting(self, setting: str | ServiceSetting) -> ServiceSetting:
        """The service setting, if the rule pack knows it."""
        try:
            value = ServiceSetting(setting)
        except ValueError:
            value = None
        if value is None or value not in self.pack.settings:
            known = ", ".join(s.value for s in self.pack.settings)
            raise InvalidSetting(f"setting must be one of {known}", field="setting", settings=known)
        return value

    async def find_family(self, national_id: str) -> Family | None:
        """Look the family up within the deadline."""
        async with asyncio.timeout(self.lookup_timeout):
            return await self.store.registry.find_family(national_id)

    async def ask(
        self,
        raw_national_id: str,
        asker: Asker,
        service_date: date | None = None,
        setting: str | ServiceSetting = ServiceSetting.OUTPATIENT,
    ) -> Answer:
        """Answer one inquiry: input errors raise before lookup; every answer is logged."""
        started = time.perf_counter()
        national_id = self.normalise_id(raw_national_id)
        day = self.check_date(service_date)
        chosen = self.check_setting(setting)
        answer = await self._answer(national_id, day, chosen, asker)
        observe_answer(asker.channel, answer.status.value, time.perf_counter() - started)
        return answer

    async def _answer(
        self, national_id: str, day: date, chosen: ServiceSetting, asker: Asker
    ) -> Answer:
        try:
            family = await self.find_family(national_id)
        except STORE_ERRORS as exc:
            log.warning("registry_unavailable", error=type(exc).__name__)
            decision = self._bare(Status.UNDETERMINED, "REGISTRY_UNAVAILABLE")
            return await self._log(national_id, day, chosen, asker, decision, None, None)
        person = family.member(national_id) if family else None
        if family is None or person is None:
            decision = self._bare(Status.NOT_ELIGIBLE, "NOT_FOUND")
            return await self._log(national_id, day, chosen, asker, decision, None, None)
        live = None if self.evidence is None else await self.evidence.gather(person, family, day)
        decision = decide(person, family, day, chosen, self.pack, live)
        return await self._log(national_id, day, chosen, asker, decision, person, family)

    async def decide_for(
        self, person: Person, family: Family, asker: Asker, service_date: date | None = None
    ) -> Answer:
        """Answer about a member already looked up (family lists, menus)."""
        started = time.perf_counter()
        day = self.check_date(service_date)
        live = None if self.evidence is None else await self.evidence.gather(person, family, day)
        decision = decide(person, family, day, ServiceSetting.OUTPATIENT, self.pack, live)
        answer = await self._log(
            person.national_id, day, ServiceSetting.OUTPATIENT, asker, decision, person, family
        )
        observe_answer(asker.channel, answer.status.value, time.perf_counter() - started)
        return answer

    def _bare(self, status: Status, code: str) -> Decision:
        return Decision(status, (Reason(code),), None, self.pack.name, self.pack.version)

    async def _log(
        self,
        national_id: str,
        day: date,
        setting: ServiceSetting,
        asker: Asker,
        decision: Decision,
        person: Person | None,
        family: Family | None,
    ) -> Answer:
        view = member_view(person) if person else None
        draft = AnswerDraft(
            channel=asker.channel,
            asker_kind=asker.kind,
            asker_id=asker.ident,
            national_id=national_id,
            service_date=day,
            setting=setting,
            decision=decision,
            member_relationship=person.relationship if person else None,
            member_masked=view.masked_name if view else None,
            principal_id=family.principal.national_id if family else None,
        )
        record = await self.store.answers.append(draft)
        log.info(
            "answered",
            status=decision.status.value,
            reasons=[r.code for r in decision.reasons],
            tracking_code=record.tracking_code.digits,
            asker_kind=asker.kind,
        )
        return Answer(record, view)

    async def recorded(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer behind a tracking code."""
        return await self.store.answers.find(code)
