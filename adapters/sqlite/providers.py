"""SQLite ``Providers``: registered establishments and the hashes of their API keys."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

from eligibility_gw.adapters import rows
from eligibility_gw.adapters.errors import problem_of
from eligibility_gw.adapters.sqlite.database import SQLITE_ERRORS, SqliteDatabase, unavailable
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.ports import FeedOutcome, ProviderFeedRow, StoreUnavailable

#: The clock the key cache is timed by (a module attribute, so tests can set the time).
clock = time.monotonic
#: How long a provider found by its key is kept in the process (seconds), and how many are.
KEY_CACHE_SECONDS = 2.0
KEY_CACHE_SIZE = 10_000
_PROVIDER_COLUMNS = rows.select(rows.PROVIDER_COLUMNS)


class SqliteProviders:
    """Registered providers."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._by_key: dict[str, tuple[float, Provider]] = {}

    @unavailable
    async def add(
        self, provider_id: str, name: str, kind: ProviderKind, phone: str | None, key_hash: str
    ) -> Provider:
        """Register a provider; ``ValueError`` when the id is taken."""
        now = datetime.now(UTC).isoformat()
        try:
            await self._db.execute(
                "INSERT INTO provider (provider_id, name, kind, phone, key_hash, active,"
                " created_at) VALUES (?,?,?,?,?,1,?)",
                (provider_id, name, kind.value, phone, key_hash, now),
            )
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"provider {provider_id!r} exists already") from exc
        found = await self._one("provider_id = ?", provider_id)
        assert found is not None
        return found

    async def _one(self, where: str, value: str) -> Provider | None:
        row = await self._db.fetchone(
            f"SELECT {_PROVIDER_COLUMNS} FROM provider WHERE {where}", (value,)
        )
        return rows.provider(row) if row else None

    @unavailable
    async def get(self, provider_id: str) -> Provider | None:
        """One provider by id."""
        return await self._one("provider_id = ?", provider_id)

    async def by_key_hash(self, key_hash: str) -> Provider | None:
        """The provider whose key hashes to ``key_hash``.

        Every API call asks this, so a found provider is kept for ``KEY_CACHE_SECONDS``:
        a change made through this store takes effect at once, one made by another process
        (``eligibility-gw providers deactivate``) within that time. Unknown keys are never
        kept, so a provider added elsewhere is known at once and random keys fill nothing.
        """
        now = clock()
        kept = self._by_key.get(key_hash)
        if kept is not None and kept[0] > now:
            return kept[1]
        try:
            found = await self._db.quick.fetchall(
                f"SELECT {_PROVIDER_COLUMNS} FROM provider WHERE key_hash = ?", (key_hash,)
            )
        except SQLITE_ERRORS as exc:  # inline, not decorated: this is the answer path
            raise StoreUnavailable(problem_of(exc)) from exc
        if not found:
            return None
        provider = rows.provider(found[0])
        if len(self._by_key) >= KEY_CACHE_SIZE:
            self._by_key.clear()
        self._by_key[key_hash] = (now + KEY_CACHE_SECONDS, provider)
        return provider

    @unavailable
    async def by_phone(self, phone: str) -> Provider | None:
        """The provider a phone is registered to."""
        return await self._one("phone = ?", phone)

    @unavailable
    async def set_active(self, provider_id: str, active: bool) -> Provider | None:
        """Activate or deactivate a provider."""
        self._by_key.clear()
        await self._db.execute(
            "UPDATE provider SET active = ?, status_changed_at = ? WHERE provider_id = ?",
            (int(active), datetime.now(UTC).isoformat(), provider_id),
        )
        return await self._one("provider_id = ?", provider_id)

    @unavailable
    async def feed(self, row: ProviderFeedRow, key_hash: str) -> tuple[Provider, FeedOutcome]:
        """Upsert a provider from the registry feed (see ``ports.Providers.feed``)."""
        self._by_key.clear()
        now = datetime.now(UTC).isoformat()
        async with self._db.transaction() as w:
            async with w.execute(
                "SELECT last_updated, stale_since FROM provider WHERE provider_id = ?",
                (row.provider_id,),
            ) as cursor:
                found = await cursor.fetchone()
            if found is None:
                await w.execute(
                    "INSERT INTO provider (provider_id, name, kind, phone, key_hash, active,"
                    " created_at, last_updated) VALUES (?,?,?,?,?,1,?,?)",
                    (
                        row.provider_id,
                        row.name,
                        row.kind.value,
                        row.phone,
                        key_hash,
                        now,
                        row.last_updated.isoformat(),
                    ),
                )
                outcome = FeedOutcome.CREATED
            elif found[0] is not None and date.fromisoformat(found[0]) > row.last_updated:
                outcome = FeedOutcome.OLDER
            else:
                await w.execute(
                    "UPDATE provider SET name = ?, kind = ?, phone = ?, last_updated = ?,"
                    " stale_since = NULL WHERE provider_id = ?",
                    (
                        row.name,
                        row.kind.value,
                        row.phone,
                        row.last_updated.isoformat(),
                        row.provider_id,
                    ),
                )
                stale = found[1] is not None
                outcome = FeedOutcome.REACTIVATED if stale else FeedOutcome.UPDATED
        provider = await self._one("provider_id = ?", row.provider_id)
        assert provider is not None
        return provider, outcome

    @unavailable
    async def mark_stale(self, provider_ids: Sequence[str], day: date) -> int:
        """Record the day these providers were found stale (those not marked yet)."""
        self._by_key.clear()
        changed = 0
        for pid in provider_ids:
            changed += await self._db.execute(
                "UPDATE provider SET stale_since = ? WHERE provider_id = ? AND stale_since IS NULL",
                (day.isoformat(), pid),
            )
        return changed

    @unavailable
    async def list(self) -> list[Provider]:
        """Every provider by id."""
        found = await self._db.fetchall(
            f"SELECT {_PROVIDER_COLUMNS} FROM provider ORDER BY provider_id"
        )
        return [rows.provider(r) for r in found]
