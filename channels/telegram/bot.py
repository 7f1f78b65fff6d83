"""python-telegram-bot inside our server: the ``Application`` (no updater, no polling), its
handlers, and its life from start-up to clean-up.

Handlers only translate: an ``Update`` becomes a ``Sender`` and an ``Event`` for the
``Conversation``, and its ``Turn`` becomes Bot API calls. Errors are answered in words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import structlog
from telegram import Bot, Update
from telegram.constants import CallbackQueryLimit, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from eligibility_gw.channels.telegram.conversation import (
    ButtonTap,
    Command,
    Conversation,
    Event,
    Sender,
    SharedContact,
    Text,
    Turn,
    Unsupported,
)
from eligibility_gw.channels.telegram.documents import FileUnavailable, SentFile
from eligibility_gw.channels.telegram.keyboards import Action
from eligibility_gw.channels.telegram.settings import TelegramSettings
from eligibility_gw.logs import where
from eligibility_gw.uploads import UploadRefused
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: The only updates the webhook is registered for.
ALLOWED_UPDATES: tuple[str, ...] = (Update.MESSAGE, Update.CALLBACK_QUERY)

TelegramApplication = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    None,
]
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
#: Characters the note of a tapped button may hold.
NOTICE_LIMIT: int = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
#: Seconds between attempts to reach the Bot API when it failed at start-up.
RETRY_START_SECONDS = 10.0


def make_bot(settings: TelegramSettings, token: str) -> Bot:
    """A bare Bot API client (for commands such as ``telegram set-webhook``)."""
    return Bot(token, base_url=settings.api_base_url, base_file_url=settings.api_file_base_url)


class Handlers:
    """PTB callbacks over one ``Conversation``."""

    def __init__(self, conversation: Conversation, hotline: str) -> None:
        self.conversation = conversation
        self.hotline = hotline

    def command(self, action: Action) -> Callback:
        """The callback of ``/<action>``."""

        async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self._run(update, context, Command(action))

        return on_command

    async def on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared contact."""
        message = update.effective_message
        contact = message.contact if message else None
        if contact is None:
            return
        await self._run(update, context, SharedContact(contact.user_id, contact.phone_number))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Typed text or a menu button."""
        message = update.effective_message
        await self._run(update, context, Text((message.text or "") if message else ""))

    async def on_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An inline button."""
        query = update.callback_query
        data = query.data if query is not None and isinstance(query.data, str) else ""
        await self._run(update, context, ButtonTap(data))

    async def on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo (its largest size) or a file: a document to have reviewed."""
        message = update.effective_message
        if message is None:
            return
        if message.photo:
            largest = message.photo[-1]
            sent = SentFile(largest.file_id, largest.file_size, True, "image/jpeg")
        elif message.document is not None:
            doc = message.document
            sent = SentFile(doc.file_id, doc.file_size, False, doc.mime_type)
        else:
            return
        await self._run(update, context, sent)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything else a person sends (photos, stickers, unknown commands)."""
        await self._run(update, context, Unsupported())

    async def _run(self, update: Update, context: ContextTypes.DEFAULT_TYPE, event: Event) -> None:
        sender = sender_of(update)
        if sender is None:
            return
        turn = await self.conversation.handle(sender, event)
        await deliver(context.bot, update, turn)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure (its type and place only) and tell the person in words."""
        error = context.error
        log.error(
            "telegram_failed",
            error=type(error).__name__,
            at=where(error.__traceback__) if error else "",
        )
        if not isinstance(update, Update):
            return
        sender = sender_of(update)
        if sender is None:
            return
        w = Wording(await self.conversation.language_of(sender))
        try:
            if update.callback_query is not None:
                await update.callback_query.answer()
        except TelegramError:
            pass  # answered already, or too late: the message below still goes out
        try:
            text = w.t("telegram.error", hotline=w.digits(self.hotline))
            await context.bot.send_message(sender.chat_id, text)
        except TelegramError as exc:
            log.error("telegram_error_not_sent", error=type(exc).__name__)


def sender_of(update: Update) -> Sender | None:
    """Who sent ``update``; None for updates without a chat and a user."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return None
    return Sender(chat.id, user.id, user.language_code, chat.type == ChatType.PRIVATE)


