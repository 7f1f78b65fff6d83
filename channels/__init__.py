"""Channels: one folder per transport, translating it to and from the core.

Each channel package exposes ``mount(app, settings)``, which adds its routes (usually as a
sub-application) and its clean-up contexts. Registration is explicit: ``CHANNELS`` below.
A channel reads its knobs from ``[channels.NAME]`` and is skipped when ``enabled = false``.
"""

from __future__ import annotations

from collections.abc import Callable

# aiohttp's ``web`` module is not imported by that name here: the channel sub-packages
# (``channels.web`` among them) become attributes of this package.
from aiohttp.web import Application

from eligibility_gw.channels import sms, ussd
from eligibility_gw.channels.console import mount as mount_console
from eligibility_gw.channels.telegram import mount as mount_telegram
from eligibility_gw.channels.web import mount as mount_web
from eligibility_gw.settings import Settings

Mount = Callable[[Application, Settings], None]

CHANNELS: dict[str, Mount] = {
    "web": mount_web,
    "sms": sms.mount,
    "ussd": ussd.mount,
    "telegram": mount_telegram,
    "console": mount_console,
}


def mount_channels(app: Application, settings: Settings) -> list[str]:
    """Mount every enabled channel; return their names."""
    mounted = []
    for name, mount in CHANNELS.items():
        if settings.channel(name).get("enabled", True) is False:
            continue
        mount(app, settings)
        mounted.append(name)
    return mounted
