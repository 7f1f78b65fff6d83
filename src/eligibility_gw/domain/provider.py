"""Providers: registered establishments that may ask about members."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


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
