"""``POST /channels/telegram/webhook``: Telegram's updates, checked, de-duplicated, answered.

The secret header is checked first (403 otherwise); an ``update_id`` seen before is
acknowledged without being answered again; the update is processed in-line, so the answer
has been sent when Telegram gets its 200.
"""

from __future__ import annotations

import hmac
import json
import re

import structlog
from aiohttp import web
from telegram import Update

from eligibility_gw.appkeys import STATE
from eligibility_gw.channels.telegram.bot import TelegramRuntime
from eligibility_gw.keyvalue import Deduplicator
from eligibility_gw.logs import where

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header's name)
#: What Telegram accepts as a webhook secret.
SECRET_FORM = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

TELEGRAM_RUNTIME = web.AppKey("telegram_runtime", TelegramRuntime)


def secret_matches(given: str, expected: str | None) -> bool:
    """Compare the header with the configured secret in constant time."""
    if expected is None or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def integer_ids(update: Update) -> bool:
    """Say whether the update's user, chat and message ids are integers, as Telegram's are.

    PTB reads whatever JSON it is given; an id of another type would fail deep inside it.
    """
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    ids = (
        user.id if user else 0,
        chat.id if chat else 0,
        message.message_id if message else 0,
    )
    return all(type(i) is int for i in ids)


async def webhook(request: web.Request) -> web.Response:
    """Answer one update from Telegram."""
    runtime = request.app[TELEGRAM_RUNTIME]
    if not secret_matches(request.headers.get(SECRET_HEADER, ""), runtime.secret):
        log.warning(
            "telegram_secret_rejected",
            header_present=SECRET_HEADER in request.headers,
            configured=runtime.secret is not None,
        )
        raise web.HTTPForbidden(text="wrong secret token")
    if not await runtime.ready() or runtime.application is None:
        raise web.HTTPServiceUnavailable(text="the Telegram channel has not started")
    application = runtime.application
    try:
        # Telegram sends UTF-8 JSON whatever the declared charset, which may name none known.
        data = json.loads(await request.read())
    except (ValueError, RecursionError):  # not JSON, not text, or nested past all reason
        raise web.HTTPBadRequest(text="expected a JSON update") from None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise web.HTTPBadRequest(text="expected an update with an update_id")
    try:
        update = Update.de_json(data, application.bot)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError):
        raise web.HTTPBadRequest(text="malformed update") from None
    if not integer_ids(update):
        raise web.HTTPBadRequest(text="malformed update")
    key = str(update.update_id)
    structlog.contextvars.bind_contextvars(channel="telegram", update_id=update.update_id)
    dedup = Deduplicator(request.config_dict[STATE], "telegram", runtime.settings.dedup_seconds)
    if not await dedup.claim(key):
        log.info("telegram_redelivered")
        return web.Response(text="already answered")
    try:
        # Handlers' own errors reach the error handler, which answers in words; what
        # arrives here is PTB itself failing: forget the claim so Telegram's retry counts.
        await application.process_update(update)
    except Exception as exc:
        await dedup.release(key)
        log.error("telegram_update_failed", error=type(exc).__name__, at=where(exc.__traceback__))
        raise web.HTTPInternalServerError(text="update not processed") from None
    await dedup.store_reply(key, "answered")
    return web.Response(text="ok")
