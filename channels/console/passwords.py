"""Staff passwords: Argon2id hashes (memory-hard), verified off the event loop.

Verifying takes a fifth of a second and 64 MiB on purpose; it runs in a worker thread so
the gateway keeps answering meanwhile. An unknown account name is verified against a dummy
hash, so the time taken does not tell which names exist.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile (t=3, m=64 MiB, p=4).
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The encoded Argon2id hash of ``password`` (salt and parameters included)."""
    return _HASHER.hash(password)


def password_matches(encoded: str, password: str) -> bool:
    """Say whether ``password`` is the one ``encoded`` was made from."""
    try:
        return _HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """Say whether ``encoded`` was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not the password of anyone")


async def check_password(encoded: str | None, password: str) -> bool:
    """Verify in a worker thread; an absent account costs the same time and fails."""
    if encoded is None:
        await asyncio.to_thread(lambda: password_matches(_dummy_hash(), password))
        return False
    return await asyncio.to_thread(password_matches, encoded, password)
