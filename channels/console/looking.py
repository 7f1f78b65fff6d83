"""What every page that shows a person does: find the family, mask, log the look-up.

Every page that shows a person writes an access-log entry per person shown, before the page
is sent: who looked at whom, when, and on which page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES
from eligibility_gw.channels.console.gate import StaffVisit
from eligibility_gw.domain.model import Family
from eligibility_gw.ports.casework import AccessEntry

#: The longest note, reason or summary kept.
MAX_NOTE = 2000


def now() -> datetime:
    """The present instant (UTC)."""
    return datetime.now(UTC)


async def log_looked_up(visit: StaffVisit, national_ids: list[str], action: str) -> None:
    """Write one access-log entry per person shown (once each), before showing them."""
    at = now()
    unique = list(dict.fromkeys(national_ids))
    await visit.store.log_access([AccessEntry(visit.staff.username, n, at, action) for n in unique])


def shows_full_ids(visit: StaffVisit) -> bool:
    """Supervisors see national ids whole in lists; agents only on an opened record."""
    return visit.staff.is_supervisor


async def find_family(request: web.Request, visit: StaffVisit, national_id: str) -> Family | None:
    """The person's family, asked as the staff member (a store that cannot answer: a 503 page)."""
    return await request.config_dict[INQUIRIES].family_of(visit.asker, national_id)


def too_long(text: str, visit: StaffVisit) -> str | None:
    """Words saying ``text`` is longer than a note may be; None when it may be kept."""
    if len(text) <= MAX_NOTE:
        return None
    w = visit.frame.wording
    return w.t("console.form.too_long", limit=w.digits(str(MAX_NOTE)))
