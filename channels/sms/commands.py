"""What each SMS command answers, and to whom: the channel's rules over the core.

A provider's phone gets the provider's answer; a phone on file for the person (or for the
principal of the person's family) gets the insured person's answer, end date included;
every other sender learns nothing about anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.sms.grammar import (
    AskAbout,
    Command,
    DenyCheck,
    FamilyList,
    Help,
    LookUpCode,
)
from eligibility_gw.channels.sms.notices import NOTICE_PURPOSE, CheckNotices
from eligibility_gw.ports.messages import SmsRecords, UnaskedCheckReport
from eligibility_gw.channels.sms.settings import SmsSettings
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.identity import PhoneIdentity, families_of, visible_members
from eligibility_gw.service import STORE_ERRORS, Asker
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

CHANNEL = "sms"


@dataclass(frozen=True, slots=True)
class Reply:
    """The text to send back (None: no reply), what happened, and the codes it quotes."""

    text: str | None
    outcome: str
    tracking_codes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent the message: the phone, what the registry knows of it, the message id."""

    phone: str
    identity: PhoneIdentity
    message_sid: str


@dataclass(frozen=True, slots=True)
class Context:
    """What the commands need besides the core."""

    settings: SmsSettings
    records: SmsRecords
    notices: CheckNotices


async def answer_command(
    core: Core, ctx: Context, sender: Sender, command: Command, w: Wording
) -> Reply:
    """The reply to one command."""
    if isinstance(command, AskAbout):
        return await _ask_about(core, ctx, sender, command, w)
    if isinstance(command, FamilyList):
        return await _family(core, ctx, sender, w)
    if isinstance(command, LookUpCode):
        return await _look_up(core, sender, command, w)
    if isinstance(command, DenyCheck):
        return await _deny(ctx, sender, w)
    return Reply(replies.help_text(w, isinstance(command, Help) and command.understood), "help")


async def _ask_about(
    core: Core, ctx: Context, sender: Sender, command: AskAbout, w: Wording
) -> Reply:
    service = core.service
    try:
        national_id = service.normalise_id(command.national_id)
        day = service.check_date(parse_date(command.date_text) if command.date_text else None)
    except EligibilityError as exc:
        return Reply(replies.refusal(w, exc), f"refused_{exc.code.lower()}")
    identity = sender.identity
    show_date = command.date_text is not None
    provider = identity.provider
    if provider is not None and not provider.active and not identity.is_insured:
        return Reply(replies.provider_inactive(w), "refused_provider_inactive")
    if provider is not None and provider.active:
        if limited := await _id_limited(core, ctx, national_id, w):
            return limited
        answer = await service.ask(
            national_id, Asker(CHANNEL, "provider", provider.provider_id), day
        )
        await ctx.notices.provider_checked(core, provider, answer)
        text = replies.provider_answer(w, answer.record, show_date)
        return Reply(text, "answered_provider", (answer.tracking_code.digits,))
    if identity.is_insured:
        try:
            family = await service.find_family(national_id)
        except STORE_ERRORS as exc:
            log.warning("registry_unavailable", error=type(exc).__name__)
            return Reply(replies.unavailable(w), "unavailable")
        person = family.member(national_id) if family else None
        if family is not None and person is not None and identity.may_see(family, person):
            if limited := await _id_limited(core, ctx, national_id, w):
                return limited
            asker = Asker(CHANNEL, "insured", sender.phone)
            answer = await service.decide_for(person, family, asker, day)
            text = replies.insured_answer(w, core.pack, answer.record, person.given_name, show_date)
            return Reply(text, "answered_insured", (answer.tracking_code.digits,))
    return Reply(replies.not_on_file(w, ctx.settings.hotline), "refused_not_on_file")


async def _id_limited(core: Core, ctx: Context, national_id: str, w: Wording) -> Reply | None:
    """Count an inquiry about ``national_id``; the refusal when over the limit.

    Only senders who would be answered are counted: others cannot use up a person's quota.
    """
    s = ctx.settings
    hit = await core.limiter.hit(
        "sms-national-id", national_id, s.inquiries_per_national_id, s.rate_window_seconds
    )
    if hit.allowed:
        return None
    log.warning("sms_rate_limited", scope="national_id", count=hit.count)
    return Reply(
        replies.rate_limited(w, "national_id", hit.retry_after), "rate_limited_national_id"
    )


async def _family(core: Core, ctx: Context, sender: Sender, w: Wording) -> Reply:
    identity = sender.identity
    if not identity.is_insured:
        return Reply(replies.not_on_file(w, ctx.settings.hotline), "refused_not_on_file")
    asker = Asker(CHANNEL, "insured", sender.phone)
    lines: list[replies.FamilyLine] = []
    codes: list[str] = []
    try:
        for family in await families_of(core.store, identity):
            for member in visible_members(identity, family):
                answer = await core.service.decide_for(member, family, asker)
                lines.append(replies.FamilyLine(member.given_name, answer.status, answer.cover_end))
                codes.append(answer.tracking_code.digits)
    except STORE_ERRORS as exc:
        log.warning("registry_unavailable", error=type(exc).__name__)
        return Reply(replies.unavailable(w), "unavailable", tuple(codes))
    if not lines:
        return Reply(replies.not_on_file(w, ctx.settings.hotline), "refused_not_on_file")
    return Reply(replies.family_answer(w, lines), "family", tuple(codes))


def _received_by(record: AnswerRecord, sender: Sender) -> bool:
    """Say whether the sender is who received this answer."""
    draft = record.draft
    provider = sender.identity.provider
    if draft.asker_kind == "provider":
        return provider is not None and provider.active and draft.asker_id == provider.provider_id
    return draft.asker_kind == "insured" and draft.asker_id == sender.phone


async def _look_up(core: Core, sender: Sender, command: LookUpCode, w: Wording) -> Reply:
    try:
        code = TrackingCode.parse(command.code_text)
    except EligibilityError as exc:
        return Reply(replies.refusal(w, exc), "refused_invalid_tracking_code")
    try:
        record = await core.service.recorded(code)
    except STORE_ERRORS as exc:
        log.warning("registry_unavailable", error=type(exc).__name__)
        return Reply(replies.unavailable(w), "unavailable")
    if record is None or not _received_by(record, sender):
        # The same words whether the code exists or not: codes are not to be probed.
        return Reply(replies.unknown_code(w), "code_unknown")
    return Reply(replies.recorded_answer(w, core.pack, record), "recorded", (code.digits,))


async def _deny(ctx: Context, sender: Sender, w: Wording) -> Reply:
    now = datetime.now(UTC)
    since = now - timedelta(days=ctx.settings.notice_reply_days)
    notice = await ctx.records.latest_outbound(sender.phone, NOTICE_PURPOSE, since)
    if notice is None:
        return Reply(replies.help_text(w, understood=False), "help")
    report = UnaskedCheckReport(sender.phone, notice.reference, sender.message_sid, now)
    if await ctx.records.add_report(report):
        log.warning("sms_unasked_check_reported", tracking_code=notice.reference)
    return Reply(replies.thanks_for_report(w, ctx.settings.hotline), "reported_unasked_check")
