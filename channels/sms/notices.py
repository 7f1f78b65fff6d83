"""Check notices (as Ghana's NHIS sends them): "your cover was checked by …; not you? reply NO".

Sent, when the settings ask for it, to the checked person's phone on file (else the phone of
the family's principal), at most once a day per person and provider, without delaying the
provider's answer. Other channels call ``provider_checked`` after their provider answers.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.sms.notifier import TwilioNotifier
from eligibility_gw.channels.sms.replies import check_notice
from eligibility_gw.channels.sms.settings import SmsSettings
from eligibility_gw.domain.provider import Provider
from eligibility_gw.keyvalue import state_key
from eligibility_gw.service import STORE_ERRORS, Answer
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

NOTICE_PURPOSE = "check_notice"
_ONCE_PER = 24 * 3600


class CheckNotices:
    """Tell insured people about providers' checks of their cover."""

    def __init__(self, notifier: TwilioNotifier, settings: SmsSettings) -> None:
        self.notifier = notifier
        self.settings = settings

    @property
    def enabled(self) -> bool:
        """Say whether notices are asked for and can be sent."""
        return self.settings.notify_checked and self.notifier.ready

    async def provider_checked(self, core: Core, provider: Provider, answer: Answer) -> bool:
        """Queue a notice about ``answer``; say whether one was queued."""
        if not self.enabled or answer.member is None:
            return False
        national_id = answer.record.draft.national_id
        try:
            family = await core.service.find_family(national_id)
        except STORE_ERRORS as exc:
            log.warning("sms_notice_skipped", reason="registry", error=type(exc).__name__)
            return False
        person = family.member(national_id) if family else None
        if family is None or person is None:
            return False
        to = person.phone or family.principal.phone
        if not to or to == provider.phone:
            return False
        once = state_key("sms-notice", to, national_id, provider.provider_id)
        if not await core.kv.set_if_absent(once, "1", _ONCE_PER):
            return False
        w = Wording(core.settings.default_language)
        day = answer.record.created_at.astimezone(core.settings.tz).date()
        body = check_notice(w, person.given_name, provider.name, day)
        self.notifier.send_later(to, body, NOTICE_PURPOSE, answer.tracking_code.digits)
        return True


SMS_CHECK_NOTICES = web.AppKey("sms_check_notices", CheckNotices)
