"""The console as a page set of the kit: its knobs, its pages' rendering, its error pages."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.console.settings import CONSOLE_SETTINGS, ConsoleSettings
from eligibility_gw.channels.pages.frame import Frame, Site
from eligibility_gw.channels.pages.rendering import render
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.ports.casework import StaffAccount

__all__ = ["BASE", "CONSOLE", "console_settings_of", "render"]


def console_settings_of(request: web.Request) -> ConsoleSettings:
    """The console's knobs."""
    return request.config_dict[CONSOLE_SETTINGS]


CONSOLE: Site[StaffAccount] = Site(
    "console",
    "eligibility_gw.channels.console",
    turned_away="console.signin.disabled",
    knobs=console_settings_of,
    frame_type=Frame,
    language_of=language_of,
)
BASE = CONSOLE.base
