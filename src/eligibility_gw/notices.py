"""Check notices (as Ghana's NHIS sends them): "your cover was checked by …; not you? reply NO".

When ``[notices] check_notices`` is on, every provider's check of a member, on every channel
(API, FHIR, batches, pages, SMS, USSD, Telegram), tells the phone ``policy.notices`` names,
at most once per ``once_per_hours`` per person, provider and phone, without delaying the
provider's answer. A NO sent back within ``reply_days`` is recorded as a report staff see.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import structlog

from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.provider import Provider
from eligibility_gw.keyvalue import state_key
from eligibility_gw.policy.notices import notice_recipient
from eligibility_gw.ports import KeyValueStore
from eligibility_gw.ports.outbound import SmsSender
from eligibility_gw.settings import NoticeSettings
from eligibility_gw.textbudget import fit
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: What outbound check notices are recorded as (a NO refers to the latest of them).
NOTICE_PURPOSE = "check_notice"
_PROVIDER_NAME_ROOM = 24


def check_notice_text(w: Wording, name: str, provider: str, day: date) -> str:
    """The notice; a long provider name is cut so that the whole fits one SMS if it can.

    In a right-to-left language, Latin names are isolated (U+2068 … U+2069), so that their
    punctuation stays with them.
    """
    when = w.date(day)
    names = [provider]
    if len(provider) > _PROVIDER_NAME_ROOM:
        names.append(provider[:_PROVIDER_NAME_ROOM].rstrip() + "...")
    who = w.isolate(name)
    return fit(
        [w.t("sms.notice.checked", name=who, provider=w.isolate(p), date=when) for p in names]
    )


class CheckNotices:
    """Tell insured people of providers' checks of their cover."""

    def __init__(
        self,
        settings: NoticeSettings,
        sender: SmsSender | None,
        kv: KeyValueStore,
        age_of_majority: int | None,
        tz: ZoneInfo,
        language: str,
    ) -> None:
        self.settings = settings
        self._sender = sender
        self._kv = kv
        self._majority = age_of_majority
        self._tz = tz
        self._language = language

    @property
    def enabled(self) -> bool:
        """Say whether notices are asked for and can be sent."""
        return self.settings.check_notices and self._sender is not None and self._sender.ready

    async def provider_checked(
        self, provider: Provider, person: Person, family: Family, record: AnswerRecord
    ) -> bool:
        """Queue a notice of ``provider``'s check answered by ``record``; say whether one was."""
        if not self.enabled or self._sender is None:
            return False
        day = record.created_at.astimezone(self._tz).date()
        to = notice_recipient(person, family, day, self._majority, provider.phone)
        if to is None:
            return False
        once = state_key("check-notice", to, person.national_id, provider.provider_id)
        if not await self._kv.set_if_absent(once, "1", self.settings.once_per_hours * 3600):
            return False
        w = Wording(self._language)
        body = check_notice_text(w, person.given_name, provider.name, day)
        self._sender.send_later(to, body, NOTICE_PURPOSE, record.tracking_code.digits)
        log.info("check_notice_queued", tracking_code=record.tracking_code.digits)
        return True
