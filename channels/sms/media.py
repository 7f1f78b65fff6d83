"""MMS: the first picture (or PDF) of a message, fetched from Twilio with the account's keys.

Twilio posts ``NumMedia`` and, for each medium, ``MediaUrl<N>`` and ``MediaContentType<N>``.
The URL is fetched only when it lies under the configured Twilio API (``[twilio]
api_base_url``) and the account's own messages: the webhook's fields are signed, but a
gateway that fetched any URL it is handed would be a way into its network. The account's
credentials go to Twilio only; a redirect to Twilio's file store is followed without them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from multidict import MultiDictProxy

from eligibility_gw.uploads import UploadRefused

_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class MediaUnavailable(Exception):
    """The medium could not be fetched (refused address, HTTP error, timeout)."""


@dataclass(frozen=True, slots=True)
class MediaRef:
    """The first medium of an MMS: where Twilio keeps it, and the type Twilio says it has."""

    url: str
    content_type: str
    count: int


def media_of(form: MultiDictProxy[str]) -> MediaRef | None:
    """The first medium the message carries, or None (a plain SMS)."""
    raw = form.get("NumMedia", "0")
    count = int(raw) if raw.isascii() and raw.isdigit() else 0
    url = form.get("MediaUrl0", "")
    if count < 1 or not url:
        return None
    return MediaRef(url, form.get("MediaContentType0", ""), count)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def allowed(url: str, api_base_url: str, account_sid: str) -> bool:
    """Say whether ``url`` is one of the account's media at the configured Twilio API."""
    if _origin(url) != _origin(api_base_url):
        return False
    path = urlsplit(url).path
    return bool(account_sid) and path.startswith(f"/2010-04-01/Accounts/{account_sid}/")


async def _read(response: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > limit:
        raise UploadRefused("too_large")
    content = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        content += chunk
        if len(content) > limit:
            raise UploadRefused("too_large")
    return bytes(content)


async def fetch_media(
    ref: MediaRef,
    *,
    account_sid: str,
    auth_token: str,
    api_base_url: str,
    limit: int,
    within: float,
) -> bytes:
    """The medium's bytes; ``UploadRefused("too_large")`` past ``limit``,
    ``MediaUnavailable`` for an address not Twilio's, a failed fetch, or none within
    ``within`` seconds."""
    if not allowed(ref.url, api_base_url, account_sid):
        raise MediaUnavailable("not a medium of this account")
    headers: dict[str, str] | None = {
        "Authorization": aiohttp.encode_basic_auth(account_sid, auth_token)
    }
    url = ref.url
    try:
        async with asyncio.timeout(within), aiohttp.ClientSession() as session:
            for _ in range(_MAX_REDIRECTS + 1):
                async with session.get(url, headers=headers, allow_redirects=False) as response:
                    if response.status in _REDIRECTS and "Location" in response.headers:
                        url = urljoin(url, response.headers["Location"])
                        if urlsplit(url).scheme != "https" and _origin(url) != _origin(
                            api_base_url
                        ):
                            raise MediaUnavailable("redirected off HTTPS")
                        if _origin(url) != _origin(api_base_url):
                            headers = None  # the credentials are Twilio's API's only
                        continue
                    if response.status != 200:
                        raise MediaUnavailable(f"HTTP {response.status}")
                    return await _read(response, limit)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise MediaUnavailable(type(exc).__name__) from exc
    raise MediaUnavailable("too many redirects")
