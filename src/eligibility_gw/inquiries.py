"""The one door every channel asks through: the inquiry policy applied around the service.

A channel names the asker (a provider it authenticated, a phone it verified, a staff
member, the operator) and what was asked; this module decides whether that asker may have
the answer, counts it against the quotas, answers through the eligibility service (which
logs it), raises the check notice, and returns only what the asker may read: a
``Disclosure``. Refusals are ``EligibilityError``\\ s the channel words in its language.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog

from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.errors import (
    EligibilityError,
    NotPermitted,
    ProviderInactive,
    QuotaExceeded,
    Unavailable,
)
from eligibility_gw.domain.model import Decision, Family, Person, ServiceSetting
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.identity import PhoneIdentity, may_learn_about, visible_members
from eligibility_gw.keyvalue import RateLimiter
from eligibility_gw.notices import NOTICE_PURPOSE, CheckNotices
from eligibility_gw.policy.askers import Asker, AskerKind
from eligibility_gw.policy.disclosure import Disclosure, View, disclose, view_of
from eligibility_gw.policy.quotas import (
    Quota,
    QuotaScope,
    QuotaSettings,
    asker_quota,
    quotas_for,
)
from eligibility_gw.policy.standing import inactive, standing
from eligibility_gw.ports import AnswerLog, Providers, Registry, StoreUnavailable
from eligibility_gw.ports.messages import SmsRecords, UnaskedCheckReport
from eligibility_gw.providers import authenticate
from eligibility_gw.service import Answer, EligibilityService

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Member:
    """A family member an insured phone may ask about, as menus list them."""

    national_id: str
    given_name: str
    relationship: str
    #: The phone is on file for this member themself (not only as the principal's).
    own: bool


@dataclass(frozen=True, slots=True)
class MemberStatus:
    """A member with what the rules say today (staff view, not logged)."""

    person: Person
    decision: Decision


@dataclass(frozen=True, slots=True)
class ReportedCheck:
    """A NO to a check notice, with the check it refers to (supervisors' view)."""

    report: UnaskedCheckReport
    #: The check the notice told of; None when it is no longer in the log.
    check: AnswerRecord | None


class Inquiries:
    """Answer inquiries under the policy: the only way channels reach the service."""

    def __init__(
        self,
        service: EligibilityService,
        registry: Registry,
        answers: AnswerLog,
        providers: Providers,
        sms: SmsRecords,
        limiter: RateLimiter,
        quotas: QuotaSettings,
        notices: CheckNotices,
        notice_reply_days: int,
    ) -> None:
        self.service = service
        self._registry = registry
        self._answers = answers
        self._providers = providers
        self._sms = sms
        self._limiter = limiter
        self._quotas = quotas
        self.notices = notices
        self._reply_days = notice_reply_days

    # -- what channels may read about the scheme -------------------------------------------

    @property
    def pack(self) -> RulePack:
        """The rule pack answers are decided under."""
        return self.service.pack

    def today(self) -> date:
        """Today in the deployment's time zone."""
        return self.service.today()

    def window(self) -> tuple[date, date]:
        """The first and last service dates answered today."""
        return self.service.window()

    def normalise_id(self, raw: str) -> str:
        """The canonical national id; ``InvalidNationalId`` for one that cannot be."""
        return self.service.normalise_id(raw)

    # -- who asks ----------------------------------------------------------------------------

    def standing(self, provider: Provider | None) -> Provider | None:
        """``provider`` as it stands today: inactive when its registry data is stale."""
        if provider is None:
            return None
        return standing(provider, self.pack.providers.stale_after_months, self.today())

    def inactive(self, provider: Provider) -> ProviderInactive:
        """Why ``provider`` (as it stands) is refused, and how to become active again."""
        return inactive(provider, self.pack.providers.stale_after_months)

    async def provider_by_key(self, key: str) -> Provider | None:
        """The provider owning an API key (active or not, as it stands today), or None."""
        return self.standing(await authenticate(self._providers, key))

    async def provider(self, provider_id: str) -> Provider | None:
        """A provider by id, as it stands today (to see whether it is still active)."""
        return self.standing(await self._providers.get(provider_id))

    async def identify(self, phone: str) -> PhoneIdentity:
        """What the registry knows of a (verified, E.164) phone."""
        provider = self.standing(await self._providers.by_phone(phone))
        people = await self._registry.people_by_phone(phone)
        return PhoneIdentity(phone, provider, tuple(people))

    async def members(self, identity: PhoneIdentity) -> list[tuple[Member, Person, Family]]:
        """Everyone an insured phone may ask about, family by family (nothing is logged)."""
        own = {p.national_id for p in identity.people}
        seen: set[str] = set()
        found: list[tuple[Member, Person, Family]] = []
        for person in identity.people:
            family = await self.service.find_family(person.national_id)
            if family is None or family.principal.national_id in seen:
                continue
            seen.add(family.principal.national_id)
            for m in visible_members(identity, family):
                entry = Member(m.national_id, m.given_name, m.relationship, m.national_id in own)
                found.append((entry, m, family))
        return found

    # -- asking ------------------------------------------------------------------------------

    async def ask(
        self,
        asker: Asker,
        raw_national_id: str,
        service_date: date | None = None,
        setting: str | ServiceSetting = ServiceSetting.OUTPATIENT,
        until: date | None = None,
    ) -> Disclosure:
        """Answer one inquiry for ``asker``: refusals raise, every answer is logged.

        Input errors (``InvalidInput``) and refusals (``Refused``: a deactivated provider, a
        person the asker may not learn about, a quota) raise before anything is looked up or
        logged; a registry that cannot answer gives an *undetermined* answer; an answer that
        cannot be logged raises ``StoreUnavailable`` (nothing goes out unlogged).

        ``until`` asks about the service period from ``service_date`` to ``until`` (both
        inside the window): covered only when covered on every day of it.
        """
        self._refuse_inactive(asker)
        return await self._ask_counted(asker, raw_national_id, service_date, setting, False, until)

    def _refuse_inactive(self, asker: Asker) -> None:
        """Refuse a provider that is deactivated, or whose registry data is stale today."""
        if asker.kind is not AskerKind.PROVIDER:
            return
        provider = self.standing(asker.provider)
        if provider is None:
            raise ProviderInactive(f"provider {asker.ident} is deactivated")
        if not provider.active:
            raise self.inactive(provider)

    async def _ask_counted(
        self,
        asker: Asker,
        raw_national_id: str,
        service_date: date | None,
        setting: str | ServiceSetting,
        counted: bool,
        until: date | None = None,
    ) -> Disclosure:
        """``ask`` past the provider's standing; ``counted``: the asker's budget was hit."""
        own = None if counted else asker_quota(asker, self._quotas)
        if own is not None:
            await self._count(own)
        national_id = self.service.normalise_id(raw_national_id)
        day = self.service.check_date(service_date)
        last = self.service.check_until(day, until)
        chosen = self.service.check_setting(setting)
        if asker.kind is AskerKind.INSURED:
            person, family = await self._visible(asker, national_id)
            answer = await self.service.decide_for(person, family, asker, day, chosen, until=last)
            return disclose(answer.record, View.INSURED, person, answer.decision)
        for quota in quotas_for(asker, national_id, self._quotas):
            if quota.scope != QuotaScope.ASKER:
                await self._count(quota)
        answer = await self.service.answer(national_id, day, chosen, asker, last)
        await self._notify(asker, answer)
        return disclose(answer.record, view_of(asker.kind), answer.person, answer.decision)

    async def ask_many(
        self,
        asker: Asker,
        items: Sequence[tuple[str, date | None, str | ServiceSetting]],
        concurrency: int = 64,
    ) -> list[Disclosure | EligibilityError]:
        """Answer a batch for a provider: one request against the asker's own budget, each
        item against the per-person quotas; each item's answer, or why it was refused.

        ``StoreUnavailable`` for an item that cannot be logged is that item's outcome too.
        """
        self._refuse_inactive(asker)
        own = asker_quota(asker, self._quotas)
        if own is not None:
            await self._count(own)
        gate = asyncio.Semaphore(concurrency)

        async def one(
            raw: str, day: date | None, setting: str | ServiceSetting
        ) -> Disclosure | EligibilityError:
            try:
                async with gate:
                    return await self._ask_counted(asker, raw, day, setting, counted=True)
            except EligibilityError as exc:
                return exc
            except StoreUnavailable as exc:
                return Unavailable(exc.problem)

        return list(await asyncio.gather(*(one(*item) for item in items)))

    async def ask_family(self, asker: Asker, identity: PhoneIdentity) -> list[Disclosure]:
        """Answer about everyone an insured phone may ask about, each answer logged.

        Past the phone's budget the list stops: the members answered so far are returned
        (each answer given is shown, none is lost), and ``QuotaExceeded`` only when not one
        could be answered.
        """
        answered: list[Disclosure] = []
        for _member, person, family in await self.members(identity):
            try:
                answered.append(await self.ask_member(asker, person, family))
            except QuotaExceeded:
                if not answered:
                    raise
                log.warning("family_list_cut", answered=len(answered))
                break
        return answered

    async def ask_member(
        self, asker: Asker, person: Person, family: Family, service_date: date | None = None
    ) -> Disclosure:
        """Answer about a member from ``members`` (a menu's choice), within the policy."""
        if asker.kind is not AskerKind.INSURED or not may_learn_about(asker.ident, family, person):
            raise NotPermitted("not on file for this phone")
        own = asker_quota(asker, self._quotas)
        if own is not None:
            await self._count(own)
        day = self.service.check_date(service_date)
        answer = await self.service.decide_for(person, family, asker, day)
        return disclose(answer.record, View.INSURED, person, answer.decision)

    async def recorded(self, asker: Asker, code: TrackingCode) -> Disclosure | None:
        """An answer given earlier, only to whom it was given (staff and the operator: any).

        None whether the code exists or not: codes are not to be probed.
        """
        own = asker_quota(asker, self._quotas)
        if own is not None:
            await self._count(own)
        record = await self.service.recorded(code)
        if record is None or not _received_by(record, asker):
            return None
        return disclose(record, view_of(asker.kind))

    async def provider_history(
        self,
        provider: Provider,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Disclosure]:
        """A provider's own answers, newest first (the provider's view)."""
        records = await self._answers.by_asker(
            AskerKind.PROVIDER.value, provider.provider_id, since, until, limit, offset
        )
        return [disclose(r, View.PROVIDER) for r in records]

    # -- staff -------------------------------------------------------------------------------

    async def family_of(self, asker: Asker, national_id: str) -> Family | None:
        """The family of a person (staff and the operator only)."""
        _staff_only(asker)
        return await self.service.find_family(national_id)

    async def preview(
        self, asker: Asker, family: Family, day: date | None = None
    ) -> list[MemberStatus]:
        """Every member's status on ``day`` as the service would answer it (live evidence
        included), for staff; nothing is logged and no tracking code is drawn."""
        _staff_only(asker)
        when = day or self.service.today()
        return [
            MemberStatus(person, await self.service.preview(person, family, when))
            for person in family.members
        ]

    async def history(self, asker: Asker, national_id: str, limit: int = 50) -> list[Disclosure]:
        """The latest answers about one person, newest first (staff view)."""
        _staff_only(asker)
        return [disclose(r, View.STAFF) for r in await self._answers.history(national_id, limit)]

    # -- replies to check notices ------------------------------------------------------------

    async def report_unasked_check(
        self, phone: str, inbound_id: str, received_at: datetime | None = None
    ) -> UnaskedCheckReport | None:
        """Record a NO to the latest check notice sent to ``phone`` within the reply days.

        Never rate-limited: it is the person's answer to a message of ours. None when no
        notice was sent to that phone lately (nothing to report); the same report again for
        a redelivered reply.
        """
        now = received_at or datetime.now(UTC)
        since = now - timedelta(days=self._reply_days)
        notice = await self._sms.latest_outbound(phone, NOTICE_PURPOSE, since)
        if notice is None:
            return None
        report = UnaskedCheckReport(phone, notice.reference, inbound_id, now)
        if await self._sms.add_report(report):
            log.warning("unasked_check_reported", tracking_code=notice.reference)
        return report

    async def reported_checks(self, asker: Asker, limit: int = 100) -> list[ReportedCheck]:
        """The latest reports of checks nobody asked for, with the checks (staff only)."""
        _staff_only(asker)
        found: list[ReportedCheck] = []
        for report in await self._sms.reports(limit):
            check = None
            if report.tracking_code:
                check = await self.service.recorded(TrackingCode(report.tracking_code))
            found.append(ReportedCheck(report, check))
        return found

    async def reported_check(self, asker: Asker, inbound_id: str) -> ReportedCheck | None:
        """One report, by the inbound message that made it, with its check (staff only)."""
        _staff_only(asker)
        report = await self._sms.report(inbound_id)
        if report is None:
            return None
        check = None
        if report.tracking_code:
            check = await self.service.recorded(TrackingCode(report.tracking_code))
        return ReportedCheck(report, check)

    async def count_reported_checks(self, asker: Asker, since: datetime) -> int:
        """How many checks were reported as not asked for since ``since`` (staff only)."""
        _staff_only(asker)
        return await self._sms.count_reports(since)

    # -- inside ------------------------------------------------------------------------------

    async def _count(self, quota: Quota) -> None:
        hit = await self._limiter.hit(
            f"q:{quota.scope}", "\x1f".join(quota.subject), quota.limit, quota.window
        )
        if not hit.allowed:
            log.warning("quota_exceeded", scope=quota.scope, count=hit.count)
            raise QuotaExceeded(
                f"too many answers ({quota.scope})",
                scope=quota.scope,
                retry_after=hit.retry_after,
                limit=quota.limit,
            )

    async def _visible(self, asker: Asker, national_id: str) -> tuple[Person, Family]:
        """The person and family an insured phone asks about; ``NotPermitted`` otherwise."""
        family = await self.service.find_family(national_id)
        person = family.member(national_id) if family else None
        if family is None or person is None or not may_learn_about(asker.ident, family, person):
            raise NotPermitted("not on file for this phone")
        return person, family

    async def _notify(self, asker: Asker, answer: Answer) -> None:
        if asker.provider is None or answer.person is None or answer.family is None:
            return
        try:
            await self.notices.provider_checked(
                asker.provider, answer.person, answer.family, answer.record
            )
        except StoreUnavailable as exc:  # the answer is given; a notice lost is logged
            log.warning("check_notice_skipped", error=exc.problem)


def _received_by(record: AnswerRecord, asker: Asker) -> bool:
    """Say whether ``asker`` is who received ``record`` (staff and the operator see all)."""
    if asker.kind in (AskerKind.STAFF, AskerKind.OPERATOR):
        return True
    draft = record.draft
    if asker.kind is AskerKind.PROVIDER:
        provider = asker.provider
        return (
            draft.asker_kind == AskerKind.PROVIDER
            and provider is not None
            and provider.active
            and draft.asker_id == provider.provider_id
        )
    return draft.asker_kind == AskerKind.INSURED and draft.asker_id == asker.ident


def _staff_only(asker: Asker) -> None:
    if asker.kind not in (AskerKind.STAFF, AskerKind.OPERATOR):
        raise NotPermitted("staff only")
