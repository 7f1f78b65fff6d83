"""Settings: a typed, frozen object read from TOML; secrets come from environment variables."""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
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
    #: Shared state only. Seconds one call may take (connecting included) before the state
    #: counts as unavailable and the process answers from its own: a Redis that accepts
    #: connections and never answers slows a request by this much, once.
    timeout: float = 0.05
    #: Seconds between probes of an unavailable shared state: the first, doubling up to the
    #: last. When a probe answers, shared state resumes.
    reconnect_min: float = 0.1
    reconnect_max: float = 2.0
    #: Keys a process keeps of its own while the shared state is unavailable (the oldest go
    #: first past it).
    fallback_max_keys: int = 200_000


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
class AuditSettings:
    """Signed checkpoints of the answer log (``[audit]``; see ``eligibility_gw.audit``)."""

    #: The log's name in its checkpoints; empty: ``<public_base_url host>/eligibility-gw/answers``.
    origin: str = ""
    #: The environment variable holding the signing key (``eligibility-gw audit keygen``).
    signing_key_env: str = "ELIGIBILITY_GW_AUDIT_KEY"
    #: The public key checkpoints are verified with (not a secret): ``name+hash+key``.
    public_key: str = ""
    #: ``serve`` signs a checkpoint every this many seconds when the log grew (0: never), and
    #: one more when it stops.
    checkpoint_seconds: int = 0
    #: Where ``serve`` writes them (created if missing).
    checkpoint_dir: str = "var/checkpoints"
    #: An http(s) URL each checkpoint is POSTed to (text/plain), somewhere the gateway's
    #: operators cannot rewrite; empty: none.
    witness_url: str = ""
    #: Seconds one POST to the witness may take.
    witness_timeout: float = 5.0


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


_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def clock_time(text: str, where: str) -> time:
    """``HH:MM`` (24-hour) as a time of day; ``SettingsError`` naming ``where`` otherwise."""
    if not _CLOCK.match(text):
        raise SettingsError(f"{where}: expected a time of day HH:MM, e.g. 08:00")
    return time(int(text[:2]), int(text[3:]))


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """Reminders before cover ends (``[reminders]``); the days are the rule pack's."""

    #: Local times (the gateway's time zone) between which no reminder is sent, e.g.
    #: ``"21:00-08:00"`` (across midnight); empty: none.
    quiet_hours: str = "21:00-08:00"
    #: Reminders one run sends at most; the rest go with the next run.
    per_run: int = 5000
    #: Local time of the daily run inside ``serve``, e.g. ``"10:00"``; empty: no daily run.
    daily_at: str = ""
    #: Families read per store round trip while a run walks the registry.
    scan_batch: int = 500
    #: The number a reminder names when no document can keep cover going.
    hotline: str = "1420"

    def __post_init__(self) -> None:
        if self.quiet_hours:
            start, sep, end = self.quiet_hours.partition("-")
            if not sep:
                raise SettingsError('[reminders] quiet_hours: expected "HH:MM-HH:MM" or ""')
            clock_time(start.strip(), "[reminders] quiet_hours")
            clock_time(end.strip(), "[reminders] quiet_hours")
        if self.daily_at:
            clock_time(self.daily_at, "[reminders] daily_at")
        if self.per_run <= 0 or self.scan_batch <= 0:
            raise SettingsError("[reminders] per_run, scan_batch: must be positive")

    @property
    def quiet(self) -> tuple[time, time] | None:
        """The quiet hours' first and last moment (the end excluded), or None."""
        if not self.quiet_hours:
            return None
        start, _, end = self.quiet_hours.partition("-")
        return clock_time(start.strip(), "quiet"), clock_time(end.strip(), "quiet")


#: What documents sent from a phone may be, by their content (never their name).
UPLOAD_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")


@dataclass(frozen=True, slots=True)
class UploadSettings:
    """Documents sent from a phone for staff to review (``[uploads]``)."""

    enabled: bool = True
    #: The largest file accepted.
    max_bytes: int = 10 * 1024 * 1024
    #: The kinds of file accepted, recognised by their content.
    content_types: tuple[str, ...] = ("image/jpeg", "image/png", "application/pdf")
    #: A directory to keep the files in; empty: in the store itself (with the records).
    directory: str = ""
    #: Days an upload waits for review before it expires (the person is then not told).
    review_days: int = 30
    #: Days a rejected or expired upload's file is kept before it is deleted.
    retention_days: int = 30

    def __post_init__(self) -> None:
        unknown = sorted(set(self.content_types) - set(UPLOAD_TYPES))
        if unknown or not self.content_types:
            raise SettingsError(f"[uploads] content_types: choose among {', '.join(UPLOAD_TYPES)}")
        for name in ("max_bytes", "review_days", "retention_days"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"[uploads] {name}: must be positive")


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
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    uploads: UploadSettings = field(default_factory=UploadSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
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
    "reminders": ReminderSettings,
    "uploads": UploadSettings,
    "audit": AuditSettings,
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
    _check_state(settings.state)
    _check_positive(settings.inquiries, "inquiries")
    _check_positive(settings.notices, "notices")
    twilio = settings.twilio
    _check_positive(twilio, "twilio")
    if not twilio.api_base_url.startswith(("https://", "http://")):
        raise SettingsError("[twilio] api_base_url: expected an http(s):// URL")
    _check_audit(settings.audit)
    return settings


def _check_audit(audit: AuditSettings) -> None:
    """Checkpoints every N seconds (0: never), a witness reached over HTTP if any."""
    if audit.checkpoint_seconds < 0:
        raise SettingsError("[audit] checkpoint_seconds: 0 (never) or more")
    if audit.witness_url and not audit.witness_url.startswith(("https://", "http://")):
        raise SettingsError("[audit] witness_url: expected an http(s):// URL")
    if not audit.witness_timeout > 0:
        raise SettingsError("[audit] witness_timeout: expected seconds above 0")
    if audit.checkpoint_seconds and not audit.checkpoint_dir:
        raise SettingsError("[audit] checkpoint_dir: where serve writes its checkpoints")


def _check_state(state: StateSettings) -> None:
    """Deadlines and back-off of the shared state must be positive and in order."""
    for name in ("timeout", "reconnect_min", "reconnect_max"):
        if not getattr(state, name) > 0:
            raise SettingsError(f"[state] {name}: expected seconds above 0")
    if state.reconnect_max < state.reconnect_min:
        raise SettingsError("[state] reconnect_max: expected at least reconnect_min")
    if state.fallback_max_keys <= 0:
        raise SettingsError("[state] fallback_max_keys: must be positive")


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
