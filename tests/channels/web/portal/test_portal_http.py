"""The provider pages over HTTP: sign-in, CSRF, answer cards, history, report, Persian, headers."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import pytest

from eligibility_gw.channels.web.portal import pages
from eligibility_gw.channels.web.portal.report import REPORT_FIELDS, parse_month, report_csv
from eligibility_gw.channels.web.portal.views import answer_card
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.domain.dates import add_months
from eligibility_gw.domain.model import Reason, ServiceSetting, Status
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure, View
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.wording import Wording
from tests.channels.web.portal.support import (
    DEACTIVATED_KEY,
    OTHER_KEY,
    PROVIDER_ID,
    PROVIDER_KEY,
    TIME_ZONE,
    Portal,
    Visitor,
    csrf_of,
    open_portal,
    tracking_code_of,
)
from tests.channels.web.support import member_dates, written_forms
from tests.conftest import MakeGateway

SESSION = "__Host-egw-portal"
SIGNIN = "__Host-egw-portal-signin"
TZ = ZoneInfo(TIME_ZONE)


@pytest.fixture
async def portal(make_gateway: MakeGateway) -> Portal:
    """The portal over the ``memory://`` store, with the demo and three providers."""
    return await open_portal(make_gateway)


@pytest.fixture
async def portal_on_sqlite(make_gateway: MakeGateway) -> Portal:
    """The same over a real SQLite file (history pages and the report read it with SQL)."""
    return await open_portal(make_gateway, store="sqlite")


def _flags(visitor: Visitor, name: str) -> dict[str, Any]:
    morsel = visitor.cookies[name]
    return {
        "httponly": bool(morsel["httponly"]),
        "secure": bool(morsel["secure"]),
        "samesite": morsel["samesite"],
        "path": morsel["path"],
        "max-age": morsel["max-age"],
    }


COOKIE_FLAGS = {"httponly": True, "secure": True, "samesite": "Strict", "path": "/", "max-age": ""}


# --- signing in and out ---------------------------------------------------------------------


async def test_sign_in_page_sets_a_pre_session_token_cookie(portal: Portal) -> None:
    visitor = portal.visitor()
    response, page = await visitor.get("/portal/")
    assert response.status == 200
    assert 'action="/portal/signin"' in page
    assert 'method="post"' in page
    assert 'type="password"' in page
    assert _flags(visitor, SIGNIN) == COOKIE_FLAGS
    assert csrf_of(page) == visitor.cookies[SIGNIN].value
    assert SESSION not in visitor.cookies


@pytest.mark.parametrize(
    ("key", "token", "status", "says", "signed_in"),
    [
        (PROVIDER_KEY, "right", 303, "", True),
        ("egw_not_a_key_of_anyone", "right", 401, "This API key was not accepted", False),
        ("", "right", 422, "Enter your API key", False),
        (DEACTIVATED_KEY, "right", 403, "Resend your establishment", False),
        (PROVIDER_KEY, "missing", 403, "did not come from this site", False),
        (PROVIDER_KEY, "wrong", 403, "did not come from this site", False),
    ],
    ids=["right-key", "wrong-key", "empty-key", "deactivated", "no-token", "wrong-token"],
)
async def test_sign_in(
    portal: Portal, key: str, token: str, status: int, says: str, signed_in: bool
) -> None:
    visitor = portal.visitor()
    _, page = await visitor.get("/portal/")
    form = {"api_key": key}
    if token != "missing":
        form["csrf"] = csrf_of(page) if token == "right" else "x" * 43
    response, body = await visitor.post("/portal/signin", form)
    assert response.status == status
    assert says in body
    assert (SESSION in visitor.cookies) is signed_in
    if signed_in:
        # The key went in the form body; the browser is sent on without it.
        assert response.headers["Location"] == "/portal/"
        assert _flags(visitor, SESSION) == COOKIE_FLAGS
        assert SIGNIN not in visitor.cookies  # the pre-session token is spent
        _, home = await visitor.get("/portal/")
        assert "Signed in as <bdi>Demo Pharmacy</bdi> (<bdi>demo-pharmacy</bdi>)" in home
    else:
        assert 'name="api_key"' in body or "did not come from this site" in body
    assert not key or key not in body


