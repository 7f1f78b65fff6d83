"""Rows <-> domain objects, written once for every store (SQLite, PostgreSQL, memory).

Rows are read by position in the column orders below, so a SQLite tuple and an asyncpg
``Record`` map alike. SQLite keeps dates and instants as ISO text; PostgreSQL hands dates
back as ``date`` objects: ``day`` and ``instant`` take either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import orjson

from eligibility_gw.domain.answer import (
    AnswerDraft,
    AnswerRecord,
    privileges_from_json,
    reasons_from_json,
)
from eligibility_gw.domain.model import (
    CoverPeriod,
    Decision,
    Document,
    MaritalStatus,
    Person,
    PrivilegeOnFile,
    ServiceSetting,
    Sex,
    Status,
)
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode

#: A person's columns, in the order every store selects them.
PERSON_COLUMNS = (
    "national_id",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "phone",
    "relationship",
    "principal_id",
    "marital_status",
    "disabled",
    "has_income",
    "other_insurer",
    "category",
)
#: The answer log's columns, in the order every store writes and selects them.
LOG_COLUMNS = (
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
    "service_until",
    "member_category",
    "privileges",
)
#: A provider's columns, in the order every store selects them.
PROVIDER_COLUMNS = (
    "provider_id",
    "name",
    "kind",
    "phone",
    "active",
    "created_at",
    "status_changed_at",
    "last_updated",
    "stale_since",
)

#: A row of a driver: a tuple (sqlite3), a ``Record`` (asyncpg); read by position.
Row = Any


def day(value: date | str | None) -> date | None:
    """A date from a column: a ``date`` (PostgreSQL), ISO text (SQLite), or nothing.

    PostgreSQL writes ``date.max`` (cover without an end) as ``infinity`` in JSON.
    """
    if value is None or value == "":
        return None
    if value == "infinity":  # PostgreSQL's name for date.max (cover without an end)
        return date.max
    return value if isinstance(value, date) else date.fromisoformat(value)


def instant(value: datetime | str | None) -> datetime | None:
    """An instant from a column: a ``datetime`` or ISO text."""
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def iso(value: date | None) -> str | None:
    """A date as SQLite keeps it."""
    return value.isoformat() if value else None


def stamp(value: datetime) -> str:
    """An instant as sortable text: UTC, always with microseconds."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def flag(value: Any) -> bool | None:
    """A yes/no column (SQLite 0/1, PostgreSQL boolean) or nothing."""
    return None if value is None else bool(value)


def person(
    r: Row,
    periods: tuple[CoverPeriod, ...] = (),
    docs: tuple[Document, ...] = (),
    privileges: tuple[PrivilegeOnFile, ...] = (),
) -> Person:
    """A person from a row of ``PERSON_COLUMNS`` (and what the family query adds)."""
    return Person(
        national_id=r[0],
        given_name=r[1],
        family_name=r[2],
        birth_date=day(r[3]),
        sex=Sex(r[4]) if r[4] else None,
        phone=r[5],
        relationship=r[6],
        principal_id=r[7],
        marital_status=MaritalStatus(r[8]) if r[8] else None,
        disabled=flag(r[9]),
        has_income=flag(r[10]),
        other_insurer=r[11],
        cover_periods=periods,
        documents=docs,
        category=r[12],
        privileges=privileges,
    )


def documents(array: list[Sequence[Any]] | None) -> tuple[Document, ...]:
    """Documents from ``[kind, valid_from, valid_until, source]`` arrays."""
    if not array:
        return ()
    return tuple(Document(kind, day(vf), day(vu), source) for kind, vf, vu, source in array)


def documents_json(text: str | None) -> tuple[Document, ...]:
    """Documents from the JSON array a family query aggregates (None: no documents).

    Read with orjson: the database wrote it, and it is read for every member of every
    family asked about."""
    return documents(orjson.loads(text)) if text else ()


def privileges_json(text: str | None) -> tuple[PrivilegeOnFile, ...]:
    """Privileges from the ``[kind, valid_until]`` arrays a family query aggregates."""
    if not text:
        return ()
    return tuple(PrivilegeOnFile(kind, day(until)) for kind, until in orjson.loads(text))


def record(r: Row) -> AnswerRecord:
    """An answer from a row of ``LOG_COLUMNS``."""
    decision = Decision(
        status=Status(r[9]),
        reasons=reasons_from_json(json.loads(r[10])),
        cover_end=day(r[11]),
        rule_pack=r[12],
        rule_pack_version=r[13],
        category=r[20],
        privileges=privileges_from_json(json.loads(r[21]) if r[21] else None),
    )
    draft = AnswerDraft(
        channel=r[3],
        asker_kind=r[4],
        asker_id=r[5],
        national_id=r[6],
        service_date=day(r[7]) or date.min,
        setting=ServiceSetting(r[8]),
        decision=decision,
        member_relationship=r[14],
        member_masked=r[15],
        principal_id=r[16],
        service_until=day(r[19]),
    )
    created = instant(r[2])
    assert created is not None
    return AnswerRecord(
        seq=int(r[0]),
        tracking_code=TrackingCode(r[1]),
        created_at=created,
        draft=draft,
        prev_hash=r[17],
        row_hash=r[18],
    )


def log_row(linked: AnswerRecord, payload: dict[str, Any], dates_as_text: bool) -> tuple[Any, ...]:
    """The row of ``LOG_COLUMNS`` for an answer ``link()`` chained (SQLite keeps dates as text)."""
    draft = linked.draft
    return (
        linked.seq,
        linked.tracking_code.digits,
        payload["created_at"],
        draft.channel,
        draft.asker_kind,
        draft.asker_id,
        draft.national_id,
        payload["service_date"] if dates_as_text else draft.service_date,
        payload["setting"],
        payload["status"],
        json.dumps(payload["reasons"], ensure_ascii=False),
        payload["cover_end"] if dates_as_text else draft.decision.cover_end,
        payload["rule_pack"],
        payload["rule_pack_version"],
        draft.member_relationship,
        draft.member_masked,
        draft.principal_id,
        linked.prev_hash,
        linked.row_hash,
        payload.get("service_until") if dates_as_text else draft.service_until,
        payload.get("member_category"),
        json.dumps(payload["privileges"]) if "privileges" in payload else None,
    )


def provider(r: Row) -> Provider:
    """A provider from a row of ``PROVIDER_COLUMNS``."""
    created = instant(r[5])
    assert created is not None
    return Provider(
        provider_id=r[0],
        name=r[1],
        kind=ProviderKind(r[2]),
        phone=r[3],
        active=bool(r[4]),
        created_at=created,
        status_changed_at=instant(r[6]),
        last_updated=day(r[7]),
        stale_since=day(r[8]),
    )


def select(columns: Sequence[str], prefix: str = "") -> str:
    """A column list for ``SELECT``."""
    return ", ".join(prefix + c for c in columns)


def period_day(value: date | str) -> date:
    """A cover period's day (never empty): ``day`` for columns that always hold one."""
    found = day(value)
    assert found is not None
    return found
