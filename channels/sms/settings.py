"""Knobs of the SMS channel: ``[channels.sms]``."""

from __future__ import annotations

from dataclasses import dataclass, fields

from eligibility_gw.settings import Settings, SettingsError, parse_section

#: Twilio's REST API; tests and staging point ``api_base_url`` at a fake of it.
TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """Twilio account, limits and notices of the SMS channel (secrets come from the env)."""

    enabled: bool = True
    #: The account's SID (``AC…``): not a secret; the auth token is read from ``auth_token_env``.
    account_sid: str = ""
    auth_token_env: str = "TWILIO_AUTH_TOKEN"  # noqa: S105 (a variable's name, not a secret)
    #: Sender of outbound SMS: a number (``+98…``, a short code) or a messaging service SID.
    from_number: str = ""
    messaging_service_sid: str = ""
    api_base_url: str = TWILIO_API
    #: The hotline named in refusals and in the thanks for a reported check.
    hotline: str = "1420"
    #: Messages one sender phone may send per window (every message counts).
    inquiries_per_sender: int = 10
    #: Inquiries about one national id per window, whoever asks.
    inquiries_per_national_id: int = 5
    rate_window_seconds: int = 3600
    #: How long a ``MessageSid`` is remembered to give a redelivery the same reply.
    dedup_seconds: int = 24 * 3600
    #: Time to answer a webhook (Twilio gives up after 15 s).
    reply_timeout_ms: int = 10_000
    #: Time for one outbound attempt, attempts in all, and the first back-off (doubling).
    send_timeout_ms: int = 10_000
    send_attempts: int = 3
    retry_backoff_ms: int = 500
    #: Largest webhook request accepted (Twilio's are a few kB).
    max_request_bytes: int = 64 * 1024
    #: Tell insured people by SMS when a provider checked their cover; they may reply NO.
    notify_checked: bool = False
    #: Days during which a NO refers to the latest check notice sent to that phone.
    notice_reply_days: int = 30

    @property
    def configured_for_sending(self) -> bool:
        """Say whether outbound SMS has an account and a sender."""
        return bool(self.account_sid and (self.from_number or self.messaging_service_sid))


def sms_settings(settings: Settings) -> SmsSettings:
    """Read and check ``[channels.sms]``."""
    s = parse_section(SmsSettings, settings.channel("sms"), "channels.sms")
    for f in fields(SmsSettings):
        value = getattr(s, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            raise SettingsError(f"[channels.sms] {f.name}: must be positive")
    if not s.api_base_url.startswith(("https://", "http://")):
        raise SettingsError("[channels.sms] api_base_url: expected an http(s):// URL")
    if s.reply_timeout_ms >= 15_000:
        raise SettingsError("[channels.sms] reply_timeout_ms: Twilio waits 15 s at most")
    return s