async def test_wrong_key_never_hints_whether_a_provider_exists(portal: Portal) -> None:
    visitor = portal.visitor()
    bodies = []
    for key in ("egw_nobody", PROVIDER_KEY + "x"):
        _, page = await visitor.get("/portal/")
        response, body = await visitor.post(
            "/portal/signin", {"csrf": csrf_of(page), "api_key": key}
        )
        assert response.status == 401
        bodies.append(body.replace(key, ""))
    assert bodies[0] == bodies[1]


async def test_failed_sign_ins_are_throttled_per_address(portal: Portal) -> None:
    visitor = portal.visitor()
    _, page = await visitor.get("/portal/")
    token = csrf_of(page)
    for _ in range(WebSettings().signin_failures):
        response, _ = await visitor.post("/portal/signin", {"csrf": token, "api_key": "egw_bad"})
        assert response.status == 401
    response, body = await visitor.post("/portal/signin", {"csrf": token, "api_key": "egw_bad"})
    assert response.status == 429
    assert "Too many failed sign-ins" in body
    assert int(response.headers["Retry-After"]) > 0
    # Even the right key waits until the window has passed.
    response, body = await visitor.post("/portal/signin", {"csrf": token, "api_key": PROVIDER_KEY})
    assert response.status == 429
    assert SESSION not in visitor.cookies


async def test_sign_out_ends_the_session(portal: Portal) -> None:
    visitor = await portal.signed_in()
    old_session = visitor.cookies[SESSION]
    response, _ = await visitor.post("/portal/signout", {"csrf": await visitor.token()})
    assert response.status == 303
    assert SESSION not in visitor.cookies
    response, _ = await visitor.get("/portal/history")
    assert response.status == 303
    assert response.headers["Location"] == "/portal/"
    # The old cookie, replayed, no longer opens anything.
    visitor.cookies[SESSION] = old_session
    response, _ = await visitor.get("/portal/history")
    assert response.status == 303


async def test_sign_in_never_keeps_a_session_id_the_browser_brought(portal: Portal) -> None:
    visitor = portal.visitor()
    planted = SimpleCookie()
    planted[SESSION] = "P" * 43  # e.g. set by someone who wants to ride the session
    visitor.cookies[SESSION] = planted[SESSION]
    response = await visitor.sign_in()
    assert response.status == 303
    first = visitor.cookies[SESSION].value
    assert first != "P" * 43
    await visitor.post("/portal/signout", {"csrf": await visitor.token()})
    await visitor.sign_in()
    assert visitor.cookies[SESSION].value not in (first, "P" * 43)


