"""PostgreSQL store: registry, providers, batches and the hash-chained answer log.

Writers in every process append to one chain: a batch locks the single chain-head row
(``SELECT … FOR UPDATE``), appends its rows after the head, moves the head and commits.
Registry writes go through ``COPY`` (see ``load``): a whole import in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

import asyncpg

from eligibility_gw.adapters import rows
from eligibility_gw.adapters.chain import ChainWalk
from eligibility_gw.adapters.codes import fresh_codes
from eligibility_gw.adapters.errors import problem_of
from eligibility_gw.adapters.groupcommit import GroupCommitter
from eligibility_gw.adapters.postgres.casework import PostgresConsoleStore
from eligibility_gw.adapters.postgres.chats import PostgresTelegramBindings
from eligibility_gw.adapters.postgres.database import POSTGRES_ERRORS, unavailable
from eligibility_gw.adapters.postgres.languages import PostgresLanguagePreferences
from eligibility_gw.adapters.postgres.load import (
    PostgresRegistryLoad,
    corrections_on_file,
    merge_staged,
    stage,
)
from eligibility_gw.adapters.postgres.messages import PostgresSmsRecords
from eligibility_gw.adapters.postgres.migrate import migrate
from eligibility_gw.adapters.postgres.reminders import PostgresReminderRecords
from eligibility_gw.adapters.postgres.uploads import PostgresUploadFiles, PostgresUploadRecords
from eligibility_gw.domain.answer import (
    AnswerDraft,
    AnswerRecord,
    link,
)
from eligibility_gw.domain.model import (
    CoverPeriod,
    Family,
    Person,
)
from eligibility_gw.domain.names import name_key
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import (
    ChainHead,
    ChainReport,
    CorrectionsOnFile,
    FeedOutcome,
    ProviderFeedRow,
    RegistryRow,
    StoredBatch,
    StoreUnavailable,
)

_PERSON_COLUMNS = rows.select(rows.PERSON_COLUMNS)


_FAMILY_QUERY = f"""
WITH family AS (
    SELECT coalesce(principal_id, national_id) AS head FROM person WHERE national_id = $1
)
SELECT {rows.select(rows.PERSON_COLUMNS, "p.")},
    CASE WHEN p.principal_id IS NULL THEN (
        SELECT json_agg(json_build_array(start_date, end_date) ORDER BY start_date)
        FROM cover_period WHERE person_id = p.national_id
    ) END AS periods,
    (
        SELECT json_agg(json_build_array(kind, valid_from, valid_until, source) ORDER BY id)
        FROM document WHERE person_id = p.national_id
    ) AS documents,
    (
        SELECT json_agg(json_build_array(kind, valid_until) ORDER BY kind)
        FROM privilege WHERE person_id = p.national_id
    ) AS privileges
