"""The answer record: what was asked, what was answered, and its tracking code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eligibility_gw.domain.model import Decision, PrivilegeOnFile, Reason, ServiceSetting, Status
from eligibility_gw.domain.tracking import TrackingCode

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AnswerDraft:
    """An answer about to be logged; the log gives it its tracking code and chain hash."""

    channel: str
    asker_kind: str
    asker_id: str
    national_id: str
    service_date: date
    setting: ServiceSetting
    decision: Decision
    member_relationship: str | None = None
    member_masked: str | None = None
    principal_id: str | None = None
    #: The last day of a service period asked about (``service_date`` is its first), or
    #: None for a single day.
    service_until: date | None = None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """An answer as the log holds it."""

    seq: int
    tracking_code: TrackingCode
    created_at: datetime
    draft: AnswerDraft
    prev_hash: str
    row_hash: str

    @property
    def status(self) -> Status:
        """The recorded status."""
        return self.draft.decision.status

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The recorded reasons."""
        return self.draft.decision.reasons


def reasons_to_json(reasons: tuple[Reason, ...]) -> list[dict[str, Any]]:
    """Reasons as plain JSON data (as logged and as APIs return them)."""
    return [
        {
            "code": r.code,
            "resolve_with": r.resolve_with,
            "params": dict(r.params),
            "blocking": r.blocking,
        }
        for r in reasons
    ]


def reasons_from_json(data: list[dict[str, Any]]) -> tuple[Reason, ...]:
    """Read reasons back from their JSON form."""
    return tuple(
        Reason(
            code=str(r["code"]),
            resolve_with=r.get("resolve_with"),
            params=tuple(sorted((str(k), str(v)) for k, v in r.get("params", {}).items())),
            blocking=bool(r.get("blocking", True)),
        )
        for r in data
    )


def privileges_to_json(privileges: tuple[PrivilegeOnFile, ...]) -> list[list[str | None]]:
    """Privileges as the log keeps them: ``[kind, valid-until or null]`` pairs."""
    return [[p.kind, p.valid_until.isoformat() if p.valid_until else None] for p in privileges]


def privileges_from_json(data: list[list[str | None]] | None) -> tuple[PrivilegeOnFile, ...]:
    """Privileges back from their logged form."""
    return tuple(
        PrivilegeOnFile(str(kind), date.fromisoformat(until) if until else None)
        for kind, until in (data or [])
    )


def chain_payload(
    seq: int, tracking_code: str, created_at: str, draft: AnswerDraft
) -> dict[str, Any]:
    """The fields a row's hash covers, in a canonical form.

    ``service_until``, the member's category and privileges are covered only when set: rows
    written before they were answered keep the hash they were written with.
    """
    d = draft.decision
    payload: dict[str, Any] = {
        "seq": seq,
        "tracking_code": tracking_code,
        "created_at": created_at,
        "channel": draft.channel,
        "asker_kind": draft.asker_kind,
        "asker_id": draft.asker_id,
        "national_id": draft.national_id,
        "service_date": draft.service_date.isoformat(),
        "setting": draft.setting.value,
        "status": d.status.value,
        "reasons": reasons_to_json(d.reasons),
        "cover_end": d.cover_end.isoformat() if d.cover_end else None,
        "rule_pack": d.rule_pack,
        "rule_pack_version": d.rule_pack_version,
        "member_relationship": draft.member_relationship,
        "member_masked": draft.member_masked,
        "principal_id": draft.principal_id,
    }
    if draft.service_until is not None:
        payload["service_until"] = draft.service_until.isoformat()
    if d.category is not None:
        payload["member_category"] = d.category
    if d.privileges:
        payload["privileges"] = privileges_to_json(d.privileges)
    return payload


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 over the previous row's hash and this row's canonical JSON."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def link(
    drafts: Sequence[AnswerDraft],
    codes: Sequence[TrackingCode],
    seq: int,
    prev_hash: str,
    now: Callable[[], datetime],
) -> list[tuple[AnswerRecord, dict[str, Any]]]:
    """Chain ``drafts`` after the row ``seq`` whose hash is ``prev_hash``: each one's record and
    the payload its hash covers (the stores write rows from both)."""
    linked: list[tuple[AnswerRecord, dict[str, Any]]] = []
    for draft, code in zip(drafts, codes, strict=True):
        seq += 1
        created = now()
        payload = chain_payload(seq, code.digits, created.isoformat(), draft)
        row_hash = chain_hash(prev_hash, payload)
        linked.append((AnswerRecord(seq, code, created, draft, prev_hash, row_hash), payload))
        prev_hash = row_hash
    return linked
