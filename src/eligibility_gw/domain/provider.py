"""Providers: registered establishments that may ask about members."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from eligibility_gw.domain.dates import add_months


class ProviderKind(enum.StrEnum):
    """The kinds of contracted providers."""

    PHARMACY = "pharmacy"
    PHYSICIAN = "physician"
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    PARACLINIC = "paraclinic"


@dataclass(frozen=True, slots=True)
class Provider:
    """A registered provider; only an active one may ask."""

    provider_id: str
    name: str
    kind: ProviderKind
    phone: str | None
    active: bool
    created_at: datetime
    status_changed_at: datetime | None = None
    #: When the provider last sent its registry data (the CNES feed), if ever.
    last_updated: date | None = None
    #: The day a daily check found its data stale (None: not found stale).
    stale_since: date | None = None


def stale_from(provider: Provider, months: int | None) -> date | None:
    """The first day ``provider``'s data is older than ``months`` months (None: never).

    Data sent on 31 May and valid six months is fresh through 30 November (to the same day
    of the last month, clamped), stale from the day after.
    """
    if months is None or provider.last_updated is None:
        return None
    return add_months(provider.last_updated, months) + timedelta(days=1)


def is_stale(provider: Provider, months: int | None, today: date) -> bool:
    """Say whether ``provider``'s data is too old on ``today`` (it must send it again)."""
    first = stale_from(provider, months)
    return first is not None and today >= first
