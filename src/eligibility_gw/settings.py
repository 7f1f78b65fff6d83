"""Settings: a typed, frozen object read from TOML; secrets come from environment variables."""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from eligibility_gw.policy.quotas import QuotaSettings

T = TypeVar("T")

CONFIG_ENV = "ELIGIBILITY_GW_CONFIG"


class SettingsError(Exception):
    """The settings file is missing, unreadable or inconsistent."""


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Which rules apply, and where "today" is."""

    rule_pack: str = "ir-tamin"
    rules_dir: str = ""
    time_zone: str = "UTC"
    languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where the registry and the answer log live."""

    url: str = "sqlite:///eligibility-gw.sqlite3"
    #: SQLite: sync the answer log to disk before each batch's answers go out. Off, a logged
    #: answer survives the process being killed (the OS holds the write) but the last
    #: moments' answers may be lost when the machine itself loses power; on, they survive
    #: that too, for one fsync per batch. PostgreSQL follows its own ``synchronous_commit``.
    fsync: bool = False
    #: PostgreSQL: seconds one query (or waiting for a connection) may take before the
    #: store counts as unavailable: a server that accepts and never answers holds nothing.
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class StateSettings:
    """Where short-lived shared state lives: sessions, de-duplication keys, rate counters.

    ``memory://`` keeps it in the process (one process only); ``redis://host:port/db``
    shares it between processes and machines.
    """

    url: str = "memory://"
    key_prefix: str = "egw:"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How the HTTP server listens, and how the public reaches it."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str = "http://127.0.0.1:8080"
    #: Requests handled at once; past it new ones are refused (503 / "busy" in-channel).
    max_in_flight: int = 512
    #: Answers waiting to be written to the log; past it new requests are refused.
    max_log_queue: int = 5000
    #: Seconds a registry lookup may take before the answer is "undetermined".
    lookup_timeout: float = 2.0
    #: Seconds SIGTERM leaves in-flight requests to finish before the stores close.
    shutdown_grace: float = 10.0
    #: The largest body any route accepts; routes set smaller limits of their own.
    max_body_bytes: int = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """Log level and rendering; the key for pseudonyms in logs."""

    level: str = "info"
    format: str = "auto"
    pseudonym_key_env: str = "ELIGIBILITY_GW_PSEUDONYM_KEY"


@dataclass(frozen=True, slots=True)
class NoticeSettings:
    """Check notices: "your cover was checked by …; not you? reply NO" (``[notices]``)."""

    #: Tell insured people by SMS when a provider checks their cover, on every channel.
    check_notices: bool = False
    #: At most one notice per this many hours per person, provider and phone told.
    once_per_hours: int = 24
    #: Days during which a NO refers to the latest notice sent to that phone.
    reply_days: int = 30


@dataclass(frozen=True, slots=True)
class TwilioSettings:
    """The Twilio account: inbound webhook signatures and outbound SMS (``[twilio]``)."""

    #: The account's SID (``AC…``): not a secret; the auth token is read from ``auth_token_env``.
    account_sid: str = ""
    auth_token_env: str = "TWILIO_AUTH_TOKEN"  # noqa: S105 (a variable's name, not a secret)
    #: Sender of outbound SMS: a number (``+98…``, a short code) or a messaging service SID.
    from_number: str = ""
    messaging_service_sid: str = ""
    #: Twilio's REST API; tests and staging point it at a fake of it.
    api_base_url: str = "https://api.twilio.com"
    #: Time for one outbound attempt, attempts in all, and the first back-off (doubling).
    send_timeout_ms: int = 10_000
    send_attempts: int = 3
    retry_backoff_ms: int = 500
    #: Where Twilio posts delivery statuses, under ``[server] public_base_url``.
    status_callback_path: str = "/channels/sms/twilio/status"

    @property
    def configured_for_sending(self) -> bool:
        """Say whether outbound SMS has an account and a sender."""
        return bool(self.account_sid and (self.from_number or self.messaging_service_sid))


@dataclass(frozen=True, slots=True)
class EvidenceRegistrySettings:
    """One live evidence registry reached over HTTP (the contract: ``adapters/evidence``)."""

    #: Where lookups are POSTed (http:// or https://).
    url: str = ""
    #: Seconds one lookup may take; cut to [server] lookup_timeout when longer.
    timeout: float = 1.0
    #: The environment variable holding a bearer token for the registry (empty: none sent).
    token_env: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceSettings:
    """The live registries answers may consult; none configured: documents on file decide."""

    student: EvidenceRegistrySettings | None = None
    civil: EvidenceRegistrySettings | None = None

    @property
    def configured(self) -> bool:
        """Say whether any live registry is configured."""
        return self.student is not None or self.civil is not None


