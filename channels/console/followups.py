"""Reminders and uploads where staff meet them: the person page's section, the dashboard's
reminders per day (and uploads waiting), and the review queue's link in the navigation."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from eligibility_gw.appkeys import REMINDER_RECORDS, SETTINGS, UPLOADS
from eligibility_gw.channels.console.gate import StaffVisit
from eligibility_gw.channels.console.views import words_or
from eligibility_gw.channels.web.portal.views import moment_text
from eligibility_gw.ports.reminders import ReminderStatus
from eligibility_gw.ports.uploads import UploadStatus
from eligibility_gw.wording import Wording

REMINDERS_SHOWN = 20
#: The words of each rule a reminder named, and of each state it is in.
RULE_IDS = {
    "age": "console.reminders.rule.age",
    "document_ends": "console.reminders.rule.document_ends",
    "cover_period": "console.reminders.rule.cover_period",
    "with_principal": "console.reminders.rule.with_principal",
    "other": "console.reminders.rule.other",
}
STATE_IDS = {
    ReminderStatus.SENDING: "console.reminders.state.sending",
    ReminderStatus.SENT: "console.reminders.state.sent",
    ReminderStatus.FAILED: "console.reminders.state.failed",
}
UPLOAD_STATUS_IDS = {
    UploadStatus.PENDING: "console.upload.status.pending",
    UploadStatus.ACCEPTED: "console.upload.status.accepted",
    UploadStatus.REJECTED: "console.upload.status.rejected",
    UploadStatus.EXPIRED: "console.upload.status.expired",
}


def _milestone(w: Wording, days: int) -> str:
    if days == 0:
        return w.t("console.reminders.on_the_day")
    return w.n("console.reminders.days_before", days, days=w.digits(str(days)))


async def reminders_section(
    request: web.Request, visit: StaffVisit, national_id: str
) -> dict[str, Any]:
    """The person page's reminders sent (and the documents they sent from a phone)."""
    tz = request.config_dict[SETTINGS].tz
    w = visit.frame.wording
    records = await request.config_dict[REMINDER_RECORDS].reminders_about(
        national_id, REMINDERS_SHOWN
    )
    reminders = [
        {
            "at": moment_text(r.updated_at, w, tz),
            "milestone": _milestone(w, r.key.milestone),
            "why": w.t(RULE_IDS.get(r.rule, RULE_IDS["other"]), date=w.date(r.key.last_day)),
            "channel": words_or(w, f"console.channel.{r.channel}", r.channel),
            "status": r.status.value,
            "state": w.t(STATE_IDS[r.status]),
        }
        for r in records
    ]
    uploads = request.config_dict.get(UPLOADS)
    found = await uploads.about(national_id) if uploads is not None else []
    person_uploads = [
        {
            "upload_id": u.upload_id,
            "received": moment_text(u.received_at, w, tz),
            "channel": words_or(w, f"console.channel.{u.channel}", u.channel),
            "status": w.t(UPLOAD_STATUS_IDS[u.status]),
        }
        for u in found
    ]
    return {"reminders": reminders, "person_uploads": person_uploads}


async def reminder_counts(
    request: web.Request, visit: StaffVisit, first: date, last: date, days: int
) -> dict[str, Any]:
    """The dashboard's reminders sent per day from ``first`` to ``last``, and uploads waiting."""
    w = visit.frame.wording
    per_day = await request.config_dict[REMINDER_RECORDS].sent_per_day(first, last)
    uploads = request.config_dict.get(UPLOADS)
    waiting = await uploads.count_pending() if uploads is not None else 0
    return {
        "reminder_counts": [
            {"iso": d.isoformat(), "day": w.date(d), "count": w.digits(str(n))}
            for d, n in sorted(per_day.items(), reverse=True)
        ],
        "reminders_total": w.digits(str(sum(per_day.values()))),
        "reminder_days": w.digits(str(days)),
        "uploads_waiting": w.digits(str(waiting)),
    }
