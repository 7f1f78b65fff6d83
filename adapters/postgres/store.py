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

from eligibility_gw.adapters.codes import fresh_codes
from eligibility_gw.adapters.groupcommit import GroupCommitter
from eligibility_gw.adapters.postgres.load import (
    PERSON_COLUMNS,
    PostgresRegistryLoad,
    merge_staged,
    stage,
)
from eligibility_gw.adapters.postgres.migrate import migrate
from eligibility_gw.domain.answer import (
    GENESIS_HASH,
    AnswerDraft,
    AnswerRecord,
    chain_hash,
    chain_payload,
    link,
    reasons_from_json,
)
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    Document,
    Family,
    MaritalStatus,
    Person,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import ChainReport, RegistryRow, StoredBatch

_PERSON_COLUMNS = ", ".join(PERSON_COLUMNS)


def _person(
    r: asyncpg.Record, periods: tuple[CoverPeriod, ...], docs: tuple[Document, ...]
) -> Person:
    return Person(
        national_id=r["national_id"],
        given_name=r["given_name"],
        family_name=r["family_name"],
        birth_date=r["birth_date"],
        sex=Sex(r["sex"]) if r["sex"] else None,
        phone=r["phone"],
        relationship=r["relationship"],
        principal_id=r["principal_id"],
        marital_status=MaritalStatus(r["marital_status"]) if r["marital_status"] else None,
        disabled=r["disabled"],
        has_income=r["has_income"],
        other_insurer=r["other_insurer"],
        cover_periods=periods,
        documents=docs,
    )


_FAMILY_QUERY = f"""
WITH family AS (
    SELECT coalesce(principal_id, national_id) AS head FROM person WHERE national_id = $1
)
SELECT {", ".join("p." + c for c in PERSON_COLUMNS)},
    CASE WHEN p.principal_id IS NULL THEN (
        SELECT json_agg(json_build_array(start_date, end_date) ORDER BY start_date)
        FROM cover_period WHERE person_id = p.national_id
    ) END AS periods,
    (
        SELECT json_agg(json_build_array(kind, valid_from, valid_until, source) ORDER BY id)
        FROM document WHERE person_id = p.national_id
    ) AS documents
FROM family JOIN person p ON p.national_id = family.head OR p.principal_id = family.head
ORDER BY p.principal_id IS NOT NULL, p.position, p.national_id
"""


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _family_member(r: asyncpg.Record) -> Person:
    """A row of ``_FAMILY_QUERY`` as a person with cover periods and documents."""
    periods = tuple(
        CoverPeriod(date.fromisoformat(start), date.fromisoformat(end))
        for start, end in json.loads(r["periods"] or "[]")
    )
    docs = tuple(
        Document(kind, _day(valid_from), _day(valid_until), source)
        for kind, valid_from, valid_until, source in json.loads(r["documents"] or "[]")
    )
    return _person(r, periods, docs)