async def test_a_session_expires(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    visitor = await portal.signed_in()
    later = time.time() + WebSettings().session_minutes * 60
    monkeypatch.setattr(time, "time", lambda: later + 1)
    response, _ = await visitor.get("/portal/history")
    assert response.status == 303
    response, body = await visitor.post("/portal/inquiries", {"csrf": "x", "national_id": "1"})
    assert response.status == 401
    assert "Your session has ended" in body


async def test_a_provider_deactivated_after_sign_in_is_told_so(portal: Portal) -> None:
    visitor = await portal.signed_in()
    await portal.tg.store.providers.set_active(PROVIDER_ID, False)
    response, body = await visitor.get("/portal/history")
    assert response.status == 403
    assert "deactivated" in body
    assert "Resend your establishment" in body
    assert SESSION not in visitor.cookies


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/portal/inquiries", "/portal/signout", "/portal/language"])
@pytest.mark.parametrize("token", ["missing", "wrong", "other-session"])
async def test_post_forms_refuse_a_missing_or_wrong_token(
    portal: Portal, path: str, token: str
) -> None:
    visitor = await portal.signed_in()
    form = {"national_id": portal.ids["rezaei"], "lang": "fa", "next": "/portal/"}
    if token == "wrong":
        form["csrf"] = "A" * 43
    elif token == "other-session":
        form["csrf"] = await (await portal.signed_in()).token()
    response, body = await visitor.post(path, form)
    assert response.status == 403
    assert "<html" in body
    assert "did not come from this site" in body
    # Nothing happened: still signed in, still English, nothing asked.
    _, home = await visitor.get("/portal/")
    assert 'lang="en"' in home
    assert "Sign out" in home
    assert await portal.tg.store.answers.by_asker("provider", PROVIDER_ID) == []


async def test_every_post_form_carries_the_session_token(portal: Portal) -> None:
    visitor = await portal.signed_in()
    token = await visitor.token()
    _, answer = await visitor.check(portal.ids["rezaei"])
    _, history = await visitor.get("/portal/history")
    for page in (answer, history):
        forms = page.count('method="post"')
        assert forms >= 2  # sign out and the language switch, at least
        assert page.count(f'name="csrf" value="{token}"') == forms


# --- checks and answer cards ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shows", "hides"),
    [
        (
            "rezaei",
            ["✓", "Eligible", "A*** R***", "insured person", "status-eligible"],
            ["Ali", "Rezaei", "Not eligible", "Ask the patient for"],
        ),
        (
            "rezaei-son-no-cert",
            [
                "✗",
                "Not eligible",
                "H*** R***",
                "child",
                "status-not_eligible",
                "a valid student certificate is required",
                "Ask the patient for:",
                '<span class="document">student certificate</span>',
                "To put it right",
            ],
            ["Hamid", "Rezaei"],
        ),
        ("karimi-wife", ["?", "Cannot determine", "status-undetermined"], ["Zahra", "Karimi"]),
    ],
    ids=["eligible", "son-without-certificate", "undetermined"],
)
async def test_answer_card(
    portal: Portal, persona: str, shows: list[str], hides: list[str]
) -> None:
    visitor = await portal.signed_in()
    response, page = await visitor.check(portal.ids[persona])
    assert response.status == 200
    code = tracking_code_of(page)
    assert len(code.replace("-", "")) == 12
    assert 'class="tracking-code"' in page
    for text in shows:
        assert text in page, text
    for text in hides:
        assert text not in page, text
    assert f'href="/portal/answers/{code.replace("-", "")}?print=1"' in page
    assert 'action="/portal/inquiries"' in page  # the next check is one form away


async def test_the_card_never_shows_the_cover_end_date(portal: Portal) -> None:
    end = portal.tg.people["rezaei"].row.cover_end
    assert end is not None
    visitor = await portal.signed_in()
    _, page = await visitor.check(portal.ids["rezaei"])
    solar = jdatetime.date.fromgregorian(date=end)
    for text in (end.isoformat(), end.strftime("%Y/%m/%d"), f"{solar.year}/{solar.month:02d}"):
        assert text not in page
    assert "Cover ends" not in page


@pytest.mark.parametrize(
    ("national_id", "day", "status", "says"),
    [
        ("rezaei-typo", "", 422, "fails its check digit"),
        ("", "", 422, "Please give a national id"),
        ("12ab", "", 422, "digits only"),
        ("x" * 100, "", 422, "This is not a valid national id"),
        ("rezaei", "1999-01-01", 422, "can be checked"),
        ("rezaei", "2099-12-31", 422, "can be checked"),
        ("rezaei", "not a date", 422, "The date cannot be read"),
        ("rezaei", "2025-02-30", 422, "The date cannot be read"),
        ("rezaei", "solar-today", 200, "Eligible"),
        ("rezaei-persian-digits", "", 200, "Eligible"),
    ],
)
async def test_check_form_input(
    portal: Portal, national_id: str, day: str, status: int, says: str
) -> None:
    nid = portal.ids["rezaei"]
    typed = {
        "rezaei": nid,
        "rezaei-typo": nid[:-1] + str((int(nid[-1]) + 1) % 10),
        "rezaei-persian-digits": nid.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    }.get(national_id, national_id)
    if day == "solar-today":
        j = jdatetime.date.fromgregorian(date=portal.tg.settings.today())
        day = f"{j.year}/{j.month:02d}/{j.day:02d}"
    visitor = await portal.signed_in()
    response, page = await visitor.check(typed, day)
    assert response.status == status
    assert says in page
    if status == 422:
        assert 'role="alert"' in page
        assert 'aria-invalid="true"' in page
        assert 'name="national_id"' in page  # the form is back, with what was typed
        assert await portal.tg.store.answers.by_asker("provider", PROVIDER_ID) == []