async def deliver(bot: Bot, update: Update, turn: Turn) -> None:
    """Send what the turn says: the button note first (it stops the spinner), then messages."""
    chat = update.effective_chat
    query = update.callback_query
    if query is not None:
        notice = turn.notice[:NOTICE_LIMIT] if turn.notice else None
        await query.answer(text=notice)
        if turn.new_buttons is not None:
            await query.edit_message_reply_markup(turn.new_buttons)
    if chat is None:
        return
    for message in turn.messages:
        await bot.send_message(chat.id, message.text, reply_markup=message.markup)


def build_application(
    settings: TelegramSettings, token: str, conversation: Conversation
) -> TelegramApplication:
    """The PTB application: no updater (our server receives the webhook), our handlers."""
    application = (
        Application.builder()
        .token(token)
        .updater(None)
        .job_queue(None)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_base_url)
        .build()
    )
    handlers = Handlers(conversation, settings.hotline)
    for action in Action:
        application.add_handler(CommandHandler(action.value, handlers.command(action)))
    application.add_handler(MessageHandler(filters.CONTACT, handlers.on_contact))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    application.add_handler(CallbackQueryHandler(handlers.on_tap))
    application.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, handlers.on_file))
    application.add_handler(MessageHandler(filters.ALL, handlers.on_other))
    application.add_error_handler(handlers.on_error)
    return application


class BotFiles:
    """Files sent to the bot, fetched through PTB from the Bot API (``getFile``, then the
    file's own address), once the running application is there."""

    def __init__(self, runtime: TelegramRuntime) -> None:
        self.runtime = runtime

    async def fetch(self, file_id: str, limit: int) -> bytes:
        """The file's bytes; ``UploadRefused("too_large")`` past ``limit``."""
        application = self.runtime.application
        if application is None:
            raise FileUnavailable("the bot is not running")
        try:
            found = await application.bot.get_file(file_id)
            if found.file_size is not None and found.file_size > limit:
                raise UploadRefused("too_large")
            content = bytes(await found.download_as_bytearray())
        except (TelegramError, RuntimeError) as exc:  # RuntimeError: a file without a path
            log.warning("telegram_file_unfetched", error=type(exc).__name__)
            raise FileUnavailable(type(exc).__name__) from exc
        if len(content) > limit:
            raise UploadRefused("too_large")
        return content


@dataclass
class TelegramRuntime:
    """The running PTB application, started at start-up or, if the Bot API could not be
    reached then, on a later webhook call (the gateway starts without Telegram)."""

    settings: TelegramSettings
    secret: str | None
    application: TelegramApplication | None = None
    started: bool = False
    _last_attempt: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def start(self, application: TelegramApplication) -> bool:
        """Initialise (``getMe``) and start ``application``; say whether it worked."""
        self.application = application
        return await self.ready()

    async def ready(self) -> bool:
        """Say whether updates can be processed, trying to start again now and then."""
        if self.started:
            return True
        application = self.application
        if application is None:
            return False
        async with self._lock:
            loop = asyncio.get_running_loop()
            if self.started or loop.time() - self._last_attempt < RETRY_START_SECONDS:
                return self.started
            self._last_attempt = loop.time()
            try:
                await application.initialize()
                await application.start()
            except TelegramError as exc:  # never its text: InvalidToken's holds the token
                log.error("telegram_unreachable", error=type(exc).__name__)
                return False
            self.started = True
        log.info("telegram_channel_on", bot=application.bot.username)
        return True

    async def stop(self) -> None:
        """Stop and shut the application down; close its HTTP clients in any case."""
        application, self.application = self.application, None
        if application is None:
            return
        if self.started:
            self.started = False
            await application.stop()
        await application.shutdown()  # a no-op unless initialised
        await application.bot.shutdown()  # closes the HTTP clients getMe may have opened
