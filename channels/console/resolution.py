"""Tell the insured person how their dispute ended: a fresh answer, by SMS, in their language.

The gateway answers afresh (so the text carries a new tracking code and today's status, with
the corrections made for the dispute), words the outcome with the SMS channel's short texts,
and sends it through the SMS channel's notifier to the phone on file for the person (or for
the family's principal). What became of the message is kept on the dispute.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from eligibility_gw.bootstrap import Core
from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.ports.casework import ConsoleStore, Dispute, DisputeEvent, EventKind
from eligibility_gw.channels.sms.notifier import SmsNotConfigured, SmsSendError, TwilioNotifier
from eligibility_gw.channels.sms.replies import fit
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.service import STORE_ERRORS, Asker
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

SMS_PURPOSE = "console_resolution"
DEFAULT_HOTLINE = "1420"


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


def outcome_text(
    w: Wording,
    code: DisputeCode,
    outcome: DisputeStatus,
    record: AnswerRecord,
    name: str,
    hotline: str,
) -> str:
    """The SMS: the dispute's outcome, today's status (end date, why) and the new code."""
    head = w.t(f"console.sms.{outcome.value}", code=w.digits(code.grouped()), hotline=hotline)
    end = record.draft.decision.cover_end
    status = w.t(f"short.status.{record.status.value}")
    if end is not None:
        status = f"{status} {w.t('short.label.until', date=w.date(end))}"
    reasons = w.t("sms.list_sep").join(w.reason(r, short=True) for r in record.reasons)
    stated = f"{status}: {reasons}" if reasons else status
    tracking = w.t("short.label.code", code=w.digits(record.tracking_code.grouped()))
    return fit(
        [
            f"{head} {name}: {stated}. {tracking}",
            f"{head} {stated}. {tracking}",
            f"{head} {status}. {tracking}",
        ]
    )


async def notify_outcome(
    core: Core,
    store: ConsoleStore,
    notifier: TwilioNotifier | None,
    dispute: Dispute,
    staff: str,
) -> ResolutionNotice:
    """Answer afresh about the dispute's person, send the outcome, and keep what happened."""
    notice = await _notify(core, notifier, dispute, staff)
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
    core: Core, notifier: TwilioNotifier | None, dispute: Dispute, staff: str
) -> ResolutionNotice:
    try:
        answer = await core.service.ask(dispute.national_id, Asker("console", "staff", staff))
    except EligibilityError as exc:
        log.warning("console_fresh_answer_refused", error=exc.code)
        return ResolutionNotice(None, SmsOutcome.FAILED)
    code = answer.tracking_code.digits
    try:
        family = await core.service.find_family(dispute.national_id)
    except STORE_ERRORS:
        family = None
    person = family.member(dispute.national_id) if family else None
    phone = (person.phone if person else None) or (family.principal.phone if family else None)
    if person is None or not phone:
        return ResolutionNotice(code, SmsOutcome.NO_PHONE)
    if notifier is None or not notifier.ready:
        return ResolutionNotice(code, SmsOutcome.NOT_CONFIGURED)
    w = Wording(dispute.language)
    hotline = w.digits(notifier.settings.hotline or DEFAULT_HOTLINE)
    body = outcome_text(w, dispute.code, dispute.status, answer.record, person.given_name, hotline)
    try:
        sent = await notifier.send(phone, body, SMS_PURPOSE, dispute.code.digits)
    except SmsNotConfigured:
        return ResolutionNotice(code, SmsOutcome.NOT_CONFIGURED)
    except SmsSendError as exc:
        log.warning("console_outcome_sms_failed", error=str(exc))
        return ResolutionNotice(code, SmsOutcome.FAILED)
    return ResolutionNotice(code, SmsOutcome.SENT, sent.message_sid)