async def test_inpatient_check_of_a_member_insured_elsewhere(portal: Portal) -> None:
    visitor = await portal.signed_in()
    response, page = await visitor.check(portal.ids["karimi-mother"], setting="inpatient")
    assert response.status == 200
    assert "Inpatient" in page
    assert "IHIO" in page


async def test_an_answer_page_is_only_for_the_provider_that_asked(portal: Portal) -> None:
    mine = await portal.signed_in()
    _, page = await mine.check(portal.ids["rezaei"])
    digits = tracking_code_of(page).replace("-", "")
    other = await portal.signed_in(OTHER_KEY)
    for path in (f"/portal/answers/{digits}", f"/portal/answers/{digits}?print=1"):
        response, body = await other.get(path)
        assert response.status == 404
        assert "No answer under this tracking code was given to you" in body
        assert "A*** R***" not in body


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/portal/answers/1234", 422, "tracking code is not valid"),
        ("/portal/answers/123456789012", 422, "tracking code is not valid"),
        ("/portal/nowhere", 404, "There is no such page"),
        ("/portal/history?page=0", 422, "page number is not valid"),
        ("/portal/history?page=abc", 422, "page number is not valid"),
        ("/portal/history?from=yesterday", 422, "The date cannot be read"),
        ("/portal/history?code=1234", 422, "tracking code is not valid"),
        ("/portal/report.csv?month=2025-13", 422, "The month cannot be read"),
        ("/portal/report.csv?month=soon", 422, "The month cannot be read"),
        ("/portal/signin", 405, "does not accept that kind of request"),
    ],
)
async def test_bad_input_is_a_page_in_words(
    portal: Portal, path: str, status: int, says: str
) -> None:
    visitor = await portal.signed_in()
    response, body = await visitor.get(path)
    assert response.status == status
    assert response.content_type == "text/html"
    assert says in body


async def test_print_view(portal: Portal) -> None:
    visitor = await portal.signed_in()
    _, page = await visitor.check(portal.ids["rezaei-son-no-cert"])
    digits = tracking_code_of(page).replace("-", "")
    response, sheet = await visitor.get(f"/portal/answers/{digits}?print=1")
    assert response.status == 200
    assert 'class="print-view"' in sheet
    assert tracking_code_of(sheet) == tracking_code_of(page)
    assert "<bdi>Demo Pharmacy</bdi> (<bdi>demo-pharmacy</bdi>)" in sheet
    assert "<form" not in sheet
    assert 'class="top' not in sheet


# --- history and report ---------------------------------------------------------------------


async def _three_checks(portal: Portal, visitor: Visitor) -> list[str]:
    codes = []
    for key in ("rezaei", "rezaei-son-no-cert", "ahmadi"):
        _, page = await visitor.check(portal.ids[key])
        codes.append(tracking_code_of(page))
    return codes


async def test_history_lists_the_providers_checks_from_every_channel(portal: Portal) -> None:
    visitor = await portal.signed_in()
    codes = await _three_checks(portal, visitor)
    api = await portal.client.post(
        "/api/v1/inquiries",
        json={"national_id": portal.ids["karimi"]},
        headers={"Authorization": f"Bearer {PROVIDER_KEY}"},
    )
    assert api.status == 200
    api_code = (await api.json())["tracking_code"]
    response, page = await visitor.get("/portal/history")
    assert response.status == 200
    for code in [*codes, api_code]:
        assert code in page
    assert page.index(api_code) < page.index(codes[0])  # newest first
    assert "Not eligible" in page
    assert "Hamid" not in page
    # Each check names the channel it came through.
    assert Wording("en").t("portal.channel.web") in page
    assert Wording("en").t("portal.channel.portal") in page


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("from={today}&to={today}", "all"),
        ("from={tomorrow}", "none"),
        ("to={yesterday}", "none"),
        ("from={solar_today}", "all"),
        ("code={code0}", "first"),
        ("code={code0_persian}", "first"),
    ],
)
async def test_history_filters(portal: Portal, query: str, expect: str) -> None:
    visitor = await portal.signed_in()
    codes = await _three_checks(portal, visitor)
    today = datetime.now(TZ).date()
    solar = jdatetime.date.fromgregorian(date=today)
    fields = {
        "today": today.isoformat(),
        "tomorrow": (today + timedelta(days=1)).isoformat(),
        "yesterday": (today - timedelta(days=1)).isoformat(),
        "solar_today": f"{solar.year}/{solar.month:02d}/{solar.day:02d}",
        "code0": codes[0],
        "code0_persian": codes[0].translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    }
    response, page = await visitor.get("/portal/history?" + query.format(**fields))
    assert response.status == 200
    shown = [c for c in codes if c in page]
    assert shown == {"all": codes, "none": [], "first": [codes[0]]}[expect]
    if expect == "none":
        assert "No checks to show" in page


