"""Knobs of the web channel: ``[channels.web]``."""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.settings import Settings, parse_section


@dataclass(frozen=True, slots=True)
class WebSettings:
    """Limits of the provider API and pages."""

    enabled: bool = True
    #: Requests a provider key may make per minute: inquiries (API, FHIR, pages) and
    #: look-ups of recorded answers and batches.
    requests_per_minute: int = 600
    #: Batch inquiries a provider may send per hour.
    batches_per_hour: int = 30
    #: Inquiries about one national id per window, by every provider together (API, FHIR,
    #: pages and batch items alike).
    inquiries_per_national_id: int = 20
    national_id_window_seconds: int = 3600
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
    """Read ``[channels.web]``."""
    return parse_section(WebSettings, settings.channel("web"), "channels.web")
