"""A gateway on a temporary SQLite file with the demo personas and two providers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from eligibility_gw.app import create_app
from eligibility_gw.bootstrap import Core, open_core
from eligibility_gw.demo import Persona, personas
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.providers import hash_api_key, new_api_key
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.settings import Settings, parse_settings

ACTIVE_ID = "pharmacy-active"
INACTIVE_ID = "clinic-deactivated"
OTHER_ID = "lab-other"
#: Well-formed but never issued.
UNKNOWN_KEY = "egw_" + "x" * 43


@dataclass(frozen=True, slots=True)
class Gateway:
    """A seeded core, its app, and the keys of its providers."""

    settings: Settings
    core: Core
    app: web.Application
    personas: Mapping[str, Persona]
    active_key: str
    inactive_key: str
    other_key: str

    def auth(self, key: str) -> dict[str, str]:
        """The Authorization header for ``key``."""
        return {"Authorization": f"Bearer {key}"}

    def nid(self, persona: str) -> str:
        """A persona's national id."""
        return self.personas[persona].row.national_id


def gateway_settings(db: Path, web_settings: Mapping[str, Any] | None = None) -> Settings:
    """The shipped defaults (ir-tamin, Tehran, fa then en) on ``db``, with web knobs."""
    return parse_settings(
        {
            "gateway": {
                "rule_pack": "ir-tamin",
                "time_zone": "Asia/Tehran",
                "languages": ["fa", "en"],
            },
            "store": {"url": f"sqlite:///{db}"},
            "channels": {"web": dict(web_settings or {})},
        },
        source="<web tests>",
    )


def persona_table(today_settings: Settings | None = None) -> list[Persona]:
    """The ir-tamin personas as the fixture stores them (for parametrising at collection)."""
    settings = today_settings or gateway_settings(Path("unused.sqlite3"))
    return personas(load_rule_pack("ir-tamin"), settings.today())


@asynccontextmanager
async def open_gateway(
    tmp_path: Path, web_settings: Mapping[str, Any] | None = None
) -> AsyncIterator[Gateway]:
    """Open a seeded gateway; close its stores afterwards."""
    settings = gateway_settings(tmp_path / "web.sqlite3", web_settings)
    core = await open_core(settings)
    try:
        found = personas(core.pack, settings.today())
        await core.store.registry.upsert_rows([p.row for p in found])
        keys = {}
        for provider_id, kind in (
            (ACTIVE_ID, ProviderKind.PHARMACY),
            (INACTIVE_ID, ProviderKind.CLINIC),
            (OTHER_ID, ProviderKind.PARACLINIC),
        ):
            keys[provider_id] = new_api_key()
            await core.store.providers.add(
                provider_id, provider_id.title(), kind, None, hash_api_key(keys[provider_id])
            )
        await core.store.providers.set_active(INACTIVE_ID, False)
        yield Gateway(
            settings,
            core,
            create_app(settings, core),
            {p.key: p for p in found},
            keys[ACTIVE_ID],
            keys[INACTIVE_ID],
            keys[OTHER_ID],
        )
    finally:
        await core.close()


async def logged(core: Core, code: str) -> bool:
    """Say whether the answer log holds ``code`` (as shown, grouped or not)."""
    return await core.store.answers.find(TrackingCode.parse(code)) is not None
