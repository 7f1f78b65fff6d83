"""The eligibility service: normalise, look up, decide, log. One path for every channel.

It answers what the rules say and logs every answer before returning it; who may ask, how
often and what they may be told is the inquiry policy's (``eligibility_gw.inquiries``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

import structlog

from eligibility_gw.domain.answer import AnswerDraft, AnswerRecord
from eligibility_gw.domain.dates import service_window
from eligibility_gw.domain.decide import decide
from eligibility_gw.domain.errors import DateOutOfRange, InvalidDate, InvalidSetting
from eligibility_gw.domain.model import (
    Decision,
    Family,
    MemberView,
    Person,
    Reason,
    ServiceSetting,
    Status,
)
from eligibility_gw.domain.period import first_day_to_decide, lapsed_within
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.evidence import LiveEvidence
from eligibility_gw.metrics import observe_answer
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports import AnswerLog, Registry, StoreUnavailable

log = structlog.get_logger(__name__)

__all__ = ["Answer", "Asker", "EligibilityService", "member_view"]


@dataclass(frozen=True, slots=True)
class Answer:
    """A logged answer, with the facts it was decided on (never shown as they are)."""

    record: AnswerRecord
    decision: Decision
    person: Person | None = None
    family: Family | None = None

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
        """The last covered day ahead (eligible answers)."""
        return self.decision.cover_end


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
        registry: Registry,
        answers: AnswerLog,
        pack: RulePack,
        today: Callable[[], date],
        lookup_timeout: float = 2.0,
        evidence: LiveEvidence | None = None,
    ) -> None:
        self.registry = registry
        self.answers = answers
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

    def check_until(self, day: date, until: date | None) -> date | None:
        """The last day of a service period starting on ``day`` (checked); None for one day.

        Both ends lie inside the window; a period may not end before it starts.
        """
        if until is None:
            return None
        earliest, latest = self.window()
        if not earliest <= until <= latest:
            raise DateOutOfRange(
                f"service dates must lie between {earliest} and {latest}",
                field="service_until",
                earliest=earliest,
                latest=latest,
            )
        if until < day:
            raise InvalidDate("the service period ends before it starts", field="service_until")
        return until

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
        """Look the family up within the deadline; ``StoreUnavailable`` when it cannot."""
        try:
            async with asyncio.timeout(self.lookup_timeout):
                return await self.registry.find_family(national_id)
        except TimeoutError as exc:
            raise StoreUnavailable("lookup deadline") from exc

    async def ask(
        self,
        raw_national_id: str,
        asker: Asker,
        service_date: date | None = None,
        setting: str | ServiceSetting = ServiceSetting.OUTPATIENT,
        until: date | None = None,
    ) -> Answer:
        """Check the input, then answer: input errors raise before lookup.

        No policy here (who may ask, how often, what they may read): channels ask through
        ``eligibility_gw.inquiries``; this is for the core itself and its tests.
        """
        national_id = self.normalise_id(raw_national_id)
        day = self.check_date(service_date)
        last = self.check_until(day, until)
        return await self.answer(national_id, day, self.check_setting(setting), asker, last)

    async def answer(
        self,
        national_id: str,
        day: date,
        setting: ServiceSetting,
        asker: Asker,
        until: date | None = None,
    ) -> Answer:
        """Look up, decide and log one answer about a normalised id on a checked date (or
        the checked period from ``day`` to ``until``)."""
        started = time.perf_counter()
        try:
            family = await self.find_family(national_id)
        except StoreUnavailable as exc:
            log.warning("registry_unavailable", error=exc.problem)
            decision = self._bare(Status.UNDETERMINED, "REGISTRY_UNAVAILABLE")
            return await self._log(
                national_id, day, setting, asker, decision, None, None, started, until
            )
        person = family.member(national_id) if family else None
        if family is None or person is None:
            decision = self._bare(Status.NOT_ELIGIBLE, "NOT_FOUND")
            return await self._log(
                national_id, day, setting, asker, decision, None, None, started, until
            )
        return await self.decide_for(person, family, asker, day, setting, started, until)

    async def decide_for(
        self,
        person: Person,
        family: Family,
        asker: Asker,
        day: date,
        setting: ServiceSetting = ServiceSetting.OUTPATIENT,
        started: float | None = None,
        until: date | None = None,
    ) -> Answer:
        """Decide and log an answer about a member already looked up."""
        started = time.perf_counter() if started is None else started
        decision = await self.preview(person, family, day, setting, until)
        return await self._log(
            person.national_id, day, setting, asker, decision, person, family, started, until
        )

    async def preview(
        self,
        person: Person,
        family: Family,
        day: date,
        setting: ServiceSetting = ServiceSetting.OUTPATIENT,
        until: date | None = None,
    ) -> Decision:
        """What the rules say, live evidence included, without logging (staff look-ups).

        With ``until``, for the period from ``day`` to ``until``: covered only when covered
        on every day of it. The covered run that holds ``day`` ends on its cover end date;
        when that comes before ``until``, the next day is decided too (with the evidence of
        that day: a son turning 19 needs the student registry only from his birthday on),
        and its answer, led by ``COVER_ENDS_IN_PERIOD``, is the period's.
        """
        first = await self._decide_on(person, family, day, setting)
        if until is None:
            return first
        covered = first
        # Each step moves past a covered run, so the walk ends within the period.
        while (gap := first_day_to_decide(covered, until)) is not None:
            following = await self._decide_on(person, family, gap, setting)
            if following.status is not Status.ELIGIBLE:
                return lapsed_within(gap - timedelta(days=1), following)
            # Live evidence of the later day extended the run (a certificate the registry
            # knows and the file did not): the period is covered so far, go on from there.
            covered = following
        if covered is first:
            return first
        return replace(first, cover_end=covered.cover_end)

    async def _decide_on(
        self, person: Person, family: Family, day: date, setting: ServiceSetting
    ) -> Decision:
        live = None if self.evidence is None else await self.evidence.gather(person, family, day)
        return decide(person, family, day, setting, self.pack, live)

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
        started: float,
        until: date | None = None,
    ) -> Answer:
        draft = AnswerDraft(
            channel=asker.channel,
            asker_kind=asker.kind.value,
            asker_id=asker.ident,
            national_id=national_id,
            service_date=day,
            setting=setting,
            decision=decision,
            member_relationship=person.relationship if person else None,
            member_masked=member_view(person).masked_name if person else None,
            principal_id=family.principal.national_id if family else None,
            service_until=until,
        )
        record = await self.answers.append(draft)
        log.info(
            "answered",
            status=decision.status.value,
            reasons=[r.code for r in decision.reasons],
            tracking_code=record.tracking_code.digits,
            asker_kind=asker.kind.value,
        )
        observe_answer(asker.channel, decision.status.value, time.perf_counter() - started)
        return Answer(record, decision, person, family)

    async def recorded(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer behind a tracking code."""
        return await self.answers.find(code)
