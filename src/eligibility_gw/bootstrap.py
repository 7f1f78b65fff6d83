"""The composition root: every store, the state, the sender and the services, opened once.

Nothing else in the gateway chooses an adapter: channels receive the ports built here (see
``gateway.Gateway``), and every store a channel keeps lives on the same database handle
(SQLite) or pool (PostgreSQL) as the registry and the answer log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.evidence import LiveEvidence
from eligibility_gw.gateway import Gateway
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.keyvalue import RateLimiter
from eligibility_gw.languages import Languages
from eligibility_gw.logs import set_pseudonym_key
from eligibility_gw.metrics import STATE_KEYS
from eligibility_gw.notices import CheckNotices
from eligibility_gw.ports import KeyValueStore, Store
from eligibility_gw.ports.chatsend import ChatSender
from eligibility_gw.ports.outbound import SmsSender
from eligibility_gw.ports.uploads import UploadFiles
from eligibility_gw.reminders import Reminders
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.service import EligibilityService
from eligibility_gw.settings import Settings, SettingsError
from eligibility_gw.state import DegradingKeyValueStore
from eligibility_gw.uploads import Uploads

log = structlog.get_logger(__name__)

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")
MEMORY_STORE = "memory://"


def sqlite_path(url: str) -> Path:
    """The file of an ``sqlite:///path`` URL (four slashes for an absolute path)."""
    if not url.startswith(SQLITE_PREFIX):
        raise SettingsError(
            f"[store] url: unsupported store {url!r}; use sqlite:///PATH, postgresql://... "
            f"or {MEMORY_STORE}"
        )
    rest = url[len(SQLITE_PREFIX) :]
    if not rest:
        raise SettingsError("[store] url: no file path after sqlite:///")
    return Path(rest)


async def open_store(settings: Settings) -> Store:
    """Open the store the settings name (migrating its schema): SQLite, PostgreSQL or memory."""
    url = settings.store.url
    if url.startswith(POSTGRES_PREFIXES):
        from eligibility_gw.adapters.postgres import open_postgres_store

        return await open_postgres_store(url, query_seconds=settings.store.timeout)
    if url == MEMORY_STORE:
        from eligibility_gw.adapters.memory.store import MemoryStore

        return MemoryStore()
    from eligibility_gw.adapters.sqlite import open_sqlite_store

    return await open_sqlite_store(sqlite_path(url), fsync=settings.store.fsync)


async def open_key_value(settings: Settings) -> KeyValueStore:
    """The short-lived state store the settings name: memory, or Redis that degrades.

    A Redis state is wrapped in ``state.DegradingKeyValueStore``: while Redis is unavailable
    (at start-up too) the process answers from its own memory, and resumes sharing when it
    is back. Each Redis call has ``[state] timeout`` seconds.
    """
    url = settings.state.url
    key_env = settings.logging.pseudonym_key_env
    key = settings.secret(key_env)
    if key:
        set_pseudonym_key(key.encode("utf-8"))
    if url.startswith("memory:"):
        from eligibility_gw.adapters.memory.state import MemoryKeyValueStore

        store = MemoryKeyValueStore()
        STATE_KEYS.set_function(store.__len__)  # the latest store opened in this process
        return store
    if url.startswith(("redis://", "rediss://", "unix://")):
        from eligibility_gw.adapters.memory.state import MemoryKeyValueStore
        from eligibility_gw.adapters.redis_state import RedisKeyValueStore

        if not key:
            # Shared-state keys carry keyed pseudonyms of phones and ids: every process
            # must derive the same ones, so the key cannot be drawn at random per process.
            raise SettingsError(
                f"[state] url is shared ({url.split('@')[-1]}): set ${key_env} to the same "
                "secret in every gateway process"
            )

        # Every request let in may need a connection at once (shedding bounds them).
        connections = settings.server.max_in_flight + 64
        s = settings.state
        shared = RedisKeyValueStore.from_url(url, s.key_prefix, connections, s.timeout)
        local = MemoryKeyValueStore(max_keys=s.fallback_max_keys)
        STATE_KEYS.set_function(local.__len__)  # what this process keeps while Redis is out
        degrading = DegradingKeyValueStore(
            shared, local, reconnect_min=s.reconnect_min, reconnect_max=s.reconnect_max
        )
        await degrading.start()
        return degrading
    raise SettingsError(f"[state] url: unsupported {url!r}; use memory:// or redis://HOST:PORT/DB")


async def open_evidence(settings: Settings, pack: RulePack) -> LiveEvidence | None:
    """The live evidence registries ``[evidence.*]`` configures; None without any."""
    if not settings.evidence.configured:
        return None
    from eligibility_gw.adapters.evidence import open_http_evidence

    http = await open_http_evidence(settings)
    timeout = settings.server.lookup_timeout
    evidence = LiveEvidence(pack, http.student, http.civil, timeout, http.close)
    for name in ("student", "civil"):
        if getattr(settings.evidence, name) is not None and name not in evidence.kinds:
            log.warning("evidence_registry_unused", registry=name, rule_pack=pack.label)
    return evidence


