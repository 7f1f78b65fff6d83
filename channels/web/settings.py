"""Knobs of the web channel: ``[channels.web]``."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.settings import Settings, parse_section


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Limits of the provider API and pages."""

    enabled: bool = True
    #: Inquiries a provider key may make per minute (single and batch items alike).
    requests_per_minute: int = 600
    #: Batch inquiries a provider may send per hour.
    batches_per_hour: int = 30
    batch_max_items: int = 10_000
    batch_max_bytes: int = 8 * 1024 * 1024
    #: Body limit of every other API request.
    max_body_bytes: int = 64 * 1024
    #: Provider page sessions: lifetime, and whether the cookie needs HTTPS.
    session_minutes: int = 480
    cookie_secure: bool = True


def web_settings(settings: Settings) -> WebSettings:
    """Read ``[channels.web]``."""
    return parse_section(WebSettings, settings.channel("web"), "channels.web")
