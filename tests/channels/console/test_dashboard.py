"""The supervisor dashboard: answers per day, channel and status; undetermined; disputes."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from eligibility_gw.channels.console.chart import stacked_bars
from eligibility_gw.channels.console.supervision import day_windows, share_text, summarise
from eligibility_gw.domain.answer import AnswerDraft
from eligibility_gw.domain.model import Decision, Reason, ServiceSetting, Status
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports.casework import DayCount, DisputeDraft
from eligibility_gw.wording import Wording
from tests.channels.console.conftest import Console
from tests.channels.console.support import AGENT, REZAEI_PHONE, SON

TEHRAN = ZoneInfo("Asia/Tehran")
BUCHAREST = ZoneInfo("Europe/Bucharest")


# --- pure parts -----------------------------------------------------------------------------


def test_day_windows_are_local_days_whatever_the_offset() -> None:
    windows = day_windows(date(2026, 11, 23), 30, TEHRAN)
    assert len(windows) == 30
    assert windows[0].day == date(2026, 10, 25)
    assert windows[-1].day == date(2026, 11, 23)
    assert windows[-1].start.astimezone(UTC) == datetime(2026, 11, 22, 20, 30, tzinfo=UTC)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))


def test_day_windows_follow_summer_time() -> None:
    # Romania leaves summer time on 25 October 2026: that day has 25 hours.
    windows = {w.day: w for w in day_windows(date(2026, 10, 27), 4, BUCHAREST)}

    def hours(day: date) -> timedelta:
        w = windows[day]
        return w.end.astimezone(UTC) - w.start.astimezone(UTC)

    assert hours(date(2026, 10, 25)) == timedelta(hours=25)
    assert hours(date(2026, 10, 26)) == timedelta(hours=24)


def test_stacked_bars_scale_to_the_busiest_day() -> None:
    days = [date(2026, 11, d) for d in (21, 22, 23)]
    counts = {
        (days[0], "eligible"): 6,
        (days[0], "undetermined"): 2,
        (days[2], "not_eligible"): 3,
    }
    chart = stacked_bars(
        "all",
        days,
        ("eligible", "not_eligible", "undetermined"),
        counts,
        {d: d.isoformat() for d in days},
        {"eligible": "E", "not_eligible": "N", "undetermined": "U"},
    )
    assert chart.total == 11
    assert [s.series for s in chart.segments] == ["eligible", "undetermined", "not_eligible"]
    first, second, third = chart.segments
    # Stacked: the second segment sits on the first; heights follow the counts.
    assert abs(second.y + second.height - first.y) < 0.02
    assert abs(first.height / second.height - 3) < 0.01
    assert abs(third.height / (first.height + second.height) - 3 / 8) < 0.01
    assert chart.y_ticks[-1].text == "10"  # a round top above the busiest day (8)
    assert first.title == "2026-11-21 · E: 6"
    assert all(s.y >= 0 and s.y + s.height <= chart.baseline + 0.01 for s in chart.segments)


def test_an_empty_chart_still_draws() -> None:
    days = [date(2026, 11, 23)]
    chart = stacked_bars("none", days, ("eligible",), {}, {days[0]: "d"}, {"eligible": "E"})
    assert chart.segments == []
    assert chart.total == 0
    assert [t.text for t in chart.y_ticks] == ["0", "1", "2", "3", "4"]


def test_summaries_per_channel_and_the_undetermined_share() -> None:
    windows = day_windows(date(2026, 11, 23), 2, TEHRAN)
    d1, d2 = (w.day for w in windows)
    counts = [
        DayCount(d1, "sms", "eligible", 3),
        DayCount(d2, "sms", "undetermined", 1),
        DayCount(d2, "portal", "eligible", 10),
        DayCount(d2, "portal", "not_eligible", 6),
    ]
    overall, channels = summarise(counts, windows, Wording("en"))
    assert overall.total == 20
    assert overall.totals == {"eligible": 13, "not_eligible": 6, "undetermined": 1}
    assert overall.undetermined_share == "5.0%"
    assert [c.channel for c in channels] == ["portal", "sms"]  # busiest first
    assert channels[1].undetermined_share == "25.0%"
    assert channels[0].name == "provider portal"
    fa_overall, _ = summarise(counts, windows, Wording("fa"))
    assert fa_overall.undetermined_share == "۵.۰%"


def test_share_of_nothing() -> None:
    assert share_text(0, 0, Wording("en")) == "—"


# --- the page -------------------------------------------------------------------------------


def _undetermined(national_id: str) -> AnswerDraft:
    return AnswerDraft(
        channel="ussd",
        asker_kind="provider",
        asker_id="demo-pharmacy",
        national_id=national_id,
        service_date=date.today(),
        setting=ServiceSetting.OUTPATIENT,
        decision=Decision(Status.UNDETERMINED, (Reason("REGISTRY_UNAVAILABLE"),)),
    )


async def test_the_dashboard_page(console: Console) -> None:
    await console.provider_check("rezaei")
    await console.provider_check(SON)
    await console.inquiries.ask(Asker.for_insured("sms", REZAEI_PHONE), console.ids["rezaei"])
    await console.tg.store.answers.append(_undetermined(console.ids[SON]))
    late = datetime.now(UTC) - timedelta(hours=60)
    for opened in (late, datetime.now(UTC)):
        await console.store.open_dispute(
            DisputeDraft(
                console.ids[SON],
                None,
                "hotline",
                None,
                "fa",
                "s",
                AGENT,
                opened,
                opened + timedelta(hours=48),
            )
        )
    supervisor = await console.supervisor()
    response, page = await supervisor.get("/console/dashboard")
    assert response.status == 200, page
    assert 'id="open-disputes">2<' in page
    assert 'id="overdue-disputes">1<' in page
    assert 'id="undetermined-share">25.0%<' in page
    rows = dict(re.findall(r'<tr data-channel="(\w+)">(.*?)</tr>', page, re.S))
    assert set(rows) == {"portal", "sms", "ussd"}
    assert re.findall(r"<td[^>]*>(\d+)</td>", rows["portal"]) == ["1", "1", "0", "2"]
    assert page.count("<svg ") == 1 + 3  # all channels, then one per channel
    # The bars: today, one segment per status present, in each chart.
    assert page.count('<rect class="bar-eligible"') == 1 + 2  # overall, portal, sms
    assert page.count('<rect class="bar-undetermined"') == 1 + 1
    assert "<script" not in page
    assert 'style="' not in page  # the CSP allows no inline style


async def test_the_dashboard_in_persian(console: Console) -> None:
    await console.provider_check("rezaei")
    supervisor = await console.supervisor(**{"Accept-Language": "fa"})
    response, page = await supervisor.get("/console/dashboard")
    assert response.status == 200
    assert 'dir="rtl"' in page
    assert 'id="open-disputes">۰<' in page
    assert 'dir="ltr" xmlns="http://www.w3.org/2000/svg"' in page  # time runs left to right


async def test_an_empty_dashboard(console: Console) -> None:
    supervisor = await console.supervisor()
    _, page = await supervisor.get("/console/dashboard")
    assert "No answers in this period" in page
    assert 'id="undetermined-share">—<' in page
