"""The provider registry feed (Brazil's CNES): upsert establishments, and find the stale ones.

A feed is a CSV of ``id, name, kind, phone, last_updated``, one establishment a row. A row
names a new provider (registered with a fresh API key, shown once) or updates a known one;
its ``last_updated`` is when the establishment last sent its data. A provider whose data is
older than the rule pack's ``[providers] stale_after_months`` is refused (the inquiry policy
computes it each day: ``policy.standing``), and active again once a newer row is imported.
``check_stale`` records the day each provider was found stale, for ``providers list`` and
the daily check of ``serve``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from eligibility_gw.domain.provider import Provider, ProviderKind, is_stale
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.ports import FeedOutcome, ProviderFeedRow, Providers, Registry
from eligibility_gw.providers import (
    PROVIDER_ID,
    PhoneRefused,
    hash_api_key,
    new_api_key,
    provider_phone,
)

FEED_COLUMNS = ("id", "name", "kind", "phone", "last_updated")
MAX_NAME = 200
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BAD_TEXT = re.compile("[\x00-\x1f\x7f\udc80-\udcff]")
_KINDS = ", ".join(k.value for k in ProviderKind)


class FeedHeaderError(ValueError):
    """The feed's header lacks columns: nothing can be imported."""


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A refused row: where, and why."""

    line: int
    reason: str


@dataclass(slots=True)
class FeedReport:
    """What a feed import did."""

    rows_read: int = 0
    problems: list[FeedProblem] = field(default_factory=list)
    #: New providers and their API keys (shown once, kept only as hashes).
    created: list[tuple[Provider, str]] = field(default_factory=list)
    updated: list[Provider] = field(default_factory=list)
    #: Providers that were stale and are active again with the row's newer data.
    reactivated: list[Provider] = field(default_factory=list)
    #: Rows older than the data on file: nothing changed.
    older: list[Provider] = field(default_factory=list)


def _row_error(message: str) -> ValueError:
    return ValueError(message)


def parse_feed_row(
    cells: dict[str, str], pack: RulePack, today: date
) -> tuple[str, str, ProviderKind, str, date]:
    """One row's id, name, kind, phone (as typed) and date, checked; ``ValueError`` why not."""
    rules = pack.providers
    provider_id = cells["id"]
    if not PROVIDER_ID.match(provider_id):
        raise _row_error(f"id {provider_id[:70]!r}: letters, digits, '.', '_' or '-', at most 64")
    if not rules.id_ok(provider_id):
        raise _row_error(
            f"id {provider_id!r} is not a {rules.id_label} (rule pack {pack.label}:"
            f" {rules.id_pattern})"
        )
    name = cells["name"]
    if not name:
        raise _row_error("name is required")
    if _BAD_TEXT.search(name):
        raise _row_error("name contains control characters or bytes that are not UTF-8")
    if len(name) > MAX_NAME:
        raise _row_error(f"name is longer than {MAX_NAME} characters")
    try:
        kind = ProviderKind(cells["kind"].lower())
    except ValueError:
        raise _row_error(f"kind {cells['kind'][:40]!r} is not one of {_KINDS}") from None
    text = cells["last_updated"]
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        last = date.fromisoformat(text)
    except ValueError:
        raise _row_error(f"last_updated {text[:40]!r} is not a date YYYY-MM-DD") from None
    if last > today:
        raise _row_error(f"last_updated {last} is in the future")
    return provider_id, name, kind, cells["phone"], last


async def import_providers(
    path: Path, providers: Providers, registry: Registry, pack: RulePack, today: date
) -> FeedReport:
    """Upsert the providers of the feed at ``path``; bad rows are reported by line.

    A phone must be a mobile of the pack's region held by no other provider and on file for
    no insured person (as ``providers add`` checks): a provider is told by its phone.
    """
    report = FeedReport()
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise FeedHeaderError("the file is empty: a header row is required") from None
        except csv.Error as exc:
            raise FeedHeaderError(f"the header row cannot be read: {exc}") from None
        missing = [c for c in FEED_COLUMNS if c not in header]
        if missing:
            raise FeedHeaderError(f"missing column(s): {', '.join(missing)}")
        where = {c: header.index(c) for c in FEED_COLUMNS}
        seen: dict[str, int] = {}
        phones: dict[str, str] = {}
        try:
            for fields in reader:
                if not fields or not any(f.strip() for f in fields):
                    continue
                report.rows_read += 1
                line = reader.line_num
                if len(fields) != len(header):
                    report.problems.append(
                        FeedProblem(line, f"{len(fields)} fields, expected {len(header)}")
                    )
                    continue
                cells = {c: fields[i].strip() for c, i in where.items()}
                try:
                    row = await _checked(cells, pack, today, providers, registry, seen, phones)
                except ValueError as exc:
                    report.problems.append(FeedProblem(line, str(exc)))
                    continue
                seen[row.provider_id] = line
                if row.phone:
                    phones[row.phone] = row.provider_id
                key = new_api_key()
                provider, outcome = await providers.feed(row, hash_api_key(key))
                if outcome is FeedOutcome.CREATED:
                    report.created.append((provider, key))
                elif outcome is FeedOutcome.REACTIVATED:
                    report.reactivated.append(provider)
                elif outcome is FeedOutcome.UPDATED:
                    report.updated.append(provider)
                else:
                    report.older.append(provider)
        except csv.Error as exc:
            report.problems.append(FeedProblem(reader.line_num, f"malformed CSV: {exc}"))
    return report


async def _checked(
    cells: dict[str, str],
    pack: RulePack,
    today: date,
    providers: Providers,
    registry: Registry,
    seen: dict[str, int],
    phones: dict[str, str],
) -> ProviderFeedRow:
    provider_id, name, kind, raw_phone, last = parse_feed_row(cells, pack, today)
    if provider_id in seen:
        raise _row_error(f"id {provider_id} appears again (first on line {seen[provider_id]})")
    phone = None
    if raw_phone:
        try:
            phone = provider_phone(raw_phone, pack.phone_region)
        except PhoneRefused as exc:
            raise _row_error(f"phone: {exc}") from None
        holder = phones.get(phone)
        if holder is None:
            found = await providers.by_phone(phone)
            holder = found.provider_id if found is not None else None
        if holder is not None and holder != provider_id:
            raise _row_error(f"phone: {phone} is registered to provider {holder} already")
        if await registry.people_by_phone(phone):
            raise _row_error(
                f"phone: {phone} is on file for an insured person: a provider's phone must be"
                " its own"
            )
    return ProviderFeedRow(provider_id, name, kind, phone, last)


def stale_providers(providers: Sequence[Provider], pack: RulePack, today: date) -> list[Provider]:
    """The providers whose registry data is too old on ``today`` under ``pack``."""
    months = pack.providers.stale_after_months
    return [p for p in providers if is_stale(p, months, today)]


async def check_stale(providers: Providers, pack: RulePack, today: date) -> list[Provider]:
    """Record the day each provider was found stale (the daily check); those found now."""
    if pack.providers.stale_after_months is None:
        return []
    found = [p for p in stale_providers(await providers.list(), pack, today) if not p.stale_since]
    if found:
        await providers.mark_stale([p.provider_id for p in found], today)
    return found
