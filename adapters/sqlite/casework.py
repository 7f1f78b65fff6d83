"""SQLite ``ConsoleStore``: staff, disputes, corrections, access log, dashboard counts (0006).

It works on the file's ``SqliteDatabase`` like every other SQLite adapter: writes under the
file's gate, reads in the reader's thread. Branch documents and phone corrections are written
to the registry's own tables, so the next ``find_family`` (and so the next inquiry) sees them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from eligibility_gw.adapters.sqlite.database import SqliteDatabase, unavailable
from eligibility_gw.adapters.sqlite.registry import SqliteRegistry
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


def _ts(value: datetime) -> str:
    """An instant as sortable text: UTC, always with microseconds."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _staff(r: Any) -> StaffAccount:
    return StaffAccount(r[0], Role(r[1]), r[2], bool(r[3]), _at(r[4]))


def _dispute(r: Any) -> Dispute:
    return Dispute(
        code=DisputeCode(r[0]),
        national_id=r[1],
        tracking_code=r[2],
        caller_channel=r[3],
        caller_phone=r[4],
        language=r[5],
        summary=r[6],
        status=DisputeStatus(r[7]),
        opened_by=r[8],
        opened_at=_at(r[9]),
        due_at=_at(r[10]),
        updated_at=_at(r[11]),
        resolution_code=r[12],
        sms_status=r[13],
        sms_message_sid=r[14],
    )


def _event_row(code: DisputeCode, e: DisputeEvent) -> tuple[Any, ...]:
    return (
        code.digits,
        _ts(e.at),
        e.staff,
        e.kind.value,
        e.from_status.value if e.from_status else None,
        e.to_status.value if e.to_status else None,
        e.text,
    )


_INSERT_EVENT = (
    "INSERT INTO console_dispute_event (code, at, staff, kind, from_status, to_status, text)"
    " VALUES (?,?,?,?,?,?,?)"
)