@dataclass(frozen=True, slots=True)
class Settings:
    """All settings of one gateway process."""

    gateway: GatewaySettings = field(default_factory=GatewaySettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    state: StateSettings = field(default_factory=StateSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    inquiries: QuotaSettings = field(default_factory=QuotaSettings)
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    #: Raw ``[channels.NAME]`` tables; each channel reads its own with ``parse_section``.
    channels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = "<defaults>"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The configured time zone."""
        return zoneinfo.ZoneInfo(self.gateway.time_zone)

    def today(self) -> date:
        """Today's date in the configured time zone."""
        return datetime.now(self.tz).date()

    @property
    def default_language(self) -> str:
        """The language of people whose language is not known."""
        return self.gateway.languages[0]

    def with_store_path(self, path: str | Path) -> Settings:
        """Point the store at an SQLite file (what ``--db PATH`` does)."""
        return replace(self, store=replace(self.store, url=f"sqlite:///{Path(path)}"))

    def channel(self, name: str) -> Mapping[str, Any]:
        """The raw ``[channels.NAME]`` table (empty when absent)."""
        return self.channels.get(name, {})

    def secret(self, env_name: str) -> str | None:
        """Read a secret from the environment variable the settings name."""
        value = os.environ.get(env_name, "")
        return value or None


_SECTIONS: dict[str, type] = {
    "gateway": GatewaySettings,
    "store": StoreSettings,
    "state": StateSettings,
    "server": ServerSettings,
    "logging": LoggingSettings,
    "inquiries": QuotaSettings,
    "notices": NoticeSettings,
    "twilio": TwilioSettings,
}


def parse_section(cls: type[T], table: Mapping[str, Any], name: str) -> T:
    """Build the frozen dataclass ``cls`` from one TOML table, refusing unknown keys."""
    return _section(cls, table, name)  # type: ignore[no-any-return]


def _section(cls: type, table: Mapping[str, Any], name: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(table) - set(known)
    if unknown:
        raise SettingsError(f"[{name}]: unknown setting(s) {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    defaults = cls()
    for key, raw in table.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(raw, int) and not isinstance(raw, bool):
            values[key] = float(raw)  # `timeout = 5` means five seconds
        elif expected is tuple:
            if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
                raise SettingsError(f"[{name}] {key}: expected a list of strings")
            values[key] = tuple(raw)
        elif not isinstance(raw, expected) or isinstance(raw, bool) != (expected is bool):
            raise SettingsError(f"[{name}] {key}: expected {expected.__name__}")
        else:
            values[key] = raw
    return cls(**values)


def _evidence(data: Any) -> EvidenceSettings:
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SettingsError("[evidence]: expected one table per registry, e.g. [evidence.student]")
    known = {f.name for f in fields(EvidenceSettings)}
    unknown = set(data) - known
    if unknown:
        raise SettingsError(
            f"[evidence]: unknown registry(ies) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    registries: dict[str, EvidenceRegistrySettings] = {}
    for name, raw in data.items():
        where = f"evidence.{name}"
        timeout = raw.get("timeout")
        table = dict(raw)
        if isinstance(timeout, int) and not isinstance(timeout, bool):
            table["timeout"] = float(timeout)  # `timeout = 1` means one second
        registry = parse_section(EvidenceRegistrySettings, table, where)
        if not registry.url.startswith(("http://", "https://")):
            raise SettingsError(f"[{where}] url: expected an http:// or https:// URL")
        if not registry.timeout > 0:
            raise SettingsError(f"[{where}] timeout: expected seconds above 0")
        registries[name] = registry
    return EvidenceSettings(**registries)


def parse_settings(data: Mapping[str, Any], source: str = "<memory>") -> Settings:
    """Build settings from a TOML mapping, refusing unknown sections and keys."""
    unknown = set(data) - set(_SECTIONS) - {"channels", "evidence"}
    if unknown:
        raise SettingsError(f"unknown section(s) {', '.join(sorted(unknown))}")
    sections = {name: _section(cls, data.get(name, {}), name) for name, cls in _SECTIONS.items()}
    channels = data.get("channels", {})
    if not isinstance(channels, dict) or not all(isinstance(v, dict) for v in channels.values()):
        raise SettingsError("[channels]: expected one table per channel, e.g. [channels.sms]")
    evidence = _evidence(data.get("evidence", {}))
    settings = Settings(**sections, evidence=evidence, channels=channels, source=source)
    try:
        zoneinfo.ZoneInfo(settings.gateway.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"[gateway] time_zone: unknown zone {settings.gateway.time_zone!r}"
        ) from exc
    if not settings.gateway.languages:
        raise SettingsError("[gateway] languages: at least one language")
    _check_positive(settings.inquiries, "inquiries")
    _check_positive(settings.notices, "notices")
    twilio = settings.twilio
    _check_positive(twilio, "twilio")
    if not twilio.api_base_url.startswith(("https://", "http://")):
        raise SettingsError("[twilio] api_base_url: expected an http(s):// URL")
    return settings


def _check_positive(section: Any, name: str) -> None:
    """Every whole number of a section must be above zero."""
    for f in fields(section):
        value = getattr(section, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            raise SettingsError(f"[{name}] {f.name}: must be positive")


def moved_settings(table: Mapping[str, Any], name: str, moved: Mapping[str, str]) -> dict[str, Any]:
    """``table`` without keys that moved elsewhere; an error naming the new place if any is set.

    Keys are checked here, once, so an old settings file fails at start-up with the way out.
    """
    found = sorted(k for k in table if k in moved)
    if found:
        where = "; ".join(f"{k} is now {moved[k]}" for k in found)
        raise SettingsError(f"[{name}]: {where}")
    return dict(table)


def default_config_text() -> str:
    """The documented example settings shipped with the package."""
    return resources.files("eligibility_gw.config").joinpath("gateway.toml").read_text("utf-8")


def load_settings(path: str | Path | None = None) -> Settings:
    """Read settings from ``path``, else ``$ELIGIBILITY_GW_CONFIG``, else the shipped example."""
    chosen = path or os.environ.get(CONFIG_ENV) or None
    if chosen is None:
        return parse_settings(tomllib.loads(default_config_text()), source="<shipped example>")
    p = Path(chosen)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file not found: {p}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"settings file {p} is not valid TOML: {exc}") from exc
    return parse_settings(data, source=str(p))
