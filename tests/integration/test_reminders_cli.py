"""``eligibility-gw reminders run`` as the operator runs it: two processes at once on one
store (SQLite, PostgreSQL), the summary line, ``--dry-run``, ``uploads purge``, and the
daily task ``serve`` runs."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.cli.main import main
from eligibility_gw.cli.reminders import ProgressBar, run_daily
from eligibility_gw.reminders import next_daily_run
from eligibility_gw.settings import load_settings
from tests.channels.console.support import to_toml
from tests.channels.sms.support import TOKEN, twilio_settings
from tests.contract.stores import drop_postgres_schemas, fresh_postgres_url, postgres_reachable
from tests.integration.reminder_support import Served, families_ending, phone_of, served_fakes
from tests.privacy_scan import record_output

DAY = date(2026, 11, 23)
FAMILIES = 30


@pytest.fixture(scope="module")
def fakes() -> Any:
    with served_fakes("1:unused") as served:
        yield served


def _config(folder: Path, store_url: str, served: Served, **reminders: Any) -> Path:
    data = {
        "gateway": {"rule_pack": "ir-tamin", "time_zone": "Asia/Tehran", "languages": ["fa", "en"]},
        "store": {"url": store_url},
        "twilio": twilio_settings(served.twilio_url),
        "reminders": {"quiet_hours": "", **reminders},
        "channels": {"telegram": {"enabled": False}},
    }
    path = folder / "gateway.toml"
    path.write_text(to_toml(data), "utf-8")
    return path


async def _seed(config: Path, count: int = FAMILIES, start: int = 2000) -> None:
    gateway = await open_gateway(load_settings(config))
    try:
        await gateway.store.registry.upsert_rows(
            families_ending(start, count, DAY + timedelta(days=7))
        )
    finally:
        await gateway.close()


def _command(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "eligibility_gw", *args, "--config", str(config)]


def _env() -> dict[str, str]:
    return {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN}


def _two_runs_at_once(config: Path, served: Served) -> list[str]:
    served.twilio.posts.clear()
    served.twilio.delay = 0.03
    try:
        cmd = _command(config, "reminders", "run", "--date", DAY.isoformat())
        procs = [
            subprocess.Popen(  # noqa: S603 (our own command)
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), text=True
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        served.twilio.delay = 0.0
    lines = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        record_output(err, "reminders run")
        assert proc.returncode == 0, err
        lines.append(out.strip().splitlines()[-1])
    return lines


def _counts(line: str) -> tuple[int, int]:
    words = line.replace(",", "").split()
    return int(words[words.index("sent") - 1]), int(words[words.index("skipped") - 1])


def _check(lines: list[str], served: Served) -> None:
    sent = [_counts(line) for line in lines]
    assert sum(s for s, _ in sent) == FAMILIES
    assert sum(k for _, k in sent) == FAMILIES
    to = sorted(p["To"] for p in served.twilio.posts)
    assert to == sorted(phone_of(2000 + 2 * i) for i in range(FAMILIES))


def test_two_processes_at_once_on_sqlite(tmp_path: Path, fakes: Served) -> None:
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}", fakes)
    asyncio.run(_seed(config))
    _check(_two_runs_at_once(config, fakes), fakes)


@pytest.mark.skipif(not postgres_reachable(), reason="no PostgreSQL server on 127.0.0.1:5432")
def test_two_processes_at_once_on_postgresql(tmp_path: Path, fakes: Served) -> None:
    url, schema = asyncio.run(fresh_postgres_url())
    try:
        config = _config(tmp_path, url, fakes)
        asyncio.run(_seed(config))
        _check(_two_runs_at_once(config, fakes), fakes)
    finally:
        asyncio.run(drop_postgres_schemas([schema]))


def _printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What a command printed (the test session's log lines go to stdout too)."""
    return [line for line in capsys.readouterr().out.splitlines() if not line.startswith("{")]