async def test_history_code_search_finds_only_own_checks(portal: Portal) -> None:
    mine = await portal.signed_in()
    other = await portal.signed_in(OTHER_KEY)
    _, page = await other.check(portal.ids["rezaei"])
    theirs = tracking_code_of(page)
    response, page = await mine.get(f"/portal/history?code={theirs}")
    assert response.status == 200
    assert 'class="code"' not in page
    assert "None of your checks has this tracking code" in page
    _, page = await mine.get("/portal/history")
    assert theirs not in page


async def test_history_pages(portal_on_sqlite: Portal) -> None:
    portal = portal_on_sqlite
    visitor = await portal.signed_in()
    people = sorted(portal.ids.values())  # spread: one person's checks are limited per hour
    for i in range(pages.HISTORY_PAGE_SIZE + 2):
        response, _ = await visitor.check(people[i % len(people)])
        assert response.status == 200
    _, first = await visitor.get("/portal/history")
    assert first.count('class="code"') == pages.HISTORY_PAGE_SIZE
    assert 'href="/portal/history?page=2"' in first
    _, second = await visitor.get("/portal/history?page=2")
    assert second.count('class="code"') == 2
    assert 'href="/portal/history?page=1"' in second
    assert "page=3" not in second


async def test_monthly_report_csv(portal_on_sqlite: Portal) -> None:
    portal = portal_on_sqlite
    visitor = await portal.signed_in()
    codes = await _three_checks(portal, visitor)
    other = await portal.signed_in(OTHER_KEY)
    _, page = await other.check(portal.ids["karimi"])
    theirs = tracking_code_of(page)
    now = datetime.now(TZ)
    month = f"{now.year:04d}-{now.month:02d}"
    response, body = await visitor.get(f"/portal/report.csv?month={month}")
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="activity-{PROVIDER_ID}-{month}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert tuple(rows[0]) == REPORT_FIELDS
    assert [r["tracking_code"] for r in rows] == codes  # oldest first
    assert theirs not in body
    assert [r["status"] for r in rows] == ["eligible", "not_eligible", "not_eligible"]
    assert [r["masked_member"] for r in rows] == ["A*** R***", "H*** R***", "S*** A***"]
    # For billing: what was asked about, why the answer was no, and the zone of the times.
    assert [r["reason_codes"] for r in rows] == [
        "",
        "STUDENT_CERTIFICATE_REQUIRED",
        "OUTSIDE_COVER_PERIOD",
    ]
    assert {r["service_date"] for r in rows} == {now.date().isoformat()}
    assert {r["setting"] for r in rows} == {"outpatient"}
    assert {(r["time_zone"], r["utc_offset"]) for r in rows} == {("Asia/Tehran", "+03:30")}
    for r in rows:
        stamp = datetime.fromisoformat(f"{r['date']}T{r['time']}{r['utc_offset']}")
        assert abs((stamp - now).total_seconds()) < 120  # local (Tehran) time, not UTC
    # The month before holds nothing of today's; a Solar Hijri month is read too.
    last = add_months(now.date(), -1)
    _, before = await visitor.get(f"/portal/report.csv?month={last:%Y-%m}")
    assert before.lstrip("\ufeff").strip() == ",".join(REPORT_FIELDS)
    solar = jdatetime.date.fromgregorian(date=now.date())
    _, shamsi = await visitor.get(f"/portal/report.csv?month={solar.year}-{solar.month:02d}")
    assert all(c in shamsi for c in codes)


