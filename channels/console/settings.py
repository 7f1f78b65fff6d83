"""Knobs of the call-centre console: ``[channels.console]``, and the key they live under."""

from __future__ import annotations

from dataclasses import dataclass, fields

from aiohttp import web

from eligibility_gw.settings import Settings, SettingsError, parse_section


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """Service level, sessions and sign-in limits of the staff pages."""

    enabled: bool = True
    #: Hours from a dispute's opening (or reopening) to its due time.
    service_level_hours: int = 48
    #: Absolute lifetime of a staff session; signing in again starts a new one.
    session_minutes: int = 480
    #: Failed sign-ins per account name within the window before further attempts at that
    #: account are refused for the rest of the window.
    signin_failures: int = 5
    #: The same per client address, higher: a whole call centre may reach the gateway from
    #: one address, and one mistyping agent must not lock everybody out.
    signin_failures_per_address: int = 30
    signin_window_minutes: int = 15
    #: Whether the session cookie needs HTTPS (``__Host-`` name, Secure flag).
    cookie_secure: bool = True
    #: Shortest password ``staff add`` accepts.
    password_min_length: int = 12
    #: Rows per page of lists (disputes, access log).
    page_size: int = 50
    #: Days the supervisor dashboard covers.
    dashboard_days: int = 30
    #: The hotline the outcome SMS of a dispute names for questions.
    hotline: str = "1420"


#: The console's knobs on its sub-application.
CONSOLE_SETTINGS = web.AppKey("console_settings", ConsoleSettings)


def console_settings(settings: Settings) -> ConsoleSettings:
    """Read and check ``[channels.console]``."""
    s = parse_section(ConsoleSettings, settings.channel("console"), "channels.console")
    for f in fields(ConsoleSettings):
        value = getattr(s, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            raise SettingsError(f"[channels.console] {f.name}: must be positive")
    if s.dashboard_days > 366:
        raise SettingsError("[channels.console] dashboard_days: at most 366")
    if not s.hotline.strip() or len(s.hotline) > 20:
        raise SettingsError("[channels.console] hotline: a number of 1 to 20 characters")
    return s
