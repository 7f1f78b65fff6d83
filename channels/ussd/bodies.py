"""Read what a USSD gateway sends, refusing anything malformed with a 4xx and a reason."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.phones import InvalidPhone, normalise_phone

#: Longest session id and phone field accepted (gateways send far shorter ones).
MAX_ID_LENGTH = 128


class BadRequest(Exception):
    """The request cannot be read; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


async def read_body(request: web.Request, media_types: tuple[str, ...], max_bytes: int) -> str:
    """The body as text, when of an accepted media type, small enough and valid UTF-8."""
    if request.content_type.lower() not in media_types:
        raise BadRequest(415, f"send the body as {' or '.join(media_types)}")
    if (request.content_length or 0) > max_bytes:
        raise BadRequest(413, f"the body may hold at most {max_bytes} bytes")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise BadRequest(413, f"the body may hold at most {max_bytes} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "the body is not valid UTF-8") from None


def session_id(value: object, name: str) -> str:
    """A gateway's session id: printable ASCII, not empty, not huge."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(400, f"{name} is missing")
    value = value.strip()
    if len(value) > MAX_ID_LENGTH or not value.isascii() or not value.isprintable():
        raise BadRequest(400, f"{name} is not a session id")
    return value


def phone(value: object, name: str, region: str, international: bool = False) -> str:
    """The caller's number in E.164.

    ``international`` reads a number of digits only as written with its country code
    (Hubtel sends ``233244000000``).
    """
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(400, f"{name} is missing")
    raw = value.strip()
    if len(raw) > MAX_ID_LENGTH:
        raise BadRequest(400, f"{name} is not a phone number")
    if international and raw.isascii() and raw.isdigit() and not raw.startswith("0"):
        raw = "+" + raw
    try:
        return normalise_phone(raw, region)
    except InvalidPhone:
        raise BadRequest(400, f"{name} is not a phone number") from None


def text_field(value: object, name: str, max_length: int) -> str:
    """A text field that may be absent (empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(400, f"{name} must be text")
    if len(value) > max_length:
        raise BadRequest(400, f"{name} is too long")
    return value