def test_the_channel_asked_through_is_shown_and_reported() -> None:
    asked_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    common = {
        "view": View.PROVIDER,
        "status": Status.ELIGIBLE,
        "reasons": (),
        "service_date": date(2026, 3, 1),
        "setting": ServiceSetting.OUTPATIENT,
        "asked_at": asked_at,
        "member_name": "A*** R***",
        "given_name": None,
        "relationship": "self",
        "cover_end": None,
        "cover_ended": None,
        "rule_pack": "ir-tamin@1",
    }
    bare = Disclosure(tracking_code=TrackingCode.new(), **common)  # type: ignore[arg-type]
    said = Disclosure(tracking_code=TrackingCode.new(), channel="web", **common)  # type: ignore[arg-type]
    pack = load_rule_pack("ir-tamin")
    assert answer_card(bare, Wording("en"), pack, TZ).channel is None
    assert answer_card(said, Wording("en"), pack, TZ).channel == "API"
    assert answer_card(said, Wording("fa"), pack, TZ).channel == Wording("fa").t(
        "portal.channel.web"
    )
    rows = list(csv.DictReader(io.StringIO(report_csv([said, bare], TZ).lstrip("\ufeff"))))
    assert [r["channel"] for r in rows] == ["web", ""]
    assert [r["time"] for r in rows] == ["13:00:00", "13:00:00"]  # Tehran time
    assert [(r["time_zone"], r["utc_offset"]) for r in rows] == [("Asia/Tehran", "+03:30")] * 2


def test_the_report_says_the_offset_of_each_time_across_a_clock_change() -> None:
    """Bucharest moved its clocks on 29 March 2026: the same zone, two offsets."""
    bucharest = ZoneInfo("Europe/Bucharest")
    common = {
        "view": View.PROVIDER,
        "status": Status.NOT_ELIGIBLE,
        "reasons": (Reason("AGE_LIMIT_REACHED"), Reason("HAS_INCOME")),
        "service_date": date(2026, 3, 27),
        "setting": ServiceSetting.INPATIENT,
        "member_name": "I*** P***",
        "given_name": None,
        "relationship": "child",
        "cover_end": None,
        "cover_ended": None,
        "rule_pack": "ro-cnas@1",
    }
    answers = [
        Disclosure(
            tracking_code=TrackingCode.new(),
            asked_at=datetime(2026, 3, day, 10, 0, tzinfo=UTC),
            **common,  # type: ignore[arg-type]
        )
        for day in (28, 30)
    ]
    rows = list(csv.DictReader(io.StringIO(report_csv(answers, bucharest).lstrip("\ufeff"))))
    assert [(r["time"], r["utc_offset"]) for r in rows] == [
        ("12:00:00", "+02:00"),
        ("13:00:00", "+03:00"),
    ]
    assert {r["time_zone"] for r in rows} == {"Europe/Bucharest"}
    assert {r["reason_codes"] for r in rows} == {"AGE_LIMIT_REACHED HAS_INCOME"}
    assert {(r["service_date"], r["setting"]) for r in rows} == {("2026-03-27", "inpatient")}


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025-03", "2025-03-01", "2025-04-01"),
        ("2025-12", "2025-12-01", "2026-01-01"),
        ("۲۰۲۵/۰۷", "2025-07-01", "2025-08-01"),
        ("1404-01", "2025-03-21", "2025-04-21"),
        ("1403-12", "2025-02-19", "2025-03-21"),
    ],
)
def test_parse_month(text: str, start: str, end: str) -> None:
    month = parse_month(text, TZ)
    assert month.start.date().isoformat() == start
    assert month.end.date().isoformat() == end
    assert month.start.tzinfo is TZ


@pytest.mark.parametrize("text", ["", "2025", "2025-00", "2025-13", "25-01", "next month"])
def test_parse_month_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        parse_month(text, TZ)


# --- Persian --------------------------------------------------------------------------------