class SqliteConsoleStore:
    """The SQLite implementation of ``ports.casework.ConsoleStore``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Run statements in one transaction; the row counts each changed."""
        counts: list[int] = []
        async with self._db.transaction() as w:
            for sql, params in statements:
                cur = await w.execute(sql, tuple(params))
                counts.append(cur.rowcount)
                await cur.close()
        return counts

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return await self._db.fetchall(sql, params)

    # --- staff ------------------------------------------------------------------------------

    @unavailable
    async def add_staff(self, username: str, role: Role, password_hash: str) -> StaffAccount:
        """Create an account; ``ValueError`` when the name is taken."""
        now = _ts(datetime.now(UTC))
        try:
            await self._write(
                [
                    (
                        "INSERT INTO console_staff (username, role, password_hash, active,"
                        " created_at) VALUES (?,?,?,1,?)",
                        (username, role.value, password_hash, now),
                    )
                ]
            )
        except sqlite3.IntegrityError as exc:
            raise ValueError(f"staff account {username!r} exists already") from exc
        found = await self.get_staff(username)
        assert found is not None
        return found

    @unavailable
    async def get_staff(self, username: str) -> StaffAccount | None:
        """One account by name."""
        rows = await self._rows(
            f"SELECT {_STAFF_COLUMNS} FROM console_staff WHERE username = ?", (username,)
        )
        return _staff(rows[0]) if rows else None

    @unavailable
    async def list_staff(self) -> list[StaffAccount]:
        """Every account, by name."""
        rows = await self._rows(f"SELECT {_STAFF_COLUMNS} FROM console_staff ORDER BY username")
        return [_staff(r) for r in rows]

    @unavailable
    async def set_staff_active(self, username: str, active: bool) -> StaffAccount | None:
        """Enable or disable an account."""
        await self._write(
            [
                (
                    "UPDATE console_staff SET active = ?, changed_at = ? WHERE username = ?",
                    (int(active), _ts(datetime.now(UTC)), username),
                )
            ]
        )
        return await self.get_staff(username)

    @unavailable
    async def set_password_hash(self, username: str, password_hash: str) -> bool:
        """Replace an account's password hash."""
        (count,) = await self._write(
            [
                (
                    "UPDATE console_staff SET password_hash = ?, changed_at = ? WHERE username = ?",
                    (password_hash, _ts(datetime.now(UTC)), username),
                )
            ]
        )
        return count > 0

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
                await self._write(
                    [
                        (
                            f"INSERT INTO console_dispute ({_DISPUTE_COLUMNS})"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL,NULL,NULL)",
                            (
                                code.digits,
                                draft.national_id,
                                draft.tracking_code,
                                draft.caller_channel,
                                draft.caller_phone,
                                draft.language,
                                draft.summary,
                                DisputeStatus.RECEIVED.value,
                                draft.opened_by,
                                _ts(draft.opened_at),
                                _ts(draft.due_at),
                                _ts(draft.opened_at),
                            ),
                        ),
                        (_INSERT_EVENT, _event_row(code, opened)),
                    ]
                )
            except sqlite3.IntegrityError:
                continue  # the code was taken: draw another
            found = await self.get_dispute(code)
            assert found is not None
            return found
        raise RuntimeError("no free dispute code after several draws")

    @unavailable
    async def get_dispute(self, code: DisputeCode) -> Dispute | None:
        """One dispute by code."""
        rows = await self._rows(
            f"SELECT {_DISPUTE_COLUMNS} FROM console_dispute WHERE code = ?", (code.digits,)
        )
        return _dispute(rows[0]) if rows else None

    @unavailable
    async def disputes_about(self, national_id: str) -> list[Dispute]:
        """Every dispute about one person, newest first."""
        rows = await self._rows(
            f"SELECT {_DISPUTE_COLUMNS} FROM console_dispute WHERE national_id = ?"
            " ORDER BY opened_at DESC, code",
            (national_id,),
        )
        return [_dispute(r) for r in rows]

    def _where(
        self, statuses: Sequence[DisputeStatus], due_before: datetime | None
    ) -> tuple[str, list[Any]]:
        marks = ",".join("?" * len(statuses)) or "NULL"
        sql = f" WHERE status IN ({marks})"
        params: list[Any] = [s.value for s in statuses]
        if due_before is not None:
            sql += " AND due_at < ?"
            params.append(_ts(due_before))
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
        rows = await self._rows(
            f"SELECT {_DISPUTE_COLUMNS} FROM console_dispute{where}"
            " ORDER BY due_at, code LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_dispute(r) for r in rows]

    @unavailable
    async def count_disputes(
        self, statuses: Sequence[DisputeStatus], due_before: datetime | None = None
    ) -> int:
        """How many disputes match."""
        where, params = self._where(statuses, due_before)
        rows = await self._rows(f"SELECT count(*) FROM console_dispute{where}", params)
        return int(rows[0][0])

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
        sql = "UPDATE console_dispute SET status = ?, updated_at = ?"
        params: list[Any] = [event.to_status.value, _ts(event.at)]
        if due_at is not None:
            sql += ", due_at = ?"
            params.append(_ts(due_at))
        sql += " WHERE code = ? AND status = ?"
        params += [code.digits, expected.value]
        async with self._db.transaction() as w:
            cur = await w.execute(sql, params)
            moved = cur.rowcount > 0
            await cur.close()
            if moved:
                await w.execute(_INSERT_EVENT, _event_row(code, event))
        return await self.get_dispute(code) if moved else None

    @unavailable
    async def add_event(self, code: DisputeCode, event: DisputeEvent) -> None:
        """Add a line to the dispute's history."""
        await self._write(
            [
                (_INSERT_EVENT, _event_row(code, event)),
                (
                    "UPDATE console_dispute SET updated_at = ? WHERE code = ?",
                    (_ts(event.at), code.digits),
                ),
            ]
        )

    @unavailable
    async def events(self, code: DisputeCode) -> list[DisputeEvent]:
        """The dispute's history, oldest first."""
        rows = await self._rows(
            "SELECT at, staff, kind, text, from_status, to_status FROM console_dispute_event"
            " WHERE code = ? ORDER BY id",
            (code.digits,),
        )
        return [
            DisputeEvent(
                _at(r[0]),
                r[1],
                EventKind(r[2]),
                r[3],
                DisputeStatus(r[4]) if r[4] else None,
                DisputeStatus(r[5]) if r[5] else None,
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
        await self._write(
            [
                (
                    "UPDATE console_dispute SET resolution_code = coalesce(?, resolution_code),"
                    " sms_status = ?, sms_message_sid = ?, updated_at = ? WHERE code = ?",
                    (resolution_code, sms_status, sms_message_sid, _ts(event.at), code.digits),
                ),
                (_INSERT_EVENT, _event_row(code, event)),
            ]
        )

    @unavailable
    async def undelivered_outcomes(self, limit: int = 50, offset: int = 0) -> list[Dispute]:
        """Disputes whose outcome SMS failed to go out or was reported undelivered or failed."""
        columns = ", ".join(f"d.{c.strip()}" for c in _DISPUTE_COLUMNS.split(","))
        rows = await self._rows(
            f"SELECT {columns} FROM console_dispute d"
            " LEFT JOIN sms_outbound o ON o.message_sid = d.sms_message_sid"
            f" WHERE d.sms_status = 'failed' OR o.status IN ({UNDELIVERED_SQL})"
            " ORDER BY d.updated_at DESC, d.code LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_dispute(r) for r in rows]

    # --- corrections ------------------------------------------------------------------------

    @unavailable
    async def record_document(self, draft: DocumentDraft) -> bool:
        """Put a branch document on file; False when nobody has that national id."""
        (count,) = await self._write(
            [
                (
                    "INSERT INTO document (person_id, kind, valid_from, valid_until, source,"
                    " recorded_by, recorded_at, note) SELECT national_id, ?, ?, ?, 'branch', ?,"
                    " ?, ? FROM person WHERE national_id = ?",
                    (
                        draft.kind,
                        draft.valid_from.isoformat() if draft.valid_from else None,
                        draft.valid_until.isoformat() if draft.valid_until else None,
                        draft.recorded_by,
                        _ts(draft.recorded_at),
                        draft.note,
                        draft.national_id,
                    ),
                )
            ]
        )
        return count > 0

    @unavailable
    async def documents_of(self, national_id: str) -> list[DocumentOnFile]:
        """Every document on file for the person, oldest first."""
        rows = await self._rows(
            "SELECT kind, valid_from, valid_until, source, recorded_by, recorded_at, note"
            " FROM document WHERE person_id = ? ORDER BY id",
            (national_id,),
        )
        return [
            DocumentOnFile(r[0], _day(r[1]), _day(r[2]), r[3], r[4], _at(r[5]), r[6]) for r in rows
        ]

    @unavailable
    async def correct_phone(
        self, national_id: str, new_phone: str, changed_by: str, changed_at: datetime, reason: str
    ) -> PhoneChange | None:
        """Change the phone on file, keeping the old one in the change log."""
        at = _ts(changed_at)
        counts = await self._write(
            [
                (
                    "INSERT INTO console_phone_change (national_id, old_phone, new_phone,"
                    " changed_by, changed_at, reason) SELECT national_id, phone, ?, ?, ?, ?"
                    " FROM person WHERE national_id = ?",
                    (new_phone, changed_by, at, reason, national_id),
                ),
                (
                    "UPDATE person SET phone = ?, updated_at = ? WHERE national_id = ?",
                    (new_phone, at, national_id),
                ),
            ]
        )
        if counts[0] == 0:
            return None
        return (await self.phone_changes(national_id))[0]

    @unavailable
    async def phone_changes(self, national_id: str) -> list[PhoneChange]:
        """The person's phone corrections, newest first."""
        rows = await self._rows(
            "SELECT national_id, old_phone, new_phone, changed_by, changed_at, reason"
            " FROM console_phone_change WHERE national_id = ? ORDER BY id DESC",
            (national_id,),
        )
        return [PhoneChange(r[0], r[1], r[2], r[3], _at(r[4]), r[5]) for r in rows]

    # --- look-ups ---------------------------------------------------------------------------

    async def national_ids_named(
        self, family_name: str, birth_date: date, limit: int = 20
    ) -> list[str]:
        """The national ids of persons born on ``birth_date`` named ``family_name``."""
        found = await SqliteRegistry(self._db).people_named(family_name, birth_date, limit)
        return [p.national_id for p in found]

    # --- access log -------------------------------------------------------------------------

    @unavailable
    async def log_access(self, entries: Sequence[AccessEntry]) -> None:
        """Keep look-ups before the page showing them is sent."""
        if not entries:
            return
        async with self._db.transaction() as w:
            await w.executemany(
                "INSERT INTO console_access (at, staff, national_id, action) VALUES (?,?,?,?)",
                [(_ts(e.at), e.staff, e.national_id, e.action) for e in entries],
            )

    @unavailable
    async def access_log(
        self, query: AccessQuery, limit: int = 50, offset: int = 0
    ) -> list[AccessEntry]:
        """Look-ups matching ``query``, newest first."""
        sql = "SELECT staff, national_id, at, action FROM console_access WHERE 1 = 1"
        params: list[Any] = []
        if query.staff:
            sql += " AND staff = ?"
            params.append(query.staff)
        if query.national_id:
            sql += " AND national_id = ?"
            params.append(query.national_id)
        if query.since is not None:
            sql += " AND at >= ?"
            params.append(_ts(query.since))
        if query.until is not None:
            sql += " AND at < ?"
            params.append(_ts(query.until))
        sql += " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
        rows = await self._rows(sql, [*params, limit, offset])
        return [AccessEntry(r[0], r[1], _at(r[2]), r[3]) for r in rows]

    # --- dashboard --------------------------------------------------------------------------

    @unavailable
    async def answer_counts(self, days: Sequence[DayWindow]) -> list[DayCount]:
        """Answers per day, channel and status (the log's times are UTC ISO text)."""
        if not days:
            return []
        values = ",".join("(?,?,?)" for _ in days)
        params: list[Any] = []
        for d in days:
            params += [d.day.isoformat(), _log_ts(d.start), _log_ts(d.end)]
        rows = await self._rows(
            f"WITH days (day, start_at, end_at) AS (VALUES {values})"
            " SELECT d.day, a.channel, a.status, count(*) FROM days d JOIN answer_log a"
            " ON a.created_at >= d.start_at AND a.created_at < d.end_at"
            " GROUP BY d.day, a.channel, a.status ORDER BY d.day, a.channel, a.status",
            params,
        )
        return [DayCount(date.fromisoformat(r[0]), r[1], r[2], int(r[3])) for r in rows]

    async def close(self) -> None:
        """Nothing of its own to release: the database is closed by the store."""


def _log_ts(value: datetime) -> str:
    """An instant as the answer log writes it (``isoformat()`` of a UTC datetime)."""
    return value.astimezone(UTC).isoformat()
