"""Reminders before cover ends: the run over the registry, and the words of each reminder.

``eligibility-gw reminders run`` (and the daily task inside ``serve``) walks the registry
family by family, finds with ``domain.reminders`` whose cover ends within the pack's
reminder days and why, and tells the member's phone (the principal's when the member has
none): by Telegram when a chat is bound to that phone, by SMS otherwise. Each reminder is
claimed in the store before it is sent, under a key (person, last covered day, milestone)
no run can claim twice: a run repeated the same day, or two processes at once, send
nothing twice. Nothing is sent within the quiet hours, nor past the per-run limit; what is
left goes with the next run.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog

from eligibility_gw.domain.model import Family, ServiceSetting
from eligibility_gw.domain.reminders import (
    CoverEnding,
    DueReminder,
    EndingRule,
    due,
    due_reminders,
    ending_of,
    horizon,
)
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports.chats import TelegramBindings
from eligibility_gw.ports.chatsend import ChatSender, ChatSendError
from eligibility_gw.ports.outbound import SmsSender, SmsSendError
from eligibility_gw.ports.reminders import (
    ReminderClaim,
    ReminderKey,
    ReminderRecords,
    ReminderStatus,
)
from eligibility_gw.service import EligibilityService
from eligibility_gw.settings import ReminderSettings
from eligibility_gw.textbudget import fit
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: What reminder SMS are recorded as among outbound messages.
REMINDER_PURPOSE = "cover_reminder"


class Route(enum.StrEnum):
    """How a reminder reaches its phone."""

    TELEGRAM = "telegram"
    SMS = "sms"


# --- the words ---------------------------------------------------------------------------


def why_text(w: Wording, ending: CoverEnding) -> str:
    """Why cover stops, in a few words."""
    document = w.document(ending.document) if ending.document else ""
    if ending.rule is EndingRule.AGE and ending.age_then is not None:
        age = ending.age_then
        return w.n("reminder.why.age", age, age=w.digits(str(age)), document=document)
    if ending.rule is EndingRule.DOCUMENT_ENDS:
        return w.t("reminder.why.document_ends", document=document, date=w.date(ending.last_day))
    if ending.rule is EndingRule.COVER_PERIOD:
        return w.t("reminder.why.cover_period", date=w.date(ending.last_day))
    if ending.rule is EndingRule.WITH_PRINCIPAL:
        return w.t("reminder.why.with_principal")
    return w.reason(ending.reason, short=True)


def action_texts(
    w: Wording, ending: CoverEnding, route: Route, uploads: bool, hotline: str
) -> list[str]:
    """What to do, longest first: the document and how to send it, or whom to ask."""
    if ending.document is None:
        return [w.t("reminder.action.ask", hotline=w.digits(hotline))]
    document = w.document(ending.document)
    if not uploads:
        return [w.t("reminder.action.branch", document=document)]
    found = [
        w.t(f"reminder.action.{route.value}", document=document),
        w.t(f"reminder.action.{route.value}.short", document=document),
    ]
    if ending.rule in (EndingRule.AGE, EndingRule.DOCUMENT_ENDS):
        # The why names the document already: "it" saves a Persian SMS part.
        found.append(w.t(f"reminder.action.{route.value}.it"))
    return found


def reminder_text(
    w: Wording, reminder: DueReminder, route: Route, uploads: bool, hotline: str
) -> str:
    """The reminder: who, from when, why, the document that prevents it and how to send it.

    By SMS, the variant sent as the fewest parts (one where it fits); by Telegram, the
    fullest.
    """
    ending = reminder.ending
    member = ending.member
    when = w.date(ending.first_uncovered)
    why = why_text(w, ending)
    names = [f"{member.given_name} {member.family_name}", member.given_name]
    variants = [
        w.t("reminder.text", head=w.t("reminder.head", name=name, date=when), why=why, action=a)
        for name in names
        for a in action_texts(w, ending, route, uploads, hotline)
    ]
    if route is Route.TELEGRAM:
        return variants[0]
    return fit(variants)


# --- quiet hours ---------------------------------------------------------------------------


def in_quiet_hours(moment: time, quiet: tuple[time, time] | None) -> bool:
    """Say whether a local time of day falls within the quiet hours (the end excluded).

    ``21:00-08:00`` runs across midnight; ``13:00-14:00`` within a day; equal ends: none.
    """
    if quiet is None:
        return False
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """A reminder a run sends (or, dry, would send), for the operator's listing."""

    reminder: DueReminder
    route: Route
    language: str
    text: str


