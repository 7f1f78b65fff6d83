"""Whether a provider may ask: deactivated by hand, or stale in the provider registry.

A scheme whose establishments' registry deactivates those whose data was not sent again for
the current period (Brazil's CNES: ``[providers] stale_after_months``) makes a provider
inactive from the day after its data turned that old, whatever a daily check has recorded
yet; it is active again once the feed brings newer data. Pure rules, read by the inquiry
policy and by the commands that list providers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from eligibility_gw.domain.errors import ProviderInactive
from eligibility_gw.domain.provider import Provider, is_stale, stale_from


def standing(provider: Provider, stale_after_months: int | None, today: date) -> Provider:
    """``provider`` as it stands on ``today``: inactive, and marked stale since the first
    day its data was too old, when it is; unchanged otherwise."""
    if not is_stale(provider, stale_after_months, today):
        return provider
    since = provider.stale_since or stale_from(provider, stale_after_months)
    return replace(provider, active=False, stale_since=since)


def is_stale_now(provider: Provider) -> bool:
    """Say whether a provider as it stands (``standing``) is refused for stale data."""
    return not provider.active and provider.stale_since is not None


def inactive(provider: Provider, stale_after_months: int | None) -> ProviderInactive:
    """The refusal of an inactive provider: why, and how to become active again."""
    if is_stale_now(provider) and provider.last_updated is not None:
        return ProviderInactive(
            f"provider {provider.provider_id} sent its registry data last on"
            f" {provider.last_updated}: stale",
            problem="stale",
            last_updated=provider.last_updated,
            months=stale_after_months or 0,
        )
    return ProviderInactive(f"provider {provider.provider_id} is deactivated")
