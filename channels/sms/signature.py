"""Twilio's request signature, checked over every posted field and the public URL."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiDictProxy
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

#: A base64 HMAC-SHA256 is 44 characters; anything far longer is not a signature.
_MAX_SIGNATURE = 128


def public_url(public_base_url: str, request: web.Request) -> str:
    """The URL Twilio called: the public base (TLS ends at a proxy) and the request's path."""
    return public_base_url.rstrip("/") + str(request.rel_url)


def signature_problem(
    auth_token: str, url: str, form: MultiDictProxy[str], request: web.Request
) -> str | None:
    """Why the request is not Twilio's (``missing``, ``invalid``), or None when it is."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return "missing"
    if len(signature) > _MAX_SIGNATURE:
        return "invalid"
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    valid = RequestValidator(auth_token).validate(url, form, signature, algorithm=algorithm)
    return None if valid else "invalid"
