"""Channels: one folder per transport, translating it to and from the core.

Each channel package exposes ``mount(app, settings)``, which adds its routes (usually as a
sub-application) and its clean-up contexts, and reads the ports it needs from the app
(``eligibility_gw.appkeys``) when a request comes. Registration is explicit: ``CHANNELS``.
A channel reads its knobs from ``[channels.NAME]`` and is skipped when ``enabled = false``.
"""

from __future__ import annotations

# aiohttp's ``web`` module is not imported by that name here: the channel sub-packages
# (``channels.web`` among them) become attributes of this package.
from aiohttp.web import Application

from eligibility_gw.app import Mount, create_app
from eligibility_gw.channels import sms, ussd
from eligibility_gw.channels.console import mount as mount_console
from eligibility_gw.channels.telegram import mount as mount_telegram
from eligibility_gw.channels.web import mount as mount_web
from eligibility_gw.gateway import Gateway
from eligibility_gw.settings import Settings

CHANNELS: dict[str, Mount] = {
    "web": mount_web,
    "sms": sms.mount,
    "ussd": ussd.mount,
    "telegram": mount_telegram,
    "console": mount_console,
}


def enabled_channels(settings: Settings) -> dict[str, Mount]:
    """The channels ``settings`` leave on, by name."""
    return {
        name: mount
        for name, mount in CHANNELS.items()
        if settings.channel(name).get("enabled", True) is not False
    }


def gateway_app(settings: Settings, gateway: Gateway | None = None) -> Application:
    """The whole gateway: the core's app with every enabled channel mounted."""
    return create_app(settings, gateway, enabled_channels(settings).values())