@dataclass
class RunSummary:
    """What one run did."""

    day: date
    dry_run: bool = False
    families: int = 0
    sent: int = 0
    #: Claimed already (sent by an earlier run or another process), or nobody to tell.
    skipped: int = 0
    failed: int = 0
    #: Due but left for the next run: the quiet hours began, or the per-run limit was hit.
    deferred: int = 0
    #: Failed because no SMS sender is configured (and no chat is bound to the phone).
    unsendable: int = 0
    stopped: str | None = None
    planned: list[Planned] = field(default_factory=list)

    def line(self) -> str:
        """One line for the operator: sent / skipped / failed, and why a run stopped."""
        verb = "would send" if self.dry_run else "sent"
        text = (
            f"reminders for {self.day.isoformat()}: {self.families} families read, "
            f"{len(self.planned) if self.dry_run else self.sent} {verb}, "
            f"{self.skipped} skipped, {self.failed} failed"
        )
        if self.unsendable:
            text += f" ({self.unsendable} for want of an SMS sender: see [twilio])"
        if self.stopped == "quiet_hours":
            text += "; stopped: quiet hours (the rest goes with the next run)"
        elif self.stopped == "limit":
            text += "; stopped: the per-run limit (the rest goes with the next run)"
        return text


Progress = Callable[[int, int], None]
Clock = Callable[[], datetime]