FROM family JOIN person p ON p.national_id = family.head OR p.principal_id = family.head
ORDER BY p.principal_id IS NOT NULL, p.position, p.national_id
"""


def _family_member(r: asyncpg.Record) -> Person:
    """A row of ``_FAMILY_QUERY`` as a person with cover periods and documents."""
    periods = tuple(
        CoverPeriod(rows.period_day(start), rows.period_day(end))
        for start, end in json.loads(r["periods"] or "[]")
    )
    return rows.person(
        r, periods, rows.documents_json(r["documents"]), rows.privileges_json(r["privileges"])
    )


class PostgresRegistry:
    """Persons, families, cover periods and documents."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def find_family(self, national_id: str) -> Family | None:
        """The family ``national_id`` belongs to, in one round trip.

        Each member's row carries the principal's cover periods and the member's documents
        (JSON arrays, NULL when there are none).
        """
        async with self._pool.acquire() as conn:
            found = await conn.fetch(_FAMILY_QUERY, national_id)
        if not found or found[0]["principal_id"] is not None:
            return None
        people = [_family_member(r) for r in found]
        family = Family(people[0], tuple(people[1:]))
        return family if family.member(national_id) else None

    @unavailable
    async def people_by_phone(self, phone: str) -> list[Person]:
        """Everyone whose registered phone is ``phone``."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_PERSON_COLUMNS} FROM person WHERE phone = $1"
                " ORDER BY position, national_id",
                phone,
            )
        return [rows.person(r) for r in found]

    @unavailable
    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of ``national_ids`` are principals already stored."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                "SELECT national_id FROM person WHERE national_id = ANY($1::text[])"
                " AND principal_id IS NULL",
                list(national_ids),
            )
        return {r["national_id"] for r in found}

    @unavailable
    async def upsert_rows(self, rows_in: Sequence[RegistryRow]) -> None:
        """COPY the rows into a staging table, then write those that are new or changed."""
        async with self._pool.acquire() as conn, conn.transaction():
            await stage(conn, rows_in)
            await merge_staged(conn)

    @asynccontextmanager
    async def load(self, allow_fresh: bool = True) -> AsyncIterator[PostgresRegistryLoad]:
        """One import in one transaction, on a connection of its own (``ports.BulkLoading``).

        ``allow_fresh=False`` stages even into an empty registry, so that no lock ever
        keeps readers out.
        """
        async with self._pool.acquire() as conn:
            load = PostgresRegistryLoad(conn, allow_fresh)
            try:
                yield load
            except BaseException:
                await load.rollback()
                raise
            await load.commit()

    @unavailable
    async def count_people(self) -> int:
        """How many persons are stored."""
        async with self._pool.acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM person"))

    @unavailable
    async def corrections(self, national_ids: Sequence[str]) -> dict[str, CorrectionsOnFile]:
        """Phone corrections still on file and documents seen at a branch, by national id."""
        async with self._pool.acquire() as conn:
            return await corrections_on_file(conn, national_ids)

    @unavailable
    async def people_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[Person]:
        """Persons born on ``birth_date`` whose family name reads as ``family_name``."""
        key = name_key(family_name)
        if not key:
            return []
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_PERSON_COLUMNS} FROM person WHERE birth_date = $1"
                " ORDER BY position, national_id",
                birth_date,
            )
        return [rows.person(r) for r in found if name_key(r["family_name"]) == key][:limit]


_LOG_SELECT = rows.select(rows.LOG_COLUMNS)


class PostgresAnswerLog:
    """The hash-chained answer log, one chain for every writer process."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._committer: GroupCommitter[AnswerDraft, AnswerRecord] = GroupCommitter(self._write)

    async def append(self, draft: AnswerDraft) -> AnswerRecord:
        """Queue the answer and wait until the batch holding it is committed."""
        return await self._committer.submit(draft)

    async def drain(self) -> None:
        """Wait until every queued answer is committed."""
        await self._committer.drain()

    def queued(self) -> int:
        """Answers waiting to be written."""
        return self._committer.queued

    async def _write(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        try:
            return await self._write_batch(drafts)
        except POSTGRES_ERRORS as exc:  # every waiter of the batch learns the log failed
            raise StoreUnavailable(problem_of(exc)) from exc

    async def _write_batch(self, drafts: list[AnswerDraft]) -> list[AnswerRecord]:
        async with self._pool.acquire() as conn, conn.transaction():
            head = await conn.fetchrow(
                "SELECT seq, row_hash FROM answer_chain_head WHERE id FOR UPDATE"
            )
            assert head is not None
            seq, prev = int(head["seq"]), str(head["row_hash"])

            async def taken(candidates: list[str]) -> set[str]:
                found = await conn.fetch(
                    "SELECT tracking_code FROM answer_log WHERE tracking_code = ANY($1::text[])",
                    candidates,
                )
                return {r["tracking_code"] for r in found}

            codes = await fresh_codes(len(drafts), taken)
            linked = link(drafts, codes, seq, prev, lambda: datetime.now(UTC))
            written = [rows.log_row(r, payload, dates_as_text=False) for r, payload in linked]
            records = [r for r, _ in linked]
            if records:
                seq, prev = records[-1].seq, records[-1].row_hash
            await conn.copy_records_to_table(
                "answer_log", records=written, columns=list(rows.LOG_COLUMNS)
            )
            await conn.execute(
                "UPDATE answer_chain_head SET seq = $1, row_hash = $2 WHERE id", seq, prev
            )
        return records

    @unavailable
    async def find(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer recorded under ``code``."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_LOG_SELECT} FROM answer_log WHERE tracking_code = $1", code.digits
            )
        return rows.record(row) if row else None

    @unavailable
    async def history(self, national_id: str, limit: int = 50) -> list[AnswerRecord]:
        """The latest answers about one person, newest first."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_LOG_SELECT} FROM answer_log WHERE national_id = $1"
                " ORDER BY seq DESC LIMIT $2",
                national_id,
                limit,
            )
        return [rows.record(r) for r in found]

    @unavailable
    async def by_asker(
        self,
        asker_kind: str,
        asker_id: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AnswerRecord]:
        """One asker's answers, newest first, created in ``[since, until)``."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_LOG_SELECT} FROM answer_log WHERE asker_kind = $1 AND asker_id = $2"
                " AND ($3::text IS NULL OR created_at >= $3)"
                " AND ($4::text IS NULL OR created_at < $4)"
                " ORDER BY seq DESC LIMIT $5 OFFSET $6",
                asker_kind,
                asker_id,
                since.astimezone(UTC).isoformat() if since else None,
                until.astimezone(UTC).isoformat() if until else None,
                limit,
                offset,
            )
        return [rows.record(r) for r in found]

    @unavailable
    async def verify(self, at: Sequence[int] = ()) -> ChainReport:
        """Recompute every row's hash and link in order, then check the chain head.

        The hashes at the sizes in ``at`` are kept as the walk passes them (for checkpoints).
        """
        walk = ChainWalk(at)
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            async for row in conn.cursor(f"SELECT {_LOG_SELECT} FROM answer_log ORDER BY seq"):
                if (bad := walk.row(row)) is not None:
                    return bad
            head = await conn.fetchrow("SELECT seq, row_hash FROM answer_chain_head WHERE id")
        if head is not None and (int(head["seq"]) != walk.count or head["row_hash"] != walk.prev):
            # PostgreSQL keeps the chain's head apart from the rows: a cut tail shows here.
            return ChainReport(
                walk.count, walk.count + 1, "rows after the last one are missing", walk.hashes
            )
        return walk.report()

    @unavailable
    async def head(self) -> ChainHead:
        """The chain head as committed: every writer moves it in the batch's transaction."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow("SELECT seq, row_hash FROM answer_chain_head WHERE id")
        if row is None:  # the migration writes it; a store without it is not this one
            raise StoreUnavailable("the answer log has no chain head row")
        return ChainHead(int(row["seq"]), str(row["row_hash"]))


_PROVIDER_SELECT = rows.select(rows.PROVIDER_COLUMNS)


class PostgresProviders:
    """Registered providers."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def add(
        self, provider_id: str, name: str, kind: ProviderKind, phone: str | None, key_hash: str
    ) -> Provider:
        """Register a provider; ``ValueError`` when the id is taken."""
        async with self._pool.acquire() as conn:
            try:
                row = await conn.fetchrow(
                    "INSERT INTO provider (provider_id, name, kind, phone, key_hash, created_at)"
                    f" VALUES ($1, $2, $3, $4, $5, now()) RETURNING {_PROVIDER_SELECT}",
                    provider_id,
                    name,
                    kind.value,
                    phone,
                    key_hash,
                )
            except asyncpg.UniqueViolationError as exc:
                raise ValueError(f"provider {provider_id!r} exists already") from exc
        assert row is not None
        return rows.provider(row)

    async def _one(self, where: str, value: str) -> Provider | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_PROVIDER_SELECT} FROM provider WHERE {where} = $1", value
            )
        return rows.provider(row) if row else None

    @unavailable
    async def get(self, provider_id: str) -> Provider | None:
        """One provider by id."""
        return await self._one("provider_id", provider_id)

    @unavailable
    async def by_key_hash(self, key_hash: str) -> Provider | None:
        """The provider whose key hashes to ``key_hash``."""
        return await self._one("key_hash", key_hash)

    @unavailable
    async def by_phone(self, phone: str) -> Provider | None:
        """The provider a phone is registered to."""
        return await self._one("phone", phone)

    @unavailable
    async def set_active(self, provider_id: str, active: bool) -> Provider | None:
        """Activate or deactivate a provider."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "UPDATE provider SET active = $1, status_changed_at = now()"
                f" WHERE provider_id = $2 RETURNING {_PROVIDER_SELECT}",
                active,
                provider_id,
            )
        return rows.provider(row) if row else None

    @unavailable
    async def feed(self, row: ProviderFeedRow, key_hash: str) -> tuple[Provider, FeedOutcome]:
        """Upsert a provider from the registry feed (see ``ports.Providers.feed``)."""
        async with self._pool.acquire() as conn, conn.transaction():
            held = await conn.fetchrow(
                "SELECT last_updated, stale_since FROM provider WHERE provider_id = $1 FOR UPDATE",
                row.provider_id,
            )
            if held is None:
                await conn.execute(
                    "INSERT INTO provider (provider_id, name, kind, phone, key_hash, created_at,"
                    " last_updated) VALUES ($1, $2, $3, $4, $5, now(), $6)",
                    row.provider_id,
                    row.name,
                    row.kind.value,
                    row.phone,
                    key_hash,
                    row.last_updated,
                )
                outcome = FeedOutcome.CREATED
            elif held["last_updated"] is not None and held["last_updated"] > row.last_updated:
                outcome = FeedOutcome.OLDER
            else:
                await conn.execute(
                    "UPDATE provider SET name = $1, kind = $2, phone = $3, last_updated = $4,"
                    " stale_since = NULL WHERE provider_id = $5",
                    row.name,
                    row.kind.value,
                    row.phone,
                    row.last_updated,
                    row.provider_id,
                )
                stale = held["stale_since"] is not None
                outcome = FeedOutcome.REACTIVATED if stale else FeedOutcome.UPDATED
            found = await conn.fetchrow(
                f"SELECT {_PROVIDER_SELECT} FROM provider WHERE provider_id = $1", row.provider_id
            )
        assert found is not None
        return rows.provider(found), outcome

    @unavailable
    async def mark_stale(self, provider_ids: Sequence[str], day: date) -> int:
        """Record the day these providers were found stale (those not marked yet)."""
        async with self._pool.acquire() as conn:
            result = await conn.execute(
                "UPDATE provider SET stale_since = $2 WHERE provider_id = ANY($1::text[])"
                " AND stale_since IS NULL",
                list(provider_ids),
                day,
            )
        return int(result.split()[-1])

    @unavailable
    async def list(self) -> list[Provider]:
        """Every provider by id."""
        async with self._pool.acquire() as conn:
            found = await conn.fetch(
                f"SELECT {_PROVIDER_SELECT} FROM provider ORDER BY provider_id"
            )
        return [rows.provider(r) for r in found]


class PostgresBatches:
    """Stored batch results."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @unavailable
    async def save(self, batch: StoredBatch) -> None:
        """Keep a batch's results."""
        async with self._pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO inquiry_batch (batch_id, provider_id, created_at, item_count,"
                " results) VALUES ($1, $2, $3, $4, $5)",
                batch.batch_id,
                batch.provider_id,
                batch.created_at,
                batch.item_count,
                batch.results_json,
            )

    @unavailable
    async def get(self, batch_id: str, provider_id: str) -> StoredBatch | None:
        """A batch, only for the provider that sent it."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT batch_id, provider_id, created_at, item_count, results"
                " FROM inquiry_batch WHERE batch_id = $1 AND provider_id = $2",
                batch_id,
                provider_id,
            )
        if row is None:
            return None
        return StoredBatch(
            row["batch_id"],
            row["provider_id"],
            row["created_at"],
            row["item_count"],
            row["results"],
        )


class PostgresStore:
    """The PostgreSQL implementation of ``eligibility_gw.ports.Store``: every port on one pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.registry = PostgresRegistry(pool)
        self.answers = PostgresAnswerLog(pool)
        self.providers = PostgresProviders(pool)
        self.batches = PostgresBatches(pool)
        self.sms = PostgresSmsRecords(pool)
        self.chats = PostgresTelegramBindings(pool)
        self.languages = PostgresLanguagePreferences(pool)
        self.casework = PostgresConsoleStore(pool)
        self.reminders = PostgresReminderRecords(pool)
        self.uploads = PostgresUploadRecords(pool)
        self.upload_files = PostgresUploadFiles(pool)
        self._closed = False

    async def ping(self) -> bool:
        """Run a trivial query."""
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT TRUE", timeout=2))
        except POSTGRES_ERRORS:
            return False

    async def close(self) -> None:
        """Flush pending answers and close the pool (once)."""
        if self._closed:
            return
        self._closed = True
        await self.answers.drain()
        await self.pool.close()


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool beyond the rollback of an open
    transaction (which asyncpg always does): nothing. The store sets no session state, takes
    no session locks and listens to nothing, so the default reset (a round trip on every
    release, one per inquiry) buys nothing."""


async def open_postgres_store(
    url: str, min_size: int = 2, max_size: int = 10, query_seconds: float = 30.0
) -> PostgresStore:
    """Connect (a pool), migrate the schema, and return the store.

    ``query_seconds``: how long one query (or the wait for a connection) may take before it
    fails as ``StoreUnavailable``: a server that accepts and never answers holds nothing.
    """
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=query_seconds,
            timeout=query_seconds,
            reset=_keep_session,
        )
    except POSTGRES_ERRORS as exc:
        # Where, never who: no user name, no password.
        where = url.rsplit("@", maxsplit=1)[-1].split("?", maxsplit=1)[0]
        raise StoreUnavailable(f"cannot connect to PostgreSQL at {where}: {exc}") from exc
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
    except BaseException:
        await pool.close()
        raise
    return PostgresStore(pool)
