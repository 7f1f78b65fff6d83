"""The FHIR tests' gateway: the demo personas, three providers, roomy quotas, and one more
son whose 19th birthday was ten days ago (a period across it lies inside the window on any
day of the month)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eligibility_gw.demo import persona_id
from eligibility_gw.domain.dates import anniversary
from eligibility_gw.ports import RegistryRow
from eligibility_gw.rulepacks import load_rule_pack
from tests.channels.web.fhir.support import TODAY
from tests.channels.web.support import WebGateway, open_web
from tests.conftest import MakeGateway

#: Each test asks about one person many times, through FHIR and the JSON API.
ROOMY = {
    "provider_per_minute": 10_000,
    "provider_per_national_id": 1000,
    "national_id_ceiling": 1000,
}
PACK = load_rule_pack("ir-tamin")
#: A son of Ali Rezaei, no student certificate, who turned 19 ten days ago.
KIAN_BIRTHDAY_19 = TODAY - timedelta(days=10)
KIAN = RegistryRow(
    national_id=persona_id(PACK, 40),
    given_name="Kian",
    family_name="Rezaei",
    birth_date=anniversary(KIAN_BIRTHDAY_19, -19),
    sex="M",
    phone=None,
    relationship="child",
    principal_id=persona_id(PACK, 1),
    cover_start=None,
    cover_end=None,
    marital_status="single",
    student_until=None,
    birth_certificate_seen=None,
    disabled=False,
    has_income=False,
    other_insurer=None,
)


@pytest.fixture
async def gw(make_gateway: MakeGateway) -> WebGateway:
    """A gateway (``memory://`` store) with the personas, Kian, and three providers."""
    opened = await open_web(make_gateway, {"max_body_bytes": 4096}, inquiries=ROOMY)
    assert opened.nid("rezaei") == KIAN.principal_id
    await opened.store.registry.upsert_rows([KIAN])
    return opened