class PostgresRegistry:
    """Persons, families, cover periods and documents."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def find_family(self, national_id: str) -> Family | None:
        """The family ``national_id`` belongs to, in one round trip.

        Each member's row carries the principal's cover periods and the member's documents
        (JSON arrays, NULL when there are none).
        """
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_FAMILY_QUERY, national_id)
        if not rows or rows[0]["principal_id"] is not None:
            return None
        people = [_family_member(r) for r in rows]
        family = Family(people[0], tuple(people[1:]))
        return family if family.member(national_id) else None

    async def people_by_phone(self, phone: str) -> list[Person]:
        """Everyone whose registered phone is ``phone``."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_PERSON_COLUMNS} FROM person WHERE phone = $1"
                " ORDER BY position, national_id",
                phone,
            )
        return [_person(r, (), ()) for r in rows]

    async def principals_known(self, national_ids: Sequence[str]) -> set[str]:
        """Which of ``national_ids`` are principals already stored."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT national_id FROM person WHERE national_id = ANY($1::text[])"
                " AND principal_id IS NULL",
                list(national_ids),
            )
        return {r["national_id"] for r in rows}

    async def upsert_rows(self, rows: Sequence[RegistryRow]) -> None:
        """COPY the rows into a staging table, then write those that are new or changed."""
        async with self._pool.acquire() as conn, conn.transaction():
            await stage(conn, rows)
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

    async def count_people(self) -> int:
        """How many persons are stored."""
        async with self._pool.acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM person"))


_LOG_COLUMNS = (
    "seq",
    "tracking_code",
    "created_at",
    "channel",
    "asker_kind",
    "asker_id",
    "national_id",
    "service_date",
    "setting",
    "status",
    "reasons",
    "cover_end",
    "rule_pack",
    "rule_pack_version",
    "member_relationship",
    "member_masked",
    "principal_id",
    "prev_hash",
    "row_hash",
)
_LOG_SELECT = ", ".join(_LOG_COLUMNS)


def _record(r: asyncpg.Record) -> AnswerRecord:
    decision = Decision(
        status=Status(r["status"]),
        reasons=reasons_from_json(json.loads(r["reasons"])),
        cover_end=r["cover_end"],
        rule_pack=r["rule_pack"],
        rule_pack_version=r["rule_pack_version"],
    )
    draft = AnswerDraft(
        channel=r["channel"],
        asker_kind=r["asker_kind"],
        asker_id=r["asker_id"],
        national_id=r["national_id"],
        service_date=r["service_date"],
        setting=ServiceSetting(r["setting"]),
        decision=decision,
        member_relationship=r["member_relationship"],
        member_masked=r["member_masked"],
        principal_id=r["principal_id"],
    )
    return AnswerRecord(
        seq=r["seq"],
        tracking_code=TrackingCode(r["tracking_code"]),
        created_at=datetime.fromisoformat(r["created_at"]),
        draft=draft,
        prev_hash=r["prev_hash"],
        row_hash=r["row_hash"],
    )


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
            rows = [
                (
                    r.seq,
                    r.tracking_code.digits,
                    payload["created_at"],
                    r.draft.channel,
                    r.draft.asker_kind,
                    r.draft.asker_id,
                    r.draft.national_id,
                    r.draft.service_date,
                    payload["setting"],
                    payload["status"],
                    json.dumps(payload["reasons"], ensure_ascii=False),
                    r.draft.decision.cover_end,
                    payload["rule_pack"],
                    payload["rule_pack_version"],
                    r.draft.member_relationship,
                    r.draft.member_masked,
                    r.draft.principal_id,
                    r.prev_hash,
                    r.row_hash,
                )
                for r, payload in linked
            ]
            records = [r for r, _ in linked]
            if records:
                seq, prev = records[-1].seq, records[-1].row_hash
            await conn.copy_records_to_table("answer_log", records=rows, columns=list(_LOG_COLUMNS))
            await conn.execute(
                "UPDATE answer_chain_head SET seq = $1, row_hash = $2 WHERE id", seq, prev
            )
        return records

    async def find(self, code: TrackingCode) -> AnswerRecord | None:
        """The answer recorded under ``code``."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_LOG_SELECT} FROM answer_log WHERE tracking_code = $1", code.digits
            )
        return _record(row) if row else None

    async def history(self, national_id: str, limit: int = 50) -> list[AnswerRecord]:
        """The latest answers about one person, newest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_LOG_SELECT} FROM answer_log WHERE national_id = $1"
                " ORDER BY seq DESC LIMIT $2",
                national_id,
                limit,
            )
        return [_record(r) for r in rows]

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
            rows = await conn.fetch(
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
        return [_record(r) for r in rows]

    async def verify(self) -> ChainReport:
        """Recompute every row's hash and link in order, then check the chain head."""
        prev = GENESIS_HASH
        expected = 1
        count = 0
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            async for row in conn.cursor(f"SELECT {_LOG_SELECT} FROM answer_log ORDER BY seq"):
                count += 1
                if row["seq"] != expected:
                    return ChainReport(count, expected, f"row {expected} is missing")
                try:
                    rec = _record(row)
                except (ValueError, TypeError, KeyError, AttributeError):
                    # Edited to a value no answer can hold (a status, JSON, a date).
                    return ChainReport(count, row["seq"], "row content cannot be read")
                if rec.prev_hash != prev:
                    return ChainReport(count, rec.seq, "link to the previous row is broken")
                payload = chain_payload(
                    rec.seq, rec.tracking_code.digits, row["created_at"], rec.draft
                )
                if chain_hash(prev, payload) != rec.row_hash:
                    return ChainReport(count, rec.seq, "row content does not match its hash")
                prev = rec.row_hash
                expected += 1
            head = await conn.fetchrow("SELECT seq, row_hash FROM answer_chain_head WHERE id")
        if head is not None and (int(head["seq"]) != count or head["row_hash"] != prev):
            return ChainReport(count, count + 1, "rows after the last one are missing")
        return ChainReport(count)


