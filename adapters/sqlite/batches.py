"""SQLite ``Batches``: batch inquiry results kept for the provider that sent them."""

from __future__ import annotations

from datetime import datetime

from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.ports import StoredBatch


class SqliteBatches:
    """Stored batch results."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @unavailable
    async def save(self, batch: StoredBatch) -> None:
        """Keep a batch's results."""
        await self._db.execute(
            "INSERT INTO inquiry_batch (batch_id, provider_id, created_at, item_count, results)"
            " VALUES (?,?,?,?,?)",
            (
                batch.batch_id,
                batch.provider_id,
                batch.created_at.isoformat(),
                batch.item_count,
                batch.results_json,
            ),
        )

    @unavailable
    async def get(self, batch_id: str, provider_id: str) -> StoredBatch | None:
        """A batch, only for the provider that sent it."""
        row = await self._db.fetchone(
            "SELECT batch_id, provider_id, created_at, item_count, results FROM inquiry_batch"
            " WHERE batch_id = ? AND provider_id = ?",
            (batch_id, provider_id),
        )
        if row is None:
            return None
        return StoredBatch(row[0], row[1], datetime.fromisoformat(row[2]), int(row[3]), row[4])