async def test_persian_pages_are_right_to_left(portal: Portal) -> None:
    visitor = await portal.signed_in()
    response, _ = await visitor.post(
        "/portal/language",
        {"csrf": await visitor.token(), "lang": "fa", "next": "/portal/history?page=1"},
    )
    assert response.status == 303
    assert response.headers["Location"] == "/portal/history?page=1"
    response, page = await visitor.check(portal.ids["rezaei-son-no-cert"])
    assert response.headers["Content-Language"] == "fa"
    assert '<html lang="fa" dir="rtl">' in page
    assert "سامانه استعلام استحقاق درمان" in page
    assert "از بیمار بخواهید" in page
    solar = jdatetime.date.fromgregorian(date=portal.tg.settings.today())
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    assert f"{solar.year}/{solar.month:02d}/{solar.day:02d}".translate(persian) in page
    # The tracking code stays in ASCII digits, set left to right inside the RTL page.
    assert 'id="tracking-code" dir="ltr"' in page
    _, history = await visitor.get("/portal/history")
    assert '<html lang="fa" dir="rtl">' in history
    assert "استعلام‌های شما" in history


@pytest.mark.parametrize(
    ("accept", "query", "lang"),
    [
        ("fa-IR,fa;q=0.9,en;q=0.5", "", "fa"),
        ("en-US,en;q=0.9", "", "en"),
        ("en-US", "?lang=fa", "fa"),
        ("fa", "?lang=en", "en"),
        ("de", "", "en"),
    ],
)
async def test_sign_in_page_language(portal: Portal, accept: str, query: str, lang: str) -> None:
    visitor = portal.visitor(**{"Accept-Language": accept})
    _, page = await visitor.get("/portal/" + query)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "fa" else "ltr"}">' in page
    assert f'name="lang" value="{lang}"' in page
    await visitor.post(
        "/portal/signin", {"csrf": csrf_of(page), "api_key": PROVIDER_KEY, "lang": lang}
    )
    _, home = await visitor.get("/portal/")
    assert f'<html lang="{lang}"' in home


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/api/v1/x"])
async def test_language_switch_stays_on_the_portal(portal: Portal, target: str) -> None:
    visitor = await portal.signed_in()
    response, _ = await visitor.post(
        "/portal/language", {"csrf": await visitor.token(), "lang": "fa", "next": target}
    )
    assert response.headers["Location"] == "/portal/"


# --- headers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/portal/", "/portal/history", "/portal/nowhere", "/portal/answers/1", "/portal/report.csv"],
)
async def test_security_headers(portal: Portal, path: str) -> None:
    visitor = await portal.signed_in()
    response, _ = await visitor.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # no script at all


async def test_pages_have_no_script_and_the_stylesheet_is_served(portal: Portal) -> None:
    visitor = await portal.signed_in()
    _, page = await visitor.check(portal.ids["rezaei"])
    assert "<script" not in page
    assert " on" + "click" not in page
    response, css = await visitor.get("/portal/static/portal.css")
    assert response.status == 200
    assert response.content_type == "text/css"
    assert "@media print" in css
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_bare_portal_path_redirects(portal: Portal) -> None:
    response, _ = await portal.visitor().get("/portal")
    assert response.status == 308
    assert response.headers["Location"] == "/portal/"


# --- refusals that must stay pages ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"national_id": "1"}', "application/json"),
        (b"csrf=%ff%fe&national_id=%80", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
        (b"", "text/plain"),
    ],
    ids=["json", "bad-percent-escapes", "binary", "broken-multipart", "empty"],
)
@pytest.mark.parametrize("path", ["/portal/signin", "/portal/inquiries"])
async def test_odd_bodies_are_refused_with_a_page(
    portal: Portal, path: str, body: bytes, content_type: str
) -> None:
    visitor = await portal.signed_in()
    response = await portal.client.post(
        path,
        data=body,
        headers={**visitor._headers(None), "Content-Type": content_type},
        allow_redirects=False,
    )
    assert 400 <= response.status < 500
    assert response.content_type == "text/html"
    assert "<html" in await response.text()


QUOTA_PAGES = [
    # (label, [inquiries], what the refusal page says)
    ("asker", {"provider_per_minute": 2}, "Too many inquiries from you."),
    ("provider-national-id", {"provider_per_national_id": 1}, "You have checked this person"),
]


