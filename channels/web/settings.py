"""Knobs of the web channel: ``[channels.web]``.

How many answers a provider may get is no web knob: ``[inquiries]`` counts every channel
together. Its old web keys fail at start-up, naming where they went.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.settings import Settings, moved_settings, parse_section

#: Keys that moved to the core's ``[inquiries]``, and where each went.
MOVED = {
    "requests_per_minute": "[inquiries] provider_per_minute",
    "inquiries_per_national_id": (
        "[inquiries] provider_per_national_id (one provider's checks of one person) and "
        "national_id_ceiling (all providers' together)"
    ),
    "national_id_window_seconds": "[inquiries] national_id_window_seconds",
}


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Limits of the provider API and pages."""

    enabled: bool = True
    #: Batch inquiries a provider may send per hour (each item is an answer as well, counted
    #: by ``[inquiries]``).
    batches_per_hour: int = 30
    batch_max_items: int = 10_000
    batch_max_bytes: int = 8 * 1024 * 1024
    #: Body limit of every other API request.
    max_body_bytes: int = 64 * 1024
    #: Provider page sessions: lifetime, and whether the cookie needs HTTPS.
    session_minutes: int = 480
    cookie_secure: bool = True
    #: Failed sign-ins to the provider pages one client address may make in the window
    #: before it is refused for the rest of the window.
    signin_failures: int = 10
    signin_window_minutes: int = 15


def web_settings(settings: Settings) -> WebSettings:
    """Read ``[channels.web]``; ``SettingsError`` for a key that moved to ``[inquiries]``."""
    table = moved_settings(settings.channel("web"), "channels.web", MOVED)
    return parse_section(WebSettings, table, "channels.web")
