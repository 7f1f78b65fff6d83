"""How many answers an asker may get, and how many all providers together about one person.

Three counters, in this order, each in fixed windows:

1. **per asker**: every provider (all its channels together), every insured phone, every
   staff account has its own budget.
2. **per provider and person**: one provider's checks of one national id. Past it only that
   provider is refused for that person; nobody else is.
3. **per person**: a ceiling on all providers' checks of one national id together, well above
   one provider's share, so that many providers cannot watch one person at will either.

A refused check counts no further: a provider past its own share of a person does not use
up the ceiling others share. Insured people, staff and the operator are not counted per
person: they are told only about their own family, or work a case.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.policy.askers import Asker, AskerKind


@dataclass(frozen=True, slots=True)
class QuotaSettings:
    """The limits of ``[inquiries]`` (see the settings file for their meaning)."""

    provider_per_minute: int = 600
    insured_per_hour: int = 30
    staff_per_hour: int = 1200
    provider_per_national_id: int = 20
    national_id_ceiling: int = 100
    national_id_window_seconds: int = 3600


class QuotaScope:
    """Names of the three counters (also what a refusal says was exceeded)."""

    ASKER = "asker"
    PROVIDER_PERSON = "provider_national_id"
    PERSON = "national_id"


@dataclass(frozen=True, slots=True)
class Quota:
    """One counter to hit: its scope, whose it is, its limit per window of seconds."""

    scope: str
    subject: tuple[str, ...]
    limit: int
    window: int


def asker_quota(asker: Asker, s: QuotaSettings) -> Quota | None:
    """The asker's own budget; None for the operator."""
    if asker.kind is AskerKind.PROVIDER:
        return Quota(QuotaScope.ASKER, ("provider", asker.ident), s.provider_per_minute, 60)
    if asker.kind is AskerKind.INSURED:
        return Quota(QuotaScope.ASKER, ("insured", asker.ident), s.insured_per_hour, 3600)
    if asker.kind is AskerKind.STAFF:
        return Quota(QuotaScope.ASKER, ("staff", asker.ident), s.staff_per_hour, 3600)
    return None


def quotas_for(asker: Asker, national_id: str, s: QuotaSettings) -> list[Quota]:
    """The counters one answer about ``national_id`` to ``asker`` hits, in order."""
    own = asker_quota(asker, s)
    found = [own] if own is not None else []
    if asker.kind is AskerKind.PROVIDER:
        window = s.national_id_window_seconds
        found.append(
            Quota(
                QuotaScope.PROVIDER_PERSON,
                (asker.ident, national_id),
                s.provider_per_national_id,
                window,
            )
        )
        found.append(Quota(QuotaScope.PERSON, (national_id,), s.national_id_ceiling, window))
    return found
