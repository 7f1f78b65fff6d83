"""Hubtel's dialect: JSON with the newest input only; ``Response`` or ``Release``.

Hubtel numbers the hops of a session (``Sequence``): the same number again is a repeated
callback and gets the same screen. ``release`` and ``timeout`` end the session.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import structlog
from aiohttp import web

from eligibility_gw.channels.ussd.bodies import BadRequest, phone, read_body, session_id, text_field
from eligibility_gw.channels.ussd.hops import (
    USSD_CHANNEL,
    Expired,
    Hangup,
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

DIALECT = "hubtel"
MEDIA_TYPES = ("application/json",)
TYPES = frozenset({"initiation", "response", "release", "timeout"})
MAX_MESSAGE = 500


def read_sequence(kind: str, sequence: str, message: str, seen: str | None) -> Reading:
    """The newest input, unless this hop (by its sequence number) was answered already."""
    if kind in ("release", "timeout"):
        return Hangup()
    if kind == "initiation":
        if seen is None or not sequence or not seen:
            return Start(sequence)
        if sequence == seen:
            return Repeat()
        # A late copy of the first hop must not restart a session that has moved on.
        return OutOfStep() if int(sequence) < int(seen) else Start(sequence)
    if seen is None:
        return Expired()
    if sequence and sequence == seen:
        return Repeat()
    if sequence and seen and int(sequence) < int(seen):
        return OutOfStep()
    return Input(message, sequence)


def reply(text: str, end: bool, status: int = 200) -> web.Response:
    """The answer as Hubtel reads it."""
    body = {"Type": "Release" if end else "Response", "Message": text}
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def _sequence(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise BadRequest(400, "Sequence must be a number")
    if isinstance(value, int) and 0 <= value < 10**9:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return str(int(value))
    raise BadRequest(400, "Sequence must be a number")


def _json(body: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, a number too long, nested too deep
        raise BadRequest(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return data


async def handle(request: web.Request) -> web.Response:
    """One hop."""
    ports = Ports.of(request)
    channel = request.app[USSD_CHANNEL]
    try:
        data = _json(await read_body(request, MEDIA_TYPES, channel.knobs.max_body_bytes))
        kind = data.get("Type")
        if not isinstance(kind, str) or kind.lower() not in TYPES:
            raise BadRequest(400, "Type must be initiation, response, release or timeout")
        reader = partial(
            read_sequence,
            kind.lower(),
            _sequence(data.get("Sequence")),
            text_field(data.get("Message"), "Message", MAX_MESSAGE).strip(),
        )
        region = ports.inquiries.pack.phone_region
        hop = Hop(
            DIALECT,
            session_id(data.get("SessionId"), "SessionId"),
            phone(data.get("Mobile"), "Mobile", region, international=True),
            reader,
        )
    except BadRequest as exc:
        log.info("ussd_bad_request", dialect=DIALECT, status=exc.status, detail=exc.detail)
        notice = Wording(ports.settings.default_language).t("ussd.end.bad_request")
        return reply(notice, end=True, status=exc.status)
    screen = await channel.serve(ports, hop)
    return reply(screen.text, screen.end)
