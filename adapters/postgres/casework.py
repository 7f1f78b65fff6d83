"""PostgreSQL ``ConsoleStore``: the same as SQLite's, on the gateway store's pool (0002).

The pool belongs to the gateway's store, which closes it; this store closes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from eligibility_gw.adapters.postgres.database import unavailable
from eligibility_gw.domain.disputes import DisputeCode, DisputeStatus
from eligibility_gw.ports.casework import (
    UNDELIVERED_SQL,
    AccessEntry,
    AccessQuery,
    DayCount,
    DayWindow,
    Dispute,
    DisputeDraft,
    DisputeEvent,
    DocumentDraft,
    DocumentOnFile,
    EventKind,
    PhoneChange,
    Role,
    StaffAccount,
)

_CODE_ATTEMPTS = 8
_STAFF_COLUMNS = "username, role, password_hash, active, created_at"
_DISPUTE_COLUMNS = (
    "code, national_id, tracking_code, caller_channel, caller_phone, language, summary,"
    " status, opened_by, opened_at, due_at, updated_at, resolution_code, sms_status,"
    " sms_message_sid"
)
_INSERT_EVENT = (
    "INSERT INTO console_dispute_event (code, at, staff, kind, from_status, to_status, text)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


def _staff(r: asyncpg.Record) -> StaffAccount:
    return StaffAccount(
        r["username"], Role(r["role"]), r["password_hash"], r["active"], r["created_at"]
    )


def _dispute(r: asyncpg.Record) -> Dispute:
    return Dispute(
        code=DisputeCode(r["code"]),
        national_id=r["national_id"],
        tracking_code=r["tracking_code"],
        caller_channel=r["caller_channel"],
        caller_phone=r["caller_phone"],
        language=r["language"],
        summary=r["summary"],
        status=DisputeStatus(r["status"]),
        opened_by=r["opened_by"],
        opened_at=r["opened_at"],
        due_at=r["due_at"],
        updated_at=r["updated_at"],
        resolution_code=r["resolution_code"],
        sms_status=r["sms_status"],
        sms_message_sid=r["sms_message_sid"],
    )


def _event_args(code: DisputeCode, e: DisputeEvent) -> tuple[Any, ...]:
    return (
        code.digits,
        e.at,
        e.staff,
        e.kind.value,
        e.from_status.value if e.from_status else None,
        e.to_status.value if e.to_status else None,
        e.text,
    )


class PostgresConsoleStore:
    """The PostgreSQL implementation of ``ports.casework.ConsoleStore``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    # --- staff ------------------------------------------------------------------------------

    @unavailable
    async def add_staff(self, username: str, role: Role, password_hash: str) -> StaffAccount:
        """Create an account; ``ValueError`` when the name is taken."""
        async with self._pool.acquire() as conn:
            try:
                row = await conn.fetchrow(
                    "INSERT INTO console_staff (username, role, password_hash)"
                    f" VALUES ($1, $2, $3) RETURNING {_STAFF_COLUMNS}",
                    username,
                    role.value,
                    password_hash,
                )
            except asyncpg.UniqueViolationError as exc:
                raise ValueError(f"staff account {username!r} exists already") from exc
        assert row is not None
        return _staff(row)

    @unavailable
    async def get_staff(self, username: str) -> StaffAccount | None:
        """One account by name."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_STAFF_COLUMNS} FROM console_staff WHERE username = $1", username
            )
        return _staff(row) if row else None

    @unavailable
    async def list_staff(self) -> list[StaffAccount]:
        """Every account, by name."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT {_STAFF_COLUMNS} FROM console_staff ORDER BY username")
        return [_staff(r) for r in rows]

    @unavailable
    async def set_staff_active(self, username: str, active: bool) -> StaffAccount | None:
        """Enable or disable an account."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                "UPDATE console_staff SET active = $1, changed_at = now() WHERE username = $2"
                f" RETURNING {_STAFF_COLUMNS}",
                active,
                username,
            )
        return _staff(row) if row else None

    @unavailable
    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        """Replace an account's password hash."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE console_staff SET password_hash = $1, changed_at = now()"
                " WHERE username = $2",
                password_hash,
                username,
            )
        return bool(status != "UPDATE 0")

    # --- disputes ---------------------------------------------------------------------------

    @unavailable
    async def open_dispute(self, draft: DisputeDraft) -> Dispute:
        """Store a new dispute under a fresh code, with its "opened" event."""
        opened = DisputeEvent(
            draft.opened_at,
            draft.opened_by,
            EventKind.OPENED,
            draft.summary,
            to_status=DisputeStatus.RECEIVED,
        )
        for _ in range(_CODE_ATTEMPTS):
            code = DisputeCode.new()
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    row = await conn.fetchrow(
                        f"INSERT INTO console_dispute ({_DISPUTE_COLUMNS}) VALUES ($1, $2, $3,"
                        " $4, $5, $6, $7, $8, $9, $10, $11, $10, NULL, NULL, NULL)"
                        f" RETURNING {_DISPUTE_COLUMNS}",
                        code.digits,
                        draft.national_id,
                        draft.tracking_code,
                        draft.caller_channel,
                        draft.caller_phone,
                        draft.language,
                        draft.summary,
                        DisputeStatus.RECEIVED.value,
                        draft.opened_by,
                        draft.opened_at,
                        draft.due_at,
                    )
                    await conn.execute(_INSERT_EVENT, *_event_args(code, opened))
            except asyncpg.UniqueViolationError:
                continue  # the code was taken: draw another
            assert row is not None
            return _dispute(row)
        raise RuntimeError("no free dispute code after several draws")

    @unavailable
    async def get_dispute(self, code: DisputeCode) -> Dispute | None:
        """One dispute by code."""
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {_DISPUTE_COLUMNS} FROM console_dispute WHERE code = $1", code.digits
            )
        return _dispute(row) if row else None

    @unavailable
    async def disputes_about(self, national_id: str) -> list[Dispute]:
        """Every dispute about one person, newest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_DISPUTE_COLUMNS} FROM console_dispute WHERE national_id = $1"
                " ORDER BY opened_at DESC, code",
                national_id,
            )
        return [_dispute(r) for r in rows]

    @staticmethod
    def _where(
        statuses: Sequence[DisputeStatus], due_before: datetime | None
    ) -> tuple[str, list[Any]]:
        sql = " WHERE status = ANY($1::text[])"
        params: list[Any] = [[s.value for s in statuses]]
        if due_before is not None:
            sql += " AND due_at < $2"
            params.append(due_before)
        return sql, params

    @unavailable
    async def list_disputes(
        self,
        statuses: Sequence[DisputeStatus],
        due_before: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Dispute]:
        """Disputes in ``statuses``, soonest due first."""
        where, params = self._where(statuses, due_before)
        n = len(params)
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_DISPUTE_COLUMNS} FROM console_dispute{where}"
                f" ORDER BY due_at, code LIMIT ${n + 1} OFFSET ${n + 2}",
                *params,
                limit,
                offset,
            )
        return [_dispute(r) for r in rows]

    @unavailable
    async def count_disputes(
        self, statuses: Sequence[DisputeStatus], due_before: datetime | None = None
    ) -> int:
        """How many disputes match."""
        where, params = self._where(statuses, due_before)
        async with self._pool.acquire() as conn:
            value = await conn.fetchval(f"SELECT count(*) FROM console_dispute{where}", *params)
        return int(value)

    @unavailable
    async def change_status(
        self,
        code: DisputeCode,
        expected: DisputeStatus,
        event: DisputeEvent,
        due_at: datetime | None = None,
    ) -> Dispute | None:
        """Move the dispute on, only from ``expected``; None when it was moved meanwhile."""
        assert event.to_status is not None
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE console_dispute SET status = $1, updated_at = $2,"
                " due_at = coalesce($3, due_at) WHERE code = $4 AND status = $5"
                f" RETURNING {_DISPUTE_COLUMNS}",
                event.to_status.value,
                event.at,
                due_at,
                code.digits,
                expected.value,
            )
            if row is None:
                return None
            await conn.execute(_INSERT_EVENT, *_event_args(code, event))
        return _dispute(row)

    @unavailable
    async def add_event(self, code: DisputeCode, event: DisputeEvent) -> None:
        """Add a line to the dispute's history."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_INSERT_EVENT, *_event_args(code, event))
            await conn.execute(
                "UPDATE console_dispute SET updated_at = $1 WHERE code = $2", event.at, code.digits
            )

    @unavailable
    async def events(self, code: DisputeCode) -> list[DisputeEvent]:
        """The dispute's history, oldest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT at, staff, kind, text, from_status, to_status FROM console_dispute_event"
                " WHERE code = $1 ORDER BY id",
                code.digits,
            )
        return [
            DisputeEvent(
                r["at"],
                r["staff"],
                EventKind(r["kind"]),
                r["text"],
                DisputeStatus(r["from_status"]) if r["from_status"] else None,
                DisputeStatus(r["to_status"]) if r["to_status"] else None,
            )
            for r in rows
        ]

    @unavailable
    async def record_resolution(
        self,
        code: DisputeCode,
        resolution_code: str | None,
        sms_status: str,
        sms_message_sid: str | None,
        event: DisputeEvent,
    ) -> None:
        """Keep the fresh answer's code and the fate of the resolution SMS."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE console_dispute SET resolution_code = coalesce($1, resolution_code),"
                " sms_status = $2, sms_message_sid = $3, updated_at = $4 WHERE code = $5",
                resolution_code,
                sms_status,
                sms_message_sid,
                event.at,
                code.digits,
            )
            await conn.execute(_INSERT_EVENT, *_event_args(code, event))

    @unavailable
    async def undelivered_outcomes(self, limit: int = 50, offset: int = 0) -> list[Dispute]:
        """Disputes whose outcome SMS failed to go out or was reported undelivered or failed."""
        columns = ", ".join(f"d.{c.strip()}" for c in _DISPUTE_COLUMNS.split(","))
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {columns} FROM console_dispute d"
                " LEFT JOIN sms_outbound o ON o.message_sid = d.sms_message_sid"
                f" WHERE d.sms_status = 'failed' OR o.status IN ({UNDELIVERED_SQL})"
                " ORDER BY d.updated_at DESC, d.code LIMIT $1 OFFSET $2",
                limit,
                offset,
            )
        return [_dispute(r) for r in rows]

    # --- corrections ------------------------------------------------------------------------

    @unavailable
    async def record_document(self, draft: DocumentDraft) -> bool:
        """Put a branch document on file; False when nobody has that national id."""
        async with self._pool.acquire() as conn:
            status = await conn.execute(
                "INSERT INTO document (person_id, kind, valid_from, valid_until, source,"
                " recorded_by, recorded_at, note) SELECT national_id, $1, $2, $3, 'branch', $4,"
                " $5, $6 FROM person WHERE national_id = $7",
                draft.kind,
                draft.valid_from,
                draft.valid_until,
                draft.recorded_by,
                draft.recorded_at,
                draft.note,
                draft.national_id,
            )
        return bool(status != "INSERT 0 0")

    @unavailable
    async def documents_of(self, national_id: str) -> list[DocumentOnFile]:
        """Every document on file for the person, oldest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT kind, valid_from, valid_until, source, recorded_by, recorded_at, note"
                " FROM document WHERE person_id = $1 ORDER BY id",
                national_id,
            )
        return [
            DocumentOnFile(
                r["kind"],
                r["valid_from"],
                r["valid_until"],
                r["source"],
                r["recorded_by"],
                r["recorded_at"],
                r["note"],
            )
            for r in rows
        ]

    @unavailable
    async def correct_phone(
        self, national_id: str, new_phone: str, changed_by: str, changed_at: datetime, reason: str
    ) -> PhoneChange | None:
        """Change the phone on file, keeping the old one in the change log."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO console_phone_change (national_id, old_phone, new_phone, changed_by,"
                " changed_at, reason) SELECT national_id, phone, $1, $2, $3, $4 FROM person"
                " WHERE national_id = $5 RETURNING national_id, old_phone, new_phone,"
                " changed_by, changed_at, reason",
                new_phone,
                changed_by,
                changed_at,
                reason,
                national_id,
            )
            if row is None:
                return None
            await conn.execute(
                "UPDATE person SET phone = $1, updated_at = $2 WHERE national_id = $3",
                new_phone,
                changed_at,
                national_id,
            )
        return _phone_change(row)

    @unavailable
    async def phone_changes(self, national_id: str) -> list[PhoneChange]:
        """The person's phone corrections, newest first."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT national_id, old_phone, new_phone, changed_by, changed_at, reason"
                " FROM console_phone_change WHERE national_id = $1 ORDER BY id DESC",
                national_id,
            )
        return [_phone_change(r) for r in rows]

    # --- look-ups ---------------------------------------------------------------------------

    async def national_ids_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[str]:
        """The national ids of persons born on ``birth_date`` named ``family_name``."""
        from eligibility_gw.adapters.postgres.store import PostgresRegistry  # it imports us

        found = await PostgresRegistry(self._pool).people_named(family_name, birth_date, limit)
        return [p.national_id for p in found]

    # --- access log -------------------------------------------------------------------------

    @unavailable
    async def log_access(self, entries: Sequence[AccessEntry]) -> None:
        """Keep look-ups before the page showing them is sent."""
        if not entries:
            return
        async with self._pool.acquire() as conn:
            await conn.executemany(
                "INSERT INTO console_access (at, staff, national_id, action)"
                " VALUES ($1, $2, $3, $4)",
                [(e.at, e.staff, e.national_id, e.action) for e in entries],
            )

    @unavailable
    async def access_log(
        self, query: AccessQuery, limit: int = 50, offset: int = 0
    ) -> list[AccessEntry]:
        """Look-ups matching ``query``, newest first."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, op, value in (
            ("staff", "=", query.staff or None),
            ("national_id", "=", query.national_id or None),
            ("at", ">=", query.since),
            ("at", "<", query.until),
        ):
            if value is not None:
                params.append(value)
                clauses.append(f"{column} {op} ${len(params)}")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        n = len(params)
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT staff, national_id, at, action FROM console_access{where}"
                f" ORDER BY at DESC, id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
                *params,
                limit,
                offset,
            )
        return [AccessEntry(r["staff"], r["national_id"], r["at"], r["action"]) for r in rows]

    # --- dashboard --------------------------------------------------------------------------

    @unavailable
    async def answer_counts(self, days: Sequence[DayWindow]) -> list[DayCount]:
        """Answers per day, channel and status.

        The log's times are UTC ISO text: compared byte by byte ("C"), they sort in time order
        whatever the database's collation.
        """
        if not days:
            return []
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT d.day, a.channel, a.status, count(*) AS n"
                " FROM unnest($1::date[], $2::text[], $3::text[]) AS d (day, start_at, end_at)"
                ' JOIN answer_log a ON a.created_at COLLATE "C" >= d.start_at'
                ' AND a.created_at COLLATE "C" < d.end_at'
                " GROUP BY d.day, a.channel, a.status ORDER BY d.day, a.channel, a.status",
                [d.day for d in days],
                [_log_ts(d.start) for d in days],
                [_log_ts(d.end) for d in days],
            )
        return [DayCount(r["day"], r["channel"], r["status"], int(r["n"])) for r in rows]

    async def close(self) -> None:
        """Nothing of its own to release: the pool is the gateway store's."""


def _phone_change(r: asyncpg.Record) -> PhoneChange:
    return PhoneChange(
        r["national_id"],
        r["old_phone"],
        r["new_phone"],
        r["changed_by"],
        r["changed_at"],
        r["reason"],
    )


def _log_ts(value: datetime) -> str:
    """An instant as the answer log writes it (``isoformat()`` of a UTC datetime)."""
    return value.astimezone(UTC).isoformat()
