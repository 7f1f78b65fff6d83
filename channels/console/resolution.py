"""Tell the insured person how their dispute ended: a fresh answer, by SMS, in their language.

The gateway answers afresh, asked as the staff member who settled the dispute (so the text
carries a new tracking code and today's status, with the corrections made for the dispute),
words the outcome from that answer's disclosure, and sends it through the gateway's outbound
SMS to the phone on file for the person (or for the family's principal). What became of the
message is kept on the dispute.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.casework import ConsoleStore, Dispute, DisputeEvent, EventKind
from eligibility_gw.ports.outbound import SmsNotConfigured, SmsSender, SmsSendError
from eligibility_gw.textbudget import fit
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

SMS_PURPOSE = "console_resolution"


class SmsOutcome(enum.StrEnum):
    """What became of the resolution SMS."""

    SENT = "sent"
    NOT_CONFIGURED = "not_configured"
    NO_PHONE = "no_phone"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ResolutionNotice:
    """The fresh answer's code and the fate of the message."""

    tracking_code: str | None
    sms: SmsOutcome
    message_sid: str | None = None


def status_text(w: Wording, shown: Disclosure) -> str:
    """The short status with the last covered day: ahead ("until") or behind ("ended")."""
    status = w.t(f"short.status.{shown.status.value}")
    if shown.cover_end is not None:
        return f"{status} {w.t('short.label.until', date=w.date(shown.cover_end))}"
    if shown.cover_ended is not None:
        return f"{status} {w.t('short.label.ended', date=w.date(shown.cover_ended))}"
    return status


def outcome_text(
    w: Wording, code: DisputeCode, outcome: DisputeStatus, shown: Disclosure, hotline: str
) -> str:
    """The SMS: the dispute's outcome, today's status (end date, why) and the new code."""
    head = w.t(f"console.sms.{outcome.value}", code=w.digits(code.grouped()), hotline=hotline)
    status = status_text(w, shown)
    reasons = w.t("console.sms.list_sep").join(w.reason(r, short=True) for r in shown.reasons)
    stated = f"{status}: {reasons}" if reasons else status
    tracking = w.t("short.label.code", code=w.digits(shown.tracking_code.grouped()))
    variants = [f"{head} {stated}. {tracking}", f"{head} {status}. {tracking}"]
    if shown.given_name:
        variants.insert(0, f"{head} {shown.given_name}: {stated}. {tracking}")
    return fit(variants)


async def notify_outcome(
    inquiries: Inquiries,
    store: ConsoleStore,
    sender: SmsSender | None,
    dispute: Dispute,
    staff: str,
    hotline: str,
) -> ResolutionNotice:
    """Answer afresh about the dispute's person, send the outcome, and keep what happened."""
    notice = await _notify(inquiries, sender, dispute, staff, hotline)
    text = notice.sms.value + (f" {notice.message_sid}" if notice.message_sid else "")
    await store.record_resolution(
        dispute.code,
        notice.tracking_code,
        notice.sms.value,
        notice.message_sid,
        DisputeEvent(datetime.now(UTC), staff, EventKind.SMS, text),
    )
    log.info(
        "console_outcome_notified",
        dispute_code=dispute.code.grouped(),
        sms=notice.sms.value,
        tracking_code=notice.tracking_code,
    )
    return notice


async def _notify(
    inquiries: Inquiries,
    sender: SmsSender | None,
    dispute: Dispute,
    staff: str,
    hotline: str,
) -> ResolutionNotice:
    asker = Asker.for_staff(staff)
    try:
        shown = await inquiries.ask(asker, dispute.national_id)
    except EligibilityError as exc:  # a staff quota spent: nothing answered, nothing sent
        log.warning("console_fresh_answer_refused", error=exc.code)
        return ResolutionNotice(None, SmsOutcome.FAILED)
    except StoreUnavailable as exc:  # the answer could not be logged, so it was not given
        log.warning("console_fresh_answer_unavailable", error=exc.problem)
        return ResolutionNotice(None, SmsOutcome.FAILED)
    code = shown.tracking_code.digits
    try:
        family = await inquiries.family_of(asker, dispute.national_id)
    except StoreUnavailable:
        family = None
    person = family.member(dispute.national_id) if family else None
    phone = (person.phone if person else None) or (family.principal.phone if family else None)
    if person is None or not phone:
        return ResolutionNotice(code, SmsOutcome.NO_PHONE)
    if sender is None or not sender.ready:
        return ResolutionNotice(code, SmsOutcome.NOT_CONFIGURED)
    w = Wording(dispute.language)
    body = outcome_text(w, dispute.code, dispute.status, shown, w.digits(hotline))
    try:
        sent = await sender.send(phone, body, SMS_PURPOSE, dispute.code.digits)
    except SmsNotConfigured:
        return ResolutionNotice(code, SmsOutcome.NOT_CONFIGURED)
    except SmsSendError as exc:
        log.warning("console_outcome_sms_failed", status=exc.status, code=exc.code)
        return ResolutionNotice(code, SmsOutcome.FAILED)
    return ResolutionNotice(code, SmsOutcome.SENT, sent.message_sid)
