"""The provider registry feed (CNES, under br-sus): ``providers import`` upserts establishments
and refuses bad rows by line; one whose data is older than six months is refused on every
channel with the reason, listed by ``providers list --stale``, recorded by the daily check,
and active again as soon as a newer row is imported."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from eligibility_gw.cli.main import main
from eligibility_gw.cli.providers import run_stale_checks
from eligibility_gw.domain.dates import add_months
from eligibility_gw.domain.provider import ProviderKind
from eligibility_gw.ports import FeedOutcome, ProviderFeedRow
from eligibility_gw.providers import hash_api_key, new_api_key
from eligibility_gw.settings import load_settings
from tests.channels.sms.support import TOKEN as TWILIO_TOKEN
from tests.channels.sms.support import SmsGateway
from tests.conftest import MakeGateway

FEED = ("id", "name", "kind", "phone", "last_updated")
CLINIC_PHONE = "+5511912340001"
PHARMACY_PHONE = "+5511912340002"


def _feed(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FEED)
        writer.writerows(rows)
    return path


def _stale_on(day: date) -> date:
    """The last_updated whose data turns stale on ``day`` (six months and a day later)."""
    last = add_months(day - timedelta(days=1), -6)
    while add_months(last, 6) + timedelta(days=1) > day:
        last -= timedelta(days=1)
    while add_months(last + timedelta(days=1), 6) + timedelta(days=1) <= day:
        last += timedelta(days=1)
    return last


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "br.toml"
    path.write_text(
        '[gateway]\nrule_pack = "br-sus"\ntime_zone = "America/Sao_Paulo"\nlanguages = ["en"]\n',
        encoding="utf-8",
    )
    return path


def test_import_upserts_refuses_by_line_and_lists_the_stale(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = load_settings(config).today()
    fresh = (today - timedelta(days=30)).isoformat()
    stale = _stale_on(today).isoformat()
    edge = _stale_on(today + timedelta(days=1)).isoformat()  # its last fresh day is today
    common = ["--config", str(config), "--db", str(tmp_path / "gw.sqlite3")]
    feed = _feed(
        tmp_path / "cnes.csv",
        [
            ("2345678", "UBS Centro", "clinic", CLINIC_PHONE, fresh),
            ("3456789", "Farmácia Popular", "pharmacy", PHARMACY_PHONE, stale),
            ("4567890", "Hospital Geral", "hospital", "", edge),
            ("12345", "Too short", "clinic", "", fresh),
            ("5678901", "Spa", "spa", "", fresh),
            ("6789012", "Abroad", "clinic", "+989121110001", fresh),
            ("7890123", "Later", "clinic", "", (today + timedelta(days=1)).isoformat()),
            ("2345678", "Again", "clinic", "", fresh),
            ("8901234", "Shared phone", "clinic", CLINIC_PHONE, fresh),
        ],
    )
    code = main(["providers", "import", str(feed), *common])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"{feed}:5: id '12345' is not a CNES code" in err
    assert f"{feed}:6: kind 'spa' is not one of pharmacy" in err
    assert f"{feed}:7: phone: +989121110001 is a number of IR, not of BR" in err
    assert f"{feed}:8: last_updated" in err and "is in the future" in err
    assert f"{feed}:9: id 2345678 appears again (first on line 2)" in err
    assert f"{feed}:10: phone: {CLINIC_PHONE} is registered to provider 2345678" in err
    keys = dict(re.findall(r"^(\d{7})\t(egw_\S+)$", out, flags=re.M))
    assert set(keys) == {"2345678", "3456789", "4567890"}
    assert "provider 3456789 is stale" in out
    assert "3 created, 0 updated (0 active again), 6 refused (9 read)" in out

    assert main(["providers", "list", "--stale", *common]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["3456789"]
    assert f"STALE since {today}" in listed[0]

    older = (date.fromisoformat(edge) - timedelta(days=10)).isoformat()
    newer = _feed(
        tmp_path / "cnes-2.csv",
        [
            ("3456789", "Farmácia Popular", "pharmacy", PHARMACY_PHONE, today.isoformat()),
            ("4567890", "Hospital Geral (old row)", "hospital", "", older),
        ],
    )
    assert main(["providers", "import", str(newer), *common]) == 0
    out, err = capsys.readouterr()
    assert "provider 3456789 is active again" in out
    assert "4567890: the row is older than the data on file; kept" in err
    assert main(["providers", "list", "--stale", *common]) == 0
    assert capsys.readouterr().out.strip() == "no stale providers"


def test_providers_add_checks_the_cnes_form(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--config", str(config), "--db", str(tmp_path / "gw.sqlite3")]
    argv = ["providers", "add", "--name", "X", "--kind", "clinic", *common]
    assert main([*argv, "--id", "ubs-1"]) == 2
    assert "is not a CNES code" in capsys.readouterr().err
    assert main([*argv, "--id", "1234567"]) == 0


@pytest.mark.parametrize("offset", [-1, 0, 1], ids=["day-before", "day-of", "day-after"])
async def test_a_stale_provider_is_refused_with_the_reason_and_reactivated_by_newer_data(
    make_gateway: MakeGateway, monkeypatch: pytest.MonkeyPatch, offset: int
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    gw = await make_gateway(store="memory", rule_pack="br-sus", languages=("en", "fa"))
    today = gw.settings.today()
    # Data sent so that today is the day before, the day of, or the day after the six months.
    last = _stale_on(today + timedelta(days=1 - offset))
    stale = offset > 0
    key = new_api_key()
    row = ProviderFeedRow("3456789", "Farmácia", ProviderKind.PHARMACY, PHARMACY_PHONE, last)
    _, outcome = await gw.store.providers.feed(row, hash_api_key(key))
    assert outcome is FeedOutcome.CREATED
    silva = gw.nid("silva")
    response = await gw.client.post(
        "/api/v1/inquiries",
        json={"national_id": silva},
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"},
    )
    if not stale:
        assert response.status == 200
        return
    assert response.status == 403
    problem = await response.json()
    assert problem["type"].endswith("provider-deactivated")
    assert f"last sent on {last.isoformat()}" in problem["detail"]
    assert "Send updated data" in problem["detail"]
    sms = await SmsGateway(gw).text(PHARMACY_PHONE, silva)
    assert sms.message is not None and last.isoformat() in sms.message
    assert sms.segments == 1
    fa = await gw.client.post(
        "/api/v1/inquiries",
        json={"national_id": silva},
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "fa"},
    )
    assert "۶" in (await fa.json())["detail"]  # six months, in Persian digits

    # The daily check records it once; a newer row brings it back at once.
    slept: list[float] = []

    async def stop(seconds: float) -> None:
        slept.append(seconds)
        raise _Stop

    with pytest.raises(_Stop):
        await run_stale_checks(gw.gateway, stop)
    marked = await gw.store.providers.get("3456789")
    assert marked is not None and marked.stale_since == today
    assert slept == [24 * 3600.0]
    _, outcome = await gw.store.providers.feed(
        ProviderFeedRow("3456789", "Farmácia", ProviderKind.PHARMACY, PHARMACY_PHONE, today), ""
    )
    assert outcome is FeedOutcome.REACTIVATED
    again = await gw.client.post(
        "/api/v1/inquiries",
        json={"national_id": silva},
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"},
    )
    assert again.status == 200


class _Stop(Exception):
    """Ends the daily loop after its first round."""