_PROVIDER_SELECT = "provider_id, name, kind, phone, active, created_at, status_changed_at"


def _provider(r: asyncpg.Record) -> Provider:
    return Provider(
        provider_id=r["provider_id"],
        name=r["name"],
        kind=ProviderKind(r["kind"]),
        phone=r["phone"],
        active=r["active"],
        created_at=r["created_at"],
        status_changed_at=r["status_changed_at"],
    )


class PostgresProviders:
    """Registered providers."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

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
        return _provider(row)

    async def _one(self, where: str, value: str) -> Provider | None:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_PROVIDER_SELECT} FROM provider WHERE {where} = $1", value
            )
        return _provider(row) if row else None

    async def get(self, provider_id: str) -> Provider | None:
        """One provider by id."""
        return await self._one("provider_id", provider_id)

    async def by_key_hash(self, key_hash: str) -> Provider | None:
        """The provider whose key hashes to ``key_hash``."""
        return await self._one("key_hash", key_hash)

    async def by_phone(self, phone: str) -> Provider | None:
        """The provider a phone is registered to."""
        return await self._one("phone", phone)

    async def set_active(self, provider_id: str, active: bool) -> Provider | None:
        """Activate or deactivate a provider."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "UPDATE provider SET active = $1, status_changed_at = now()"
                f" WHERE provider_id = $2 RETURNING {_PROVIDER_SELECT}",
                active,
                provider_id,
            )
        return _provider(row) if row else None

    async def list(self) -> list[Provider]:
        """Every provider by id."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT {_PROVIDER_SELECT} FROM provider ORDER BY provider_id")
        return [_provider(r) for r in rows]


class PostgresBatches:
    """Stored batch results."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

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
    """The PostgreSQL implementation of ``eligibility_gw.ports.Store``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._registry = PostgresRegistry(pool)
        self._answers = PostgresAnswerLog(pool)
        self._providers = PostgresProviders(pool)
        self._batches = PostgresBatches(pool)

    @property
    def registry(self) -> PostgresRegistry:
        """Persons and families."""
        return self._registry

    @property
    def answers(self) -> PostgresAnswerLog:
        """The answer log."""
        return self._answers

    @property
    def providers(self) -> PostgresProviders:
        """Registered providers."""
        return self._providers

    @property
    def batches(self) -> PostgresBatches:
        """Stored batch results."""
        return self._batches

    async def ping(self) -> bool:
        """Run a trivial query."""
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT TRUE"))
        except (asyncpg.PostgresError, OSError, TimeoutError):
            return False

    async def close(self) -> None:
        """Flush pending answers and close the pool."""
        await self._answers.drain()
        await self.pool.close()


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool beyond the rollback of an open
    transaction (which asyncpg always does): nothing. The store sets no session state, takes
    no session locks and listens to nothing, so the default reset (a round trip on every
    release, one per inquiry) buys nothing."""


async def open_postgres_store(url: str, min_size: int = 2, max_size: int = 10) -> PostgresStore:
    """Connect (a pool), migrate the schema, and return the store."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        reset=_keep_session,
    )
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
    except BaseException:
        await pool.close()
        raise
    return PostgresStore(pool)