class Reminders:
    """Find whose cover ends soon and tell them, once per milestone."""

    def __init__(
        self,
        settings: ReminderSettings,
        pack: RulePack,
        records: ReminderRecords,
        bindings: TelegramBindings,
        service: EligibilityService,
        sms: SmsSender | None,
        chats: ChatSender | None,
        tz: ZoneInfo,
        language: str,
        *,
        sms_uploads: bool = False,
        telegram_uploads: bool = False,
        hotline: str = "1420",
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.pack = pack
        self._records = records
        self._bindings = bindings
        self._service = service
        self._sms = sms
        self._chats = chats
        self.tz = tz
        self._language = language
        self._uploads = {Route.SMS: sms_uploads, Route.TELEGRAM: telegram_uploads}
        self._hotline = hotline
        self._clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The present instant, in the deployment's time zone."""
        return self._clock().astimezone(self.tz)

    def quiet(self, moment: datetime | None = None) -> bool:
        """Say whether ``moment`` (now) lies within the quiet hours, where the gateway is."""
        local = (moment or self.now()).astimezone(self.tz)
        return in_quiet_hours(local.time(), self.settings.quiet)

    async def run(
        self,
        day: date | None = None,
        *,
        dry_run: bool = False,
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> RunSummary:
        """Send today's reminders (those of ``day``); a dry run sends and claims nothing.

        Within the quiet hours nothing is sent: the run stops as soon as they begin.
        """
        today = day or self.now().date()
        summary = RunSummary(today, dry_run)
        cap = min(limit or self.settings.per_run, self.settings.per_run)
        if not self.pack.reminder_days:
            log.info("reminders_off", rule_pack=self.pack.label)
            return summary
        if not dry_run and self.quiet():
            summary.stopped = "quiet_hours"
            log.info("reminders_quiet_hours", quiet_hours=self.settings.quiet_hours)
            return summary
        reach = horizon(today, self.pack)
        assert reach is not None  # the pack has reminder days (checked above)
        heads = await self._records.heads_ending(reach)
        total = len(heads)
        batch = self.settings.scan_batch
        attempts = 0
        for start in range(0, total, batch):
            for family in await self._records.families_of(heads[start : start + batch]):
                summary.families += 1
                for reminder in await self._due(family, today):
                    if not dry_run and self.quiet():
                        summary.stopped = "quiet_hours"
                    elif attempts >= cap:
                        summary.stopped = "limit"
                    if summary.stopped is not None:
                        summary.deferred += 1
                        continue
                    if await self._one(reminder, family, summary):
                        attempts += 1
            if progress is not None:
                progress(min(start + batch, total), total)
            if summary.stopped is not None:
                break
        log.info(
            "reminders_run",
            day=today.isoformat(),
            dry_run=dry_run,
            families=summary.families,
            sent=summary.sent,
            skipped=summary.skipped,
            failed=summary.failed,
            deferred=summary.deferred,
            unsendable=summary.unsendable,
            stopped=summary.stopped,
        )
        if summary.unsendable:
            log.warning("reminders_unsendable", count=summary.unsendable, reason="no SMS sender")
        return summary

    async def _due(self, family: Family, today: date) -> list[DueReminder]:
        """The family's reminders; with live registries, confirmed by them (a certificate the
        student registry knows and the file does not ends nobody's cover)."""
        found = due_reminders(family, today, self.pack)
        if self._service.evidence is None or not found:
            return found
        confirmed = []
        for reminder in found:
            member = reminder.ending.member
            now = await self._service.preview(member, family, today)
            if now.cover_end is None:
                continue
            after = await self._service.preview(
                member, family, now.cover_end + timedelta(days=1), ServiceSetting.OUTPATIENT
            )
            ending = ending_of(member, family, now, after)
            again = due(ending, family, today, self.pack) if ending else None
            if again is not None:
                confirmed.append(again)
        return confirmed

    async def _route(self, phone: str) -> tuple[Route, str, int | None]:
        """How to reach ``phone``: its bound chat (in the chat's language), else SMS."""
        if self._chats is not None:
            bound = await self._bindings.by_phone(phone)
            if bound:
                return Route.TELEGRAM, bound[0].language, bound[0].chat_id
        return Route.SMS, self._language, None

    async def _one(self, reminder: DueReminder, family: Family, summary: RunSummary) -> bool:
        """Send (or, dry, list) one reminder; say whether it took one of the run's sends."""
        kind, language, chat_id = await self._route(reminder.phone)
        w = Wording(language)
        text = reminder_text(w, reminder, kind, self._uploads[kind], self._hotline)
        planned = Planned(reminder, kind, w.language, text)
        if summary.dry_run:
            summary.planned.append(planned)
            return True
        if kind is Route.SMS and (self._sms is None or not self._sms.ready):
            summary.failed += 1  # not claimed: a run with a sender configured sends it
            summary.unsendable += 1
            return False
        ending = reminder.ending
        key = ReminderKey(reminder.national_id, ending.last_day, reminder.milestone)
        claim = ReminderClaim(
            key,
            ending.reason.code,
            ending.rule.value,
            kind.value,
            w.language,
            summary.day,
            datetime.now(UTC),
        )
        if not await self._records.claim(claim):
            summary.skipped += 1
            return False
        try:
            if kind is Route.TELEGRAM and chat_id is not None and self._chats is not None:
                reference = await self._chats.send(chat_id, text)
            elif self._sms is not None:
                sent = await self._sms.send(reminder.phone, text, REMINDER_PURPOSE, key_text(key))
                reference = sent.message_sid
            else:  # the route said otherwise; kept for the type checker
                raise SmsSendError("no sender")
        except (ChatSendError, SmsSendError) as exc:
            await self._records.finish(
                key, ReminderStatus.FAILED, datetime.now(UTC), problem=type(exc).__name__
            )
            summary.failed += 1
            log.warning("reminder_failed", route=kind.value, error=type(exc).__name__)
            return True
        await self._records.finish(key, ReminderStatus.SENT, datetime.now(UTC), reference)
        summary.sent += 1
        summary.planned.append(planned)
        log.info(
            "reminder_sent",
            route=kind.value,
            milestone=reminder.milestone,
            rule=ending.rule.value,
            reference=reference,
        )
        return True


def key_text(key: ReminderKey) -> str:
    """A reminder's key as the reference of its SMS record (no national id in clear)."""
    return f"reminder:{key.last_day.isoformat()}:{key.milestone}"


def next_daily_run(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The next moment the local clock reads ``at`` after ``now`` (DST-proof: local wall time)."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tz)
    return candidate
