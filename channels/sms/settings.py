"""Knobs of the SMS channel: ``[channels.sms]``.

The Twilio account moved to ``[twilio]``, the quotas to ``[inquiries]`` and the check notices
to ``[notices]``: one of those keys left here stops the gateway at start-up, naming its place.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from eligibility_gw.settings import Settings, SettingsError, moved_settings, parse_section

#: Keys ``[channels.sms]`` once had, and where each lives now.
MOVED = {
    "account_sid": "[twilio] account_sid",
    "auth_token_env": "[twilio] auth_token_env",
    "from_number": "[twilio] from_number",
    "messaging_service_sid": "[twilio] messaging_service_sid",
    "api_base_url": "[twilio] api_base_url",
    "send_timeout_ms": "[twilio] send_timeout_ms",
    "send_attempts": "[twilio] send_attempts",
    "retry_backoff_ms": "[twilio] retry_backoff_ms",
    "inquiries_per_national_id": "[inquiries] provider_per_national_id",
    "notify_checked": "[notices] check_notices",
    "notice_reply_days": "[notices] reply_days",
}


@dataclass(frozen=True, slots=True)
class SmsSettings:
    """The SMS channel's own knobs: its hotline, its flood guard, its webhook limits."""

    enabled: bool = True
    #: The hotline named in refusals and in the thanks for a reported check.
    hotline: str = "1420"
    #: Messages one sender phone may send per window (every message but a NO to a notice).
    inquiries_per_sender: int = 10
    rate_window_seconds: int = 3600
    #: How long a ``MessageSid`` is remembered to give a redelivery the same reply.
    dedup_seconds: int = 24 * 3600
    #: Time to answer a webhook (Twilio gives up after 15 s).
    reply_timeout_ms: int = 10_000
    #: Largest webhook request accepted (Twilio's are a few kB).
    max_request_bytes: int = 64 * 1024


def sms_settings(settings: Settings) -> SmsSettings:
    """Read and check ``[channels.sms]``."""
    table = moved_settings(settings.channel("sms"), "channels.sms", MOVED)
    s = parse_section(SmsSettings, table, "channels.sms")
    for f in fields(SmsSettings):
        value = getattr(s, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            raise SettingsError(f"[channels.sms] {f.name}: must be positive")
    if s.reply_timeout_ms >= 15_000:
        raise SettingsError("[channels.sms] reply_timeout_ms: Twilio waits 15 s at most")
    return s