@pytest.mark.parametrize(("label", "limits", "says"), QUOTA_PAGES, ids=[c[0] for c in QUOTA_PAGES])
async def test_a_quota_is_a_page_in_words(
    make_gateway: MakeGateway, label: str, limits: dict[str, int], says: str
) -> None:
    portal = await open_portal(make_gateway, inquiries=limits)
    visitor = await portal.signed_in()
    # A check and its answer card: two answers for the provider's own quota, one check of
    # the person.
    first, _ = await visitor.check(portal.ids["rezaei"])
    assert first.status == 200, label
    second, page = await visitor.check(portal.ids["rezaei"])
    assert second.status == 429
    assert second.content_type == "text/html"
    assert says in page
    assert 'role="alert"' in page
    assert int(second.headers["Retry-After"]) > 0
    assert len(await portal.tg.store.answers.by_asker("provider", PROVIDER_ID)) == 1
    # Another provider is not refused for this one's checks.
    other = await portal.signed_in(OTHER_KEY)
    third, _ = await other.check(portal.ids["rezaei"])
    assert third.status == 200


async def test_a_quota_page_is_in_persian_for_a_persian_reader(make_gateway: MakeGateway) -> None:
    portal = await open_portal(make_gateway, inquiries={"provider_per_national_id": 1})
    visitor = await portal.signed_in(**{"Accept-Language": "fa"})
    await visitor.check(portal.ids["rezaei"])
    refused, page = await visitor.check(portal.ids["rezaei"])
    assert refused.status == 429
    assert '<html lang="fa" dir="rtl">' in page
    assert "شما این شخص را بیش از حد مجاز استعلام کرده‌اید" in page


async def test_a_failure_inside_is_a_503_page_never_a_500(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = await portal.signed_in()
    token = await visitor.token()

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(portal.tg.inquiries, "ask", broken)
    response, page = await visitor.post(
        "/portal/inquiries", {"csrf": token, "national_id": portal.ids["rezaei"]}
    )
    assert response.status == 503
    assert "try again shortly" in page
    assert "disk is on fire" not in page


async def test_a_store_that_cannot_answer_is_a_503_page(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    visitor = await portal.signed_in()
    token = await visitor.token()

    async def unavailable(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("disk full")

    monkeypatch.setattr(portal.tg.store.answers, "append", unavailable)
    response, page = await visitor.post(
        "/portal/inquiries", {"csrf": token, "national_id": portal.ids["rezaei"]}
    )
    assert response.status == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "try again shortly" in page
    assert "disk full" not in page


# --- no date of the member's, anywhere --------------------------------------------------------


async def test_the_portal_shows_no_date_of_a_lapsed_student(portal: Portal) -> None:
    """The son whose certificate lapsed yesterday: not eligible, and never since when."""
    persona = portal.tg.people["karimi-son-lapsed"]
    staff = await portal.tg.inquiries.ask(Asker.for_operator(), persona.row.national_id)
    assert staff.cover_ended is not None  # staff are told the day cover ended…
    dates = member_dates(persona, staff)
    visitor = await portal.signed_in(**{"Accept-Language": "en"})
    _, card = await visitor.check(persona.row.national_id)
    assert "Not eligible" in card
    assert "M*** K***" in card
    digits = tracking_code_of(card).replace("-", "")
    _, sheet = await visitor.get(f"/portal/answers/{digits}?print=1")
    _, history = await visitor.get("/portal/history")
    _, report = await visitor.get("/portal/report.csv")
    await visitor.post("/portal/language", {"csrf": await visitor.token(), "lang": "fa"})
    _, persian = await visitor.get(f"/portal/answers/{digits}")
    _, persian_history = await visitor.get("/portal/history")
    assert '<html lang="fa"' in persian
    pages = {
        "card": card,
        "print": sheet,
        "history": history,
        "report": report,
        "persian": persian,
        "persian-history": persian_history,
    }
    for name, text in pages.items():  # …the provider, on no page, in no form
        assert "Mehdi" not in text, name
        for day in dates:
            for written in written_forms(day):
                assert written not in text, (name, day, written)
        assert "expired on" not in text, name
    # The reason is told without its date: what to ask for, not since when.
    assert Wording("en").t("reason.STUDENT_CERTIFICATE_EXPIRED.undated") in card
    assert Wording("fa").t("reason.STUDENT_CERTIFICATE_EXPIRED.undated") in persian
