"""Knobs of the Telegram channel: ``[channels.telegram]``."""

from __future__ import annotations

from dataclasses import dataclass, fields

from eligibility_gw.settings import Settings, SettingsError, moved_settings, parse_section

#: Where the channel's routes live; the webhook path must lie under it.
PREFIX = "/channels/telegram"
#: The Bot API; tests and staging point ``api_base_url`` at a fake of it.
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILE_API = "https://api.telegram.org/file/bot"
#: Knobs the inquiry policy took over (issue #15): where each one lives now.
MOVED = {"inquiries_per_national_id": "[inquiries] provider_per_national_id"}


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Bot account, webhook, limits and menus of the Telegram channel (secrets from the env)."""

    enabled: bool = True
    #: Environment variable holding the bot token; empty or unset: the channel is off.
    token_env: str = "TELEGRAM_BOT_TOKEN"  # noqa: S105 (a variable's name, not a secret)
    #: Environment variable holding the webhook secret (1-256 of ``A-Za-z0-9_-``).
    secret_env: str = "TELEGRAM_WEBHOOK_SECRET"  # noqa: S105 (a variable's name)
    api_base_url: str = TELEGRAM_API
    api_file_base_url: str = TELEGRAM_FILE_API
    #: The webhook route, under /channels/telegram/.
    webhook_path: str = PREFIX + "/webhook"
    #: The hotline named to phones not on file and in error messages.
    hotline: str = "1420"
    #: Updates (messages, button taps) one phone or chat may send per window: a flood
    #: guard of the transport. How many answers anyone gets is ``[inquiries]``'s to say.
    updates_per_sender: int = 60
    rate_window_seconds: int = 3600
    #: How long an ``update_id`` is remembered so that a redelivery is not answered again.
    dedup_seconds: int = 24 * 3600
    #: Seconds the bot waits for a national id or a tracking code after asking for it.
    pending_seconds: int = 600
    #: Family members per page of inline buttons.
    page_size: int = 6
    #: Largest webhook request accepted (updates are a few kB).
    max_request_bytes: int = 256 * 1024

    @property
    def webhook_route(self) -> str:
        """The webhook path inside the channel's sub-application."""
        return self.webhook_path.removeprefix(PREFIX)


def telegram_settings(settings: Settings) -> TelegramSettings:
    """Read and check ``[channels.telegram]``; a knob that moved names its new place."""
    table = moved_settings(settings.channel("telegram"), "channels.telegram", MOVED)
    s = parse_section(TelegramSettings, table, "channels.telegram")
    for f in fields(TelegramSettings):
        value = getattr(s, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            raise SettingsError(f"[channels.telegram] {f.name}: must be positive")
    for name in ("api_base_url", "api_file_base_url"):
        if not getattr(s, name).startswith(("https://", "http://")):
            raise SettingsError(f"[channels.telegram] {name}: expected an http(s):// URL")
    route = s.webhook_route
    if not s.webhook_path.startswith(PREFIX + "/") or len(route) < 2 or "{" in route:
        raise SettingsError(
            f"[channels.telegram] webhook_path: a fixed path under {PREFIX}/, e.g. {PREFIX}/webhook"
        )
    if not 1 <= s.page_size <= 20:
        raise SettingsError("[channels.telegram] page_size: 1 to 20 buttons")
    if not s.token_env or not s.secret_env:
        raise SettingsError("[channels.telegram] token_env, secret_env: name the variables")
    return s