def test_dry_run_and_summary_line(
    tmp_path: Path,
    fakes: Served,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}", fakes)
    asyncio.run(_seed(config, count=2, start=3000))
    fakes.twilio.posts.clear()
    code = main(
        ["reminders", "run", "--dry-run", "--date", DAY.isoformat(), "--config", str(config)]
    )
    out = _printed(capsys)
    assert code == 0
    assert len(out) == 3 and fakes.twilio.posts == []
    assert out[-1] == (
        "reminders for 2026-11-23: 2 families read, 2 would send, 0 skipped, 0 failed"
    )
    assert all(line.startswith("******") and "  7 days  age" in line for line in out[:2])
    code = main(["reminders", "run", "--date", DAY.isoformat(), "--config", str(config)])
    assert code == 0
    assert _printed(capsys)[-1].endswith("2 sent, 0 skipped, 0 failed")
    code = main(["reminders", "run", "--date", "2026-02-30", "--config", str(config)])
    assert code == 2
    assert capsys.readouterr().err.startswith("eligibility-gw: ")  # in words, in Persian
    code = main(["reminders", "run", "--limit", "0", "--config", str(config)])
    assert code == 2


def test_uploads_purge_command(
    tmp_path: Path, fakes: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}", fakes)
    assert main(["uploads", "purge", "--config", str(config)]) == 0
    assert _printed(capsys) == ["uploads: 0 expired, 0 files deleted"]


def test_progress_bar_draws_in_place() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(5, 10)
    bar(10, 10)
    bar.end()
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("10/10 families\n")
    assert "[###############...............] 5/10" in text


def test_the_next_daily_run_is_on_the_local_clock() -> None:
    tz = ZoneInfo("Asia/Tehran")
    at = time(10, 0)
    before = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 09:30 in Tehran
    assert next_daily_run(before, at, tz) == datetime(2026, 11, 23, 10, 0, tzinfo=tz)
    after = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 10:30 in Tehran
    assert next_daily_run(after, at, tz) == datetime(2026, 11, 24, 10, 0, tzinfo=tz)
    exactly = datetime(2026, 11, 23, 10, 0, tzinfo=tz)
    assert next_daily_run(exactly, at, tz) == datetime(2026, 11, 24, 10, 0, tzinfo=tz)


async def test_the_daily_task_runs_at_its_time_then_waits_a_day(
    tmp_path: Path, fakes: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}", fakes, daily_at="10:00")
    await _seed(config, count=1, start=4000)
    fakes.twilio.posts.clear()
    gateway = await open_gateway(load_settings(config))
    tz = ZoneInfo("Asia/Tehran")
    now = [datetime.combine(DAY - timedelta(days=7), time(9, 0), tz)]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError
        now[0] += timedelta(seconds=seconds)

    try:
        with pytest.raises(asyncio.CancelledError):
            await run_daily(gateway, lambda: now[0], sleep)
        assert gateway.sms_sender is not None
        await gateway.sms_sender.drain()
    finally:
        await gateway.close()
    assert waits[0] == 3600  # 09:00 to 10:00
    assert waits[1] == 24 * 3600
    # The son's cover ends 7 days after DAY: 14 days after the first run, under 30 days.
    assert [p["To"] for p in fakes.twilio.posts] == [phone_of(4000)]


async def test_serve_runs_the_daily_task_from_start_up_to_shut_down(
    tmp_path: Path,
    fakes: Served,
    monkeypatch: pytest.MonkeyPatch,
    aiohttp_client: Any,
) -> None:
    from eligibility_gw.channels import gateway_app
    from eligibility_gw.cli.reminders import daily_reminders

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'gw.sqlite3'}", fakes, daily_at="10:00")
    app = gateway_app(load_settings(config))
    app.cleanup_ctx.append(daily_reminders)
    client = await aiohttp_client(app)
    running = [t for t in asyncio.all_tasks() if t.get_name() == "daily-reminders"]
    assert len(running) == 1 and not running[0].done()
    await client.close()
    assert running[0].cancelled()
