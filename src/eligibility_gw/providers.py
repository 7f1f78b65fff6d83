"""Provider API keys: drawn once, shown once, kept only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

from eligibility_gw.domain.provider import Provider
from eligibility_gw.ports import Providers

KEY_PREFIX = "egw_"
PROVIDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def new_api_key() -> str:
    """A fresh API key: 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The stored form of a key. Keys are random, so a plain SHA-256 cannot be guessed back."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def authenticate(providers: Providers, key: str) -> Provider | None:
    """The provider owning ``key`` (active or not), or None."""
    if not key or len(key) > 256:
        return None
    return await providers.by_key_hash(hash_api_key(key))
