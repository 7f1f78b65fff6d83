"""Each shipped pack answers its demo personas as the README's table says: through the API
(a provider's inquiry, and the sanatorium check where the table has one) and by SMS (the demo
pharmacy's phone), one table per pack, read from README.md itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.wording import Wording
from tests.channels.sms.support import TOKEN as TWILIO_TOKEN
from tests.channels.sms.support import SmsGateway
from tests.conftest import MakeGateway
from tests.gateway import TestGateway

README = Path(__file__).resolve().parents[2] / "README.md"
PACKS = ("ir-tamin", "ro-cnas", "pl-nfz", "br-sus", "ru-oms")
PROVIDER_PHONE = "+989350000001"  # the demo pharmacy's registered phone, under every pack
EN = Wording("en")
_STATUS = {
    "eligible": "eligible",
    "not eligible": "not_eligible",
    "cannot determine": "undetermined",
}
_CELL = re.compile(r"^(eligible|not eligible|cannot determine)(?: \(`([A-Z_]+)`\))?")


@dataclass(frozen=True)
class Row:
    """One persona as the README's table of its pack lists it."""

    national_id: str
    name: str
    status: str
    reason: str | None
    sanatorium: tuple[str, str | None] | None


def _status(cell: str) -> tuple[str, str | None]:
    found = _CELL.match(cell.strip())
    assert found, cell
    return _STATUS[found.group(1)], found.group(2)


def readme_table(pack: str) -> list[Row]:
    """The persona table under the pack's heading (``ir-tamin``'s is the first one)."""
    text = README.read_text("utf-8")
    section = text[text.index("## Demo personas") :]
    if pack == "ir-tamin":
        block = section[: section.index("Under another rule pack")]
    else:
        start = section.index(f"#### `{pack}`")
        following = section.find("\n#### ", start + 1)
        end = section.index("## Commands")
        block = section[start : following if 0 < following < end else end]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        status, reason = _status(cells["status today"])
        sanatorium = cells.get("sanatorium check") or None
        rows.append(
            Row(
                national_id=cells["national id"].strip("`"),
                name=cells["name"],
                status=status,
                reason=reason,
                sanatorium=_status(sanatorium) if sanatorium else None,
            )
        )
    return rows


@pytest.fixture
async def gateway(
    request: pytest.FixtureRequest, make_gateway: MakeGateway, monkeypatch: pytest.MonkeyPatch
) -> TestGateway:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    return await make_gateway(
        store="memory",
        rule_pack=request.param,
        languages=("en", "fa"),
        inquiries={"provider_per_minute": 10_000},
        channels={"sms": {"inquiries_per_sender": 1000}},
    )


def test_every_pack_has_a_table_of_its_personas() -> None:
    for pack in PACKS:
        rows = readme_table(pack)
        assert len(rows) >= 4, pack
        assert {r.status for r in rows} >= {"eligible", "not_eligible"}, pack


@pytest.mark.parametrize("gateway", PACKS, indirect=True)
async def test_the_api_answers_as_the_table_says(gateway: TestGateway) -> None:
    rows = readme_table(gateway.gateway.pack.name)
    assert {r.national_id for r in rows} == {p.row.national_id for p in gateway.people.values()}
    for row in rows:
        asked = [("outpatient", (row.status, row.reason))]
        if row.sanatorium is not None:
            asked.append(("sanatorium", row.sanatorium))
        for setting, (status, reason) in asked:
            response = await gateway.client.post(
                "/api/v1/inquiries",
                json={"national_id": row.national_id, "setting": setting},
                headers={**gateway.auth(), "Accept-Language": "en"},
            )
            assert response.status == 200, (row, await response.text())
            body = await response.json()
            assert body["status"] == status, (row, setting, body)
            codes = [r["code"] for r in body["reasons"]]
            if reason is not None:
                assert codes[0] == reason, (row, setting, body)


@pytest.mark.parametrize("gateway", PACKS, indirect=True)
async def test_sms_answers_as_the_table_says(gateway: TestGateway) -> None:
    sms = SmsGateway(gateway)
    for row in readme_table(gateway.gateway.pack.name):
        reply = await sms.text(PROVIDER_PHONE, row.national_id)
        assert reply.status == 200
        text = reply.message
        assert text is not None
        assert reply.segments <= 2, text
        assert EN.t(f"short.status.{row.status}") in text, (row, text)
        grouped = re.search(r"\b\d{4}-\d{4}-\d{4}\b", text)
        assert grouped, text
        record = await gateway.store.answers.find(TrackingCode.parse(grouped.group()))
        assert record is not None
        assert record.draft.national_id == row.national_id
        assert record.status.value == row.status
        if row.reason is not None:
            assert record.reasons[0].code == row.reason, (row, text)