async def open_sms_sender(settings: Settings, store: Store) -> SmsSender | None:
    """Outbound SMS through Twilio, recording every message; None when not configured."""
    twilio = settings.twilio
    token = settings.secret(twilio.auth_token_env)
    if not (twilio.configured_for_sending and token):
        log.info("sms_outbound_disabled", reason="no account, sender or auth token")
        return None
    from eligibility_gw.adapters.twilio import TwilioNotifier

    callback = settings.server.public_base_url.rstrip("/") + twilio.status_callback_path
    sender = TwilioNotifier(twilio, callback, token)
    await sender.start(store.sms)
    return sender


#: The Telegram channel's defaults (``channels/telegram/settings.py``), read here without
#: importing the channel: the core's sender speaks to the same bot.
TELEGRAM_TOKEN_ENV = "TELEGRAM_BOT_TOKEN"  # noqa: S105 (a variable's name, not a secret)
TELEGRAM_API = "https://api.telegram.org/bot"


def open_chat_sender(settings: Settings) -> ChatSender | None:
    """Telegram messages outside a webhook (reminders, review outcomes): the channel's bot,
    when ``[channels.telegram]`` is on and its token is set; None otherwise."""
    table = settings.channel("telegram")
    if table.get("enabled", True) is False:
        return None
    token = settings.secret(str(table.get("token_env", TELEGRAM_TOKEN_ENV)))
    if token is None:
        return None
    from eligibility_gw.adapters.telegram_sender import TelegramChatSender

    return TelegramChatSender(token, str(table.get("api_base_url", TELEGRAM_API)))


def open_upload_files(settings: Settings, store: Store) -> UploadFiles:
    """Where uploads' files lie: the directory ``[uploads]`` names, else the store."""
    if settings.uploads.directory:
        from eligibility_gw.adapters.upload_directory import DirectoryUploadFiles

        return DirectoryUploadFiles(settings.uploads.directory)
    return store.upload_files


def wire_followups(
    settings: Settings,
    pack: RulePack,
    store: Store,
    service: EligibilityService,
    inquiries: Inquiries,
    sender: SmsSender | None,
    chat_sender: ChatSender | None,
) -> tuple[Reminders, Uploads]:
    """Reminders before cover ends, and documents sent from a phone, over the opened ports."""
    uploads = Uploads(
        settings.uploads,
        store.uploads,
        open_upload_files(settings, store),
        inquiries,
        store.casework,
        sender,
        chat_sender,
        settings.tz,
    )
    sms_inbound = settings.channel("sms").get("enabled", True) is not False
    reminders = Reminders(
        settings.reminders,
        pack,
        store.reminders,
        store.chats,
        service,
        sender,
        chat_sender,
        settings.tz,
        settings.default_language,
        sms_uploads=uploads.enabled and sms_inbound,
        telegram_uploads=uploads.enabled and chat_sender is not None,
        hotline=settings.reminders.hotline,
    )
    return reminders, uploads


async def open_gateway(settings: Settings) -> Gateway:
    """Load the rule pack, open the stores, the state and the sender, and wire the services."""
    pack = rule_pack_for(settings)
    store = await open_store(settings)
    try:
        state = await open_key_value(settings)
        evidence = await open_evidence(settings, pack)
        sender = await open_sms_sender(settings, store)
    except BaseException:
        await store.close()
        raise
    return wire(settings, pack, store, state, evidence, sender, open_chat_sender(settings))


def wire(
    settings: Settings,
    pack: RulePack,
    store: Store,
    state: KeyValueStore,
    evidence: LiveEvidence | None = None,
    sender: SmsSender | None = None,
    chat_sender: ChatSender | None = None,
) -> Gateway:
    """The services over opened stores (tests hand in stores of their own making)."""
    service = EligibilityService(
        store.registry,
        store.answers,
        pack,
        settings.today,
        settings.server.lookup_timeout,
        evidence,
    )
    limiter = RateLimiter(state)
    notices = CheckNotices(
        settings.notices,
        sender,
        state,
        pack.age_of_majority,
        settings.tz,
        settings.default_language,
    )
    inquiries = Inquiries(
        service,
        store.registry,
        store.answers,
        store.providers,
        store.sms,
        limiter,
        settings.inquiries,
        notices,
        settings.notices.reply_days,
    )
    reminders, uploads = wire_followups(
        settings, pack, store, service, inquiries, sender, chat_sender
    )
    closers: list[Callable[[], Awaitable[None]]] = []
    if sender is not None:
        closers.append(sender.close)
    if chat_sender is not None:
        closers.append(chat_sender.close)
    closers.append(store.close)
    closers.append(state.close)
    if evidence is not None:
        closers.append(evidence.close)
    return Gateway(
        settings=settings,
        pack=pack,
        store=store,
        state=state,
        limiter=limiter,
        service=service,
        inquiries=inquiries,
        sms_sender=sender,
        evidence=evidence,
        closers=tuple(closers),
        chat_sender=chat_sender,
        reminders=reminders,
        uploads=uploads,
        languages=Languages(store.languages, settings.gateway.languages),
    )
