"""The composition root: build the store, the rule pack and the service from settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.evidence import LiveEvidence
from eligibility_gw.keyvalue import RateLimiter
from eligibility_gw.logs import set_pseudonym_key
from eligibility_gw.metrics import STATE_KEYS
from eligibility_gw.ports import KeyValueStore, Store
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.service import EligibilityService
from eligibility_gw.settings import Settings, SettingsError

log = structlog.get_logger(__name__)


def sqlite_path(url: str) -> Path:
    """The file of an ``sqlite:///path`` URL (four slashes for an absolute path)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise SettingsError(
            f"[store] url: unsupported store {url!r}; use sqlite:///PATH or postgresql://..."
        )
    rest = url[len(prefix) :]
    if not rest:
        raise SettingsError("[store] url: no file path after sqlite:///")
    return Path(rest)


async def open_store(settings: Settings) -> Store:
    """Open the store the settings name (migrating its schema): SQLite or PostgreSQL."""
    url = settings.store.url
    if url.startswith(("postgresql://", "postgres://")):
        from eligibility_gw.adapters.postgres import open_postgres_store

        return await open_postgres_store(url)
    from eligibility_gw.adapters.sqlite import open_sqlite_store

    return await open_sqlite_store(sqlite_path(url), fsync=settings.store.fsync)


@dataclass(frozen=True, slots=True)
class Core:
    """Everything the channels need: settings, rule pack, stores and service."""

    settings: Settings
    pack: RulePack
    store: Store
    service: EligibilityService
    kv: KeyValueStore
    limiter: RateLimiter
    #: Live evidence registries, when ``[evidence.*]`` configures any.
    evidence: LiveEvidence | None = None

    async def close(self) -> None:
        """Flush and close every store, and the registries' connections."""
        await self.store.close()
        await self.kv.close()
        if self.evidence is not None:
            await self.evidence.close()


async def open_key_value(settings: Settings) -> KeyValueStore:
    """The shared short-lived state store the settings name (memory or Redis)."""
    url = settings.state.url
    key_env = settings.logging.pseudonym_key_env
    key = settings.secret(key_env)
    if key:
        set_pseudonym_key(key.encode("utf-8"))
    if url.startswith("memory:"):
        from eligibility_gw.adapters.memory import MemoryKeyValueStore

        store = MemoryKeyValueStore()
        STATE_KEYS.set_function(store.__len__)  # the latest store opened in this process
        return store
    if url.startswith(("redis://", "rediss://", "unix://")):
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
        return RedisKeyValueStore.from_url(url, settings.state.key_prefix, connections)
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


async def open_core(settings: Settings) -> Core:
    """Load the rule pack, open the stores, and wire the service."""
    pack = rule_pack_for(settings)
    store = await open_store(settings)
    kv = await open_key_value(settings)
    evidence = await open_evidence(settings, pack)
    service = EligibilityService(
        store, pack, settings.today, settings.server.lookup_timeout, evidence
    )
    return Core(settings, pack, store, service, kv, RateLimiter(kv), evidence)
