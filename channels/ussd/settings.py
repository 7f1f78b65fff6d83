"""Knobs of the USSD channel: ``[channels.ussd]``."""

from __future__ import annotations

from dataclasses import dataclass, fields

from eligibility_gw.settings import Settings, SettingsError, moved_settings, parse_section
from eligibility_gw.textbudget import USSD_GSM7_BUDGET

#: The screen limits a USSD string can hold at most (160 bytes): GSM-7 and UCS-2 characters.
_MAX_GSM7 = USSD_GSM7_BUDGET
_MAX_UCS2 = 91
#: Far below any gateway's cap; whether the shipped texts fit is checked when the app starts.
_MIN_GSM7 = 60
_MIN_UCS2 = 40


@dataclass(frozen=True, slots=True)
class UssdSettings:
    """Screen budget, session life, patience and rate limits of the USSD menus."""

    enabled: bool = True
    #: Characters a screen may hold when its text is not GSM-7 (Persian: UCS-2).
    ucs2_budget: int = 80
    #: Characters a screen may hold when its text is GSM-7.
    gsm7_budget: int = USSD_GSM7_BUDGET
    #: Seconds a session's state lives after its latest hop (operators end sessions at 180 s).
    session_ttl: int = 180
    #: Invalid answers in a row that end the session.
    max_invalid: int = 3
    #: Most entries on one page of a list (fewer when the text budget is reached first).
    page_size: int = 7
    #: Hops one phone may make per minute: a flood guard of the transport. How many answers
    #: anyone may get is the core's (``[inquiries]``), for every channel together.
    hops_per_minute: int = 40
    #: Seconds a hop may take before the session is ended politely (operators allow 15).
    hop_timeout: int = 8
    #: Largest request body accepted.
    max_body_bytes: int = 16 * 1024
    #: Days a phone's chosen language is remembered (0: only for the session).
    language_memory_days: int = 90
    #: The hotline named to unknown phones (how to register the phone).
    hotline: str = "1420"

    def __post_init__(self) -> None:
        if not _MIN_UCS2 <= self.ucs2_budget <= _MAX_UCS2:
            raise SettingsError(
                f"[channels.ussd] ucs2_budget: between {_MIN_UCS2} and {_MAX_UCS2} characters"
            )
        if not _MIN_GSM7 <= self.gsm7_budget <= _MAX_GSM7:
            raise SettingsError(
                f"[channels.ussd] gsm7_budget: between {_MIN_GSM7} and {_MAX_GSM7} characters"
            )
        if not 1 <= self.hop_timeout <= 14:
            raise SettingsError("[channels.ussd] hop_timeout: 1 to 14 seconds (operators wait 15)")
        positive = (
            "session_ttl",
            "max_invalid",
            "page_size",
            "hops_per_minute",
            "max_body_bytes",
        )
        for f in fields(self):
            if f.name in positive and getattr(self, f.name) < 1:
                raise SettingsError(f"[channels.ussd] {f.name}: must be at least 1")
        if self.language_memory_days < 0:
            raise SettingsError("[channels.ussd] language_memory_days: must not be negative")
        hotline = self.hotline
        if (
            not hotline
            or not hotline.isascii()
            or not all(c.isdigit() or c in "+*#" for c in hotline)
        ):
            raise SettingsError("[channels.ussd] hotline: digits (and + * #), not empty")


#: Knobs that became the core's when quotas moved there (issue #15), and where they are now.
MOVED = {
    "answers_per_hour": "[inquiries] insured_per_hour",
    "asks_per_national_id_per_hour": "[inquiries] provider_per_national_id",
}


def ussd_settings(settings: Settings) -> UssdSettings:
    """Read ``[channels.ussd]``; a knob that moved to the core is refused with its new place."""
    table = moved_settings(settings.channel("ussd"), "channels.ussd", MOVED)
    return parse_section(UssdSettings, table, "channels.ussd")
