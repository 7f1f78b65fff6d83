"""Africa's Talking's dialect: a form POST with the whole history in ``text``; ``CON``/``END``.

``text`` is ``""`` on the first hop, then every answer so far joined by ``*``. The history
is never parsed as a path through the menus: the session's state remembers the history it
last answered, and the newest input is what follows it. The same history again is a
repeated callback, and gets the same screen.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import parse_qsl

import structlog
from aiohttp import web

from eligibility_gw.channels.ussd.bodies import BadRequest, phone, read_body, session_id, text_field
from eligibility_gw.channels.ussd.hops import (
    USSD_CHANNEL,
    Expired,
    Hop,
    Input,
    OutOfStep,
    Ports,
    Reading,
    Repeat,
    Start,
)
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

DIALECT = "africastalking"
MEDIA_TYPES = ("application/x-www-form-urlencoded",)
#: Longest history accepted: far beyond what a caller types in one 180 s session.
MAX_HISTORY = 2000
_MAX_FIELDS = 32


def read_history(text: str, seen: str | None) -> Reading:
    """The newest input: what follows the history answered last (``seen``)."""
    if seen is None:
        return Start("") if text == "" else Expired()
    if text == seen:
        return Repeat()
    if seen == "":
        return Input(text, text)
    prefix = seen + "*"
    if text.startswith(prefix):
        return Input(text[len(prefix) :], text)
    return OutOfStep()


def plain(text: str, end: bool, status: int = 200) -> web.Response:
    """The answer as Africa's Talking reads it."""
    return web.Response(
        text=f"{'END' if end else 'CON'} {text}",
        status=status,
        content_type="text/plain",
        charset="utf-8",
    )


def _form(body: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError:
        raise BadRequest(400, "the form has too many fields") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form and form[name] != value:
            raise BadRequest(400, f"{name} is given twice")
        form[name] = value
    return form


async def handle(request: web.Request) -> web.Response:
    """One hop."""
    ports = Ports.of(request)
    channel = request.app[USSD_CHANNEL]
    try:
        form = _form(await read_body(request, MEDIA_TYPES, channel.knobs.max_body_bytes))
        hop = Hop(
            DIALECT,
            session_id(form.get("sessionId"), "sessionId"),
            phone(form.get("phoneNumber"), "phoneNumber", ports.inquiries.pack.phone_region),
            partial(read_history, text_field(form.get("text"), "text", MAX_HISTORY).strip()),
        )
    except BadRequest as exc:
        log.info("ussd_bad_request", dialect=DIALECT, status=exc.status, detail=exc.detail)
        notice = Wording(ports.settings.default_language).t("ussd.end.bad_request")
        return plain(notice, end=True, status=exc.status)
    screen = await channel.serve(ports, hop)
    return plain(screen.text, screen.end)
