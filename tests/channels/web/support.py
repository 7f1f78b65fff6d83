"""The web channel's tests over the suite's gateway factory: three providers and their keys.

``open_web(make_gateway, ...)`` starts a gateway (the ``memory://`` store unless asked
otherwise) holding the demo personas and the demo pharmacy, and adds a deactivated clinic and
another provider, so that every test can ask as the active one, a deactivated one, or another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from eligibility_gw.demo import DEMO_PROVIDER_ID, Persona, personas
from eligibility_gw.domain.provider import Provider, ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.ports import Store
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.wording import Wording
from tests.conftest import MakeGateway
from tests.gateway import Client, TestGateway, gateway_settings

ACTIVE_ID = DEMO_PROVIDER_ID
INACTIVE_ID = "clinic-deactivated"
OTHER_ID = "lab-other"
#: Well-formed but never issued.
UNKNOWN_KEY = "egw_" + "x" * 43


@dataclass(frozen=True, slots=True)
class WebGateway:
    """A running gateway, its client, and the keys of its three providers."""

    tg: TestGateway
    other: Provider
    active_key: str
    inactive_key: str
    other_key: str

    @property
    def client(self) -> Client:
        """The HTTP client of the gateway's app."""
        return self.tg.client

    @property
    def store(self) -> Store:
        """Every port of the store (to read the answer log)."""
        return self.tg.store

    def auth(self, key: str) -> dict[str, str]:
        """The Authorization header for ``key``."""
        return self.tg.auth(key)

    def nid(self, persona: str) -> str:
        """A persona's national id."""
        return self.tg.nid(persona)

    async def mine(self, provider_id: str = ACTIVE_ID) -> list[str]:
        """The tracking codes of a provider's answers in the log, newest first."""
        found = await self.store.answers.by_asker("provider", provider_id)
        return [r.tracking_code.grouped() for r in found]


async def open_web(
    make_gateway: MakeGateway,
    web: Mapping[str, Any] | None = None,
    *,
    store: str = "memory",
    **options: Any,
) -> WebGateway:
    """A gateway with ``[channels.web]`` set to ``web``; ``options`` go to ``make_gateway``."""
    tg = await make_gateway(store=store, channels={"web": dict(web or {})}, **options)
    _, inactive_key = await tg.add_provider(INACTIVE_ID, active=False)
    other, other_key = await tg.add_provider(OTHER_ID, kind=ProviderKind.PARACLINIC)
    return WebGateway(tg, other, tg.api_key, inactive_key, other_key)


def today() -> date:
    """Today where the test gateways are (Asia/Tehran)."""
    return gateway_settings("memory://").today()


def persona_table() -> list[Persona]:
    """The ir-tamin personas as the factory stores them (for parametrising at collection)."""
    return personas(load_rule_pack("ir-tamin"), today())


async def logged(store: Store, code: str) -> bool:
    """Say whether the answer log holds ``code`` (as shown, grouped or not)."""
    return await store.answers.find(TrackingCode.parse(code)) is not None


def member_dates(persona: Persona, staff_view: Disclosure | None = None) -> set[date]:
    """Every date of the member's a provider must never read: birth, study, cover, its end.

    ``staff_view`` (the same answer as staff read it) adds the day cover ended.
    """
    row = persona.row
    found = {row.birth_date, row.cover_end, row.student_until}
    if staff_view is not None:
        found |= {staff_view.cover_end, staff_view.cover_ended}
    return {d for d in found if d is not None}


def written_forms(day: date) -> set[str]:
    """``day`` as any reader's page could write it (ISO, Solar Hijri, Persian digits)."""
    forms = {day.isoformat(), day.strftime("%Y/%m/%d")}
    for lang in ("en", "fa"):
        written = Wording(lang).date(day)
        forms |= {written, written.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))}
    return forms
