"""The USSD channel: declarative menus over the core, in Africa's Talking's and Hubtel's dialects.

``menu.py`` holds the menus as data, ``screens.py`` one class per kind of screen,
``engine.py`` walks them (state and newest input in, screen and state out), ``hops.py`` keeps
sessions (in the gateway's ``STATE``) and asks the core through ``backend.py`` (its
``Inquiries``: who may learn what, and how often, is decided there), and each dialect
module only translates its HTTP requests and answers.
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.ussd import africastalking, hubtel
from eligibility_gw.channels.ussd.checks import longest_wait, over_budget
from eligibility_gw.channels.ussd.hops import USSD_CHANNEL, UssdChannel
from eligibility_gw.channels.ussd.settings import ussd_settings
from eligibility_gw.edge import limit_body
from eligibility_gw.rulepacks import rule_pack_for
from eligibility_gw.settings import Settings, SettingsError
from eligibility_gw.shedding import SHEDDER
from eligibility_gw.wording import Wording

__all__ = ["mount"]


def mount(app: web.Application, settings: Settings) -> None:
    """Add ``/channels/ussd/africastalking`` and ``/channels/ussd/hubtel``."""
    knobs = ussd_settings(settings)
    channel = UssdChannel(knobs)
    too_long = over_budget(
        channel.engine,
        rule_pack_for(settings),
        settings.today(),
        settings.gateway.languages,
        longest_wait(settings.inquiries),
    )
    if too_long:
        first = too_long[0]
        raise SettingsError(
            f"[channels.ussd] the {first.language} screen {first.screen!r} does not fit "
            f"{knobs.ucs2_budget} UCS-2 / {knobs.gsm7_budget} GSM-7 characters; "
            "raise the budget or shorten its text"
        )
    ussd = web.Application(client_max_size=knobs.max_body_bytes)
    ussd[USSD_CHANNEL] = channel
    ussd.router.add_post("/africastalking", africastalking.handle)
    ussd.router.add_post("/hubtel", hubtel.handle)
    app.add_subapp("/channels/ussd", ussd)
    language = settings.default_language

    async def busy(request: web.Request, retry_after: int) -> web.StreamResponse:
        """At capacity: end the session politely, in the dialect the operator speaks."""
        text = Wording(language).t("ussd.end.unavailable")
        if request.path.endswith("/hubtel"):
            return web.json_response({"Type": "Release", "Message": text})
        return web.Response(text=f"END {text}", content_type="text/plain")

    app[SHEDDER].register("/channels/ussd/", busy)

    def too_large(request: web.Request, _max_bytes: int) -> web.StreamResponse:
        """A body over the limit ends the session politely, in the operator's dialect (413)."""
        text = Wording(language).t("ussd.end.bad_request")
        if request.path.endswith("/hubtel"):
            return hubtel.reply(text, end=True, status=413)
        return africastalking.plain(text, end=True, status=413)

    limit_body(app, "/channels/ussd/", knobs.max_body_bytes, too_large)
