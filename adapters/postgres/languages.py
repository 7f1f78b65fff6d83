"""PostgreSQL ``LanguagePreferences``: the language each phone chose (migration 0008).

The preferences use the gateway store's pool, which the store closes; ``close`` releases
nothing.
"""

from __future__ import annotations

import asyncpg

from eligibility_gw.adapters.postgres.database import unavailable
from eligibility_gw.ports.languages import LanguagePreference


class PostgresLanguagePreferences:
    """The PostgreSQL implementation of ``ports.languages.LanguagePreferences``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def get(self, phone: str) -> LanguagePreference | None:
        """The phone's preference."""
        async with self._pool.acquire() as conn:
            r = await conn.fetchrow(
                "SELECT phone, language, channel, chosen_at FROM language_preference"
                " WHERE phone = $1",
                phone,
            )
        if r is None:
            return None
        return LanguagePreference(r["phone"], r["language"], r["channel"], r["chosen_at"])

    @unavailable
    async def set(self, preference: LanguagePreference) -> None:
        """Keep the preference, replacing the phone's earlier one."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO language_preference (phone, language, channel, chosen_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (phone) DO UPDATE SET"
                " language = excluded.language, channel = excluded.channel,"
                " chosen_at = excluded.chosen_at",
                preference.phone,
                preference.language,
                preference.channel,
                preference.chosen_at,
            )

    @unavailable
    async def forget(self, phone: str) -> bool:
        """Remove the phone's preference."""
        async with self._pool.acquire() as conn:
            status = await conn.execute("DELETE FROM language_preference WHERE phone = $1", phone)
        return int(status.rsplit(" ", 1)[-1]) > 0

    async def close(self) -> None:
        """Nothing to release: the pool is the store's."""
