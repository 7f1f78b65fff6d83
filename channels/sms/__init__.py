"""The SMS channel (Twilio): inquiries by text message, TwiML replies, delivery statuses.

It translates between Twilio and the core and holds no rule: answers come through
``INQUIRIES``, delivery statuses go to ``SMS_RECORDS``; outbound SMS (check notices among
them) is the core's sender (``adapters/twilio``), configured in ``[twilio]``.
"""

from __future__ import annotations

import structlog
from aiohttp import web

from eligibility_gw.channels.sms.grammar import Keywords
from eligibility_gw.channels.sms.handler import (
    SMS_CHANNEL,
    SmsChannel,
    busy_responder,
    inbound,
    status_callback,
)
from eligibility_gw.channels.sms.settings import sms_settings
from eligibility_gw.edge import limit_body
from eligibility_gw.settings import Settings
from eligibility_gw.shedding import SHEDDER

__all__ = ["PREFIX", "mount"]

PREFIX = "/channels/sms"
INBOUND_PATH = "/twilio"
STATUS_PATH = "/twilio/status"
log = structlog.get_logger(__name__)


def mount(app: web.Application, settings: Settings) -> None:
    """Add the Twilio webhooks at /channels/sms."""
    s = sms_settings(settings)
    token_env = settings.twilio.auth_token_env
    token = settings.secret(token_env)
    if token is None:  # each refused webhook then logs an error
        log.info("sms_inbound_disabled", reason=f"${token_env} is not set")
    channel = SmsChannel(
        settings=s,
        auth_token=token,
        keywords=Keywords.for_languages(settings.gateway.languages),
        public_base_url=settings.server.public_base_url,
        default_language=settings.default_language,
        account_sid=settings.twilio.account_sid,
        api_base_url=settings.twilio.api_base_url,
    )
    callback = settings.twilio.status_callback_path
    if callback != PREFIX + STATUS_PATH:
        # Twilio would post delivery statuses where nothing answers them.
        log.warning("sms_status_callback_elsewhere", path=callback)
    sms_app = web.Application()
    sms_app[SMS_CHANNEL] = channel
    sms_app.router.add_post(INBOUND_PATH, inbound)
    sms_app.router.add_post(STATUS_PATH, status_callback)
    app.add_subapp(PREFIX, sms_app)
    limit_body(app, PREFIX + "/", s.max_request_bytes)
    app[SHEDDER].register(PREFIX + "/", busy_responder(channel))
