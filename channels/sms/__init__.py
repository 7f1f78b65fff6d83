"""The SMS channel (Twilio): inquiries by text message, TwiML replies, outbound notices."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from eligibility_gw.app import limit_body
from eligibility_gw.appkeys import CORE
from eligibility_gw.channels.sms.grammar import Keywords
from eligibility_gw.channels.sms.handler import (
    SMS_CHANNEL,
    SmsChannel,
    busy_responder,
    inbound,
    status_callback,
)
from eligibility_gw.channels.sms.notices import SMS_CHECK_NOTICES, CheckNotices
from eligibility_gw.channels.sms.notifier import SMS_NOTIFIER, TwilioNotifier
from eligibility_gw.ports.messages import MemorySmsRecords, SmsRecords
from eligibility_gw.channels.sms.settings import sms_settings
from eligibility_gw.settings import Settings
from eligibility_gw.shedding import SHEDDER

__all__ = ["SMS_CHECK_NOTICES", "SMS_NOTIFIER", "mount"]

PREFIX = "/channels/sms"
log = structlog.get_logger(__name__)


async def open_records(app: web.Application) -> SmsRecords:
    """The records next to the store: SQLite on its file, PostgreSQL on its pool, else in
    memory (with a warning)."""
    from eligibility_gw.adapters.postgres import PostgresStore
    from eligibility_gw.adapters.postgres.sms import open_postgres_sms_records
    from eligibility_gw.adapters.sqlite import SqliteStore
    from eligibility_gw.adapters.sqlite.sms import open_sqlite_sms_records

    store = app[CORE].store
    if isinstance(store, SqliteStore) and store.path != ":memory:":
        return await open_sqlite_sms_records(store.path)
    if isinstance(store, PostgresStore):
        return await open_postgres_sms_records(store.pool)
    log.warning("sms_records_in_memory", reason="the store has no SMS records of its own")
    return MemorySmsRecords()


def mount(app: web.Application, settings: Settings) -> None:
    """Add the Twilio webhooks at /channels/sms; put the notifier on ``app``."""
    s = sms_settings(settings)
    token = settings.secret(s.auth_token_env)
    notifier = TwilioNotifier(s, settings.server.public_base_url, token)
    notices = CheckNotices(notifier, s)
    channel = SmsChannel(
        settings=s,
        auth_token=token,
        keywords=Keywords.for_languages(settings.gateway.languages),
        notifier=notifier,
        notices=notices,
        public_base_url=settings.server.public_base_url,
        default_language=settings.default_language,
    )
    sms_app = web.Application()
    sms_app[SMS_CHANNEL] = channel
    sms_app.router.add_post("/twilio", inbound)
    sms_app.router.add_post("/twilio/status", status_callback)

    async def resources(_app: web.Application) -> AsyncIterator[None]:
        # Appended after the core's context: opens after the core and closes before it, so
        # sends still queued at shutdown are recorded on PostgreSQL records, which use the
        # store's pool.
        channel.records = await open_records(app)
        try:
            await notifier.start(channel.records)
            if token is None:  # each refused webhook then logs an error
                log.info("sms_inbound_disabled", reason=f"${s.auth_token_env} is not set")
            yield
        finally:
            await notifier.close()
            await channel.records.close()
            channel.records = None

    app.cleanup_ctx.append(resources)
    app.add_subapp(PREFIX, sms_app)
    limit_body(app, PREFIX + "/", s.max_request_bytes)
    app[SHEDDER].register(PREFIX + "/", busy_responder(channel))
    app[SMS_NOTIFIER] = notifier
    app[SMS_CHECK_NOTICES] = notices
