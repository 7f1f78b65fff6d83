"""SQLite ``LanguagePreferences``: the language each phone chose (migration 0011)."""

from __future__ import annotations

from datetime import UTC, datetime

from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.ports.languages import LanguagePreference


class SqliteLanguagePreferences:
    """The SQLite implementation of ``ports.languages.LanguagePreferences``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @unavailable
    async def get(self, phone: str) -> LanguagePreference | None:
        """The phone's preference."""
        r = await self._db.fetchone(
            "SELECT phone, language, channel, chosen_at FROM language_preference WHERE phone = ?",
            (phone,),
        )
        if r is None:
            return None
        return LanguagePreference(str(r[0]), str(r[1]), str(r[2]), datetime.fromisoformat(r[3]))

    @unavailable
    async def set(self, preference: LanguagePreference) -> None:
        """Keep the preference, replacing the phone's earlier one."""
        await self._db.execute(
            "INSERT INTO language_preference (phone, language, channel, chosen_at)"
            " VALUES (?,?,?,?) ON CONFLICT (phone) DO UPDATE SET language = excluded.language,"
            " channel = excluded.channel, chosen_at = excluded.chosen_at",
            (
                preference.phone,
                preference.language,
                preference.channel,
                preference.chosen_at.astimezone(UTC).isoformat(),
            ),
        )

    @unavailable
    async def forget(self, phone: str) -> bool:
        """Remove the phone's preference."""
        removed = await self._db.execute(
            "DELETE FROM language_preference WHERE phone = ?", (phone,)
        )
        return removed > 0

    async def close(self) -> None:
        """Nothing of its own to release: the database is closed by the store."""
