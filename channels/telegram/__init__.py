"""The Telegram channel: a chat bot for insured people and providers, webhook only.

python-telegram-bot runs inside our aiohttp app: its ``Application`` has no updater, is
started and stopped in a clean-up context, and gets each update from our webhook route.
With no bot token in the environment the channel is off, and says so at start-up.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from eligibility_gw.appkeys import CHATS, INQUIRIES, LANGUAGES, LIMITER, STATE, UPLOADS
from eligibility_gw.channels.telegram.bot import BotFiles, TelegramRuntime, build_application
from eligibility_gw.channels.telegram.conversation import Conversation
from eligibility_gw.channels.telegram.settings import PREFIX, telegram_settings
from eligibility_gw.channels.telegram.webhook import SECRET_FORM, TELEGRAM_RUNTIME, webhook
from eligibility_gw.edge import limit_body
from eligibility_gw.settings import Settings, SettingsError

__all__ = ["PREFIX", "TELEGRAM_RUNTIME", "mount"]

log = structlog.get_logger(__name__)


def mount(app: web.Application, settings: Settings) -> None:
    """Add the webhook at /channels/telegram and the bot's start-up and clean-up."""
    s = telegram_settings(settings)
    token = settings.secret(s.token_env)
    if token is None:
        log.info("telegram_channel_off", reason=f"${s.token_env} is not set")
        return
    secret = settings.secret(s.secret_env)
    if secret is not None and not SECRET_FORM.match(secret):
        raise SettingsError(
            f"[channels.telegram] ${s.secret_env}: 1 to 256 characters of A-Z a-z 0-9 _ -"
        )
    runtime = TelegramRuntime(s, secret)
    telegram_app = web.Application()
    telegram_app[TELEGRAM_RUNTIME] = runtime
    telegram_app.router.add_post(s.webhook_route, webhook)
    app.add_subapp(PREFIX, telegram_app)
    limit_body(app, PREFIX + "/", s.max_request_bytes)
    # Button data names family members by a digest keyed with this: stable across
    # processes and restarts, and unknown to anyone without the token.
    member_key = hashlib.sha256(b"eligibility-gw telegram members\0" + token.encode()).digest()

    async def bot(app: web.Application) -> AsyncIterator[None]:
        # Appended after the gateway's context: starts once the gateway opened (its ports are
        # on the app then), stops before it closes, so no update is answered without them.
        # The bindings are the store's: closed with it, not here.
        # httpx logs every request's URL at INFO, and a Bot API URL holds the token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        conversation = Conversation(
            s,
            app[INQUIRIES],
            app[CHATS],
            app[STATE],
            app[LIMITER],
            member_key,
            settings.gateway.languages,
            uploads=app.get(UPLOADS),
            files=BotFiles(runtime),
            preferences=app[LANGUAGES],
        )
        try:
            await runtime.start(build_application(s, token, conversation))
            if secret is None:
                log.error(
                    "telegram_webhook_refused",
                    reason=f"${s.secret_env} is not set: every update gets 403",
                )
            yield
        finally:
            await runtime.stop()

    app.cleanup_ctx.append(bot)
