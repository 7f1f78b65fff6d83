"""Each persona × setting (by X12 code, by benefit category, by extension, by none) ×
``servicedDate`` / ``servicedPeriod`` × create / ``$submit``: the answer FHIR gives is the JSON
API's for the same person, day and setting; a period's is the JSON API's day by day (covered
only when covered on every day of it). Every resource received is valid by HL7's schema and
the R4B models (``received``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from eligibility_gw.channels.web.fhir import codes
from eligibility_gw.domain.dates import add_months, end_of_month
from eligibility_gw.domain.period import COVER_ENDS_IN_PERIOD
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.policy.askers import Asker
from eligibility_gw.wording import Wording
from tests.channels.web.fhir.conftest import KIAN, KIAN_BIRTHDAY_19
from tests.channels.web.fhir.support import (
    BASE,
    FHIR_JSON,
    SETTING_BY,
    SETTING_URL,
    SUBMIT,
    TODAY,
    URL,
    codes_in,
    coverage_request,
    inforce,
    reason_codes,
    received,
)
from tests.channels.web.support import (
    ACTIVE_ID,
    WebGateway,
    member_dates,
    persona_table,
    written_forms,
)

PERSONAS = persona_table()
ROUTES = {"create": URL, "$submit": SUBMIT}
#: How the setting is named: (way, setting); (None, None) names none (general cover).
WAYS: list[tuple[str | None, str | None]] = [(None, None)] + [
    (by, setting) for by in SETTING_BY for setting in ("outpatient", "inpatient")
]
LAST_DAY = end_of_month(TODAY)
#: servicedDate (last day None) or servicedPeriod, each inside the window on any day.
WHENS: dict[str, tuple[date, date | None]] = {
    "date": (TODAY, None),
    "period-back": (TODAY - timedelta(days=3), TODAY),
    "period-ahead": (TODAY, min(TODAY + timedelta(days=7), LAST_DAY)),
}
INFORCE = {"eligible": True, "not_eligible": False, "undetermined": None}
EN = Wording("en")


@dataclass(frozen=True, slots=True)
class Expected:
    """An answer as the JSON API gives it: the status and the reason codes."""

    status: str
    codes: tuple[str, ...]
    #: The reasons in words (not compared: a period's answer is built from two days').
    messages: tuple[str, ...] = field(default=(), compare=False)


class JsonApi:
    """The JSON API's answers for one person, each day and setting asked once."""

    def __init__(self, gw: WebGateway, national_id: str) -> None:
        self.gw = gw
        self.national_id = national_id
        self._seen: dict[tuple[date, str], Expected] = {}

    async def on(self, day: date, setting: str) -> Expected:
        """The API's answer for ``day`` in ``setting``."""
        if (day, setting) not in self._seen:
            response = await self.gw.client.post(
                "/api/v1/inquiries",
                json={
                    "national_id": self.national_id,
                    "service_date": day.isoformat(),
                    "setting": setting,
                },
                headers={**self.gw.auth(self.gw.active_key), "Accept-Language": "en"},
            )
            assert response.status == 200, await response.text()
            answer = await response.json()
            self._seen[day, setting] = Expected(
                answer["status"],
                tuple(r["code"] for r in answer["reasons"]),
                tuple(r["message"] for r in answer["reasons"]),
            )
        return self._seen[day, setting]

    async def over(self, first: date, last: date | None, setting: str) -> Expected:
        """The answer for the day, or for the period from the API's answer day by day."""
        start = await self.on(first, setting)
        if last is None or start.status != "eligible":
            return start
        day = first
        while day < last:
            day += timedelta(days=1)
            found = await self.on(day, setting)
            if found.status != "eligible":
                return Expected(found.status, (COVER_ENDS_IN_PERIOD, *found.codes))
        return start


async def ask(
    gw: WebGateway, route: str, body: dict[str, Any], wrapped: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Post ``body`` to ``route`` as the active provider (``wrapped``: in Parameters, as
    ``$submit`` also takes it); the response (valid) and its headers."""
    if wrapped:
        body = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": body}]}
    response = await gw.client.post(
        ROUTES[route],
        data=json.dumps(body),
        headers={**gw.auth(gw.active_key), "Content-Type": FHIR_JSON, "Accept-Language": "en"},
    )
    data = await received(response, 200, "CoverageEligibilityResponse")
    return data, dict(response.headers)


def people() -> list[tuple[str, str, set[date]]]:
    """Every persona (and Kian): key, national id, the member's dates never to be shown."""
    found = [(p.key, p.row.national_id, member_dates(p)) for p in PERSONAS]
    found.append(("kian", KIAN.national_id, {KIAN.birth_date}))
    return found


PEOPLE = people()


def assert_no_member_date(data: dict[str, Any], dates: set[date], asked: set[date]) -> None:
    """No date of the member's in a provider's response, beyond the days asked about."""
    shown = json.dumps(
        {k: v for k, v in data.items() if k not in ("created", "meta")}, ensure_ascii=False
    )
    for day in dates - asked:
        for written in written_forms(day):
            assert written not in shown, (day, shown)


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize(("key", "national_id", "dates"), PEOPLE, ids=[p[0] for p in PEOPLE])
async def test_each_person_setting_and_day_answers_as_the_json_api(
    gw: WebGateway, route: str, key: str, national_id: str, dates: set[date]
) -> None:
    api = JsonApi(gw, national_id)
    for when, (first, last) in WHENS.items():
        for by, setting in WAYS:
            label = (when, by, setting)
            body = coverage_request(
                national_id,
                served=first if last is None else None,
                period=(first, last) if last is not None else None,
                setting=setting,
                by=by or "x12",
            )
            data, headers = await ask(gw, route, body)
            answered = setting or "outpatient"
            expected = await api.over(first, last, answered)
            assert data["outcome"] == "complete", label
            assert inforce(data) is INFORCE[expected.status], (label, data)
            assert tuple(reason_codes(data)) == expected.codes, (label, data)
            if last is None:
                assert data["servicedDate"] == first.isoformat()
                for message in expected.messages:  # the same words as the API's
                    assert message in data["disposition"], (label, data["disposition"])
            else:
                assert data["servicedPeriod"] == {"start": first.isoformat(), "end": str(last)}
                assert "servicedDate" not in data
            # The item answered: the category as sent (X12 30, general cover, when none was
            # named; the setting's X12 code when named by the extension), and the setting.
            [item] = data["insurance"][0]["item"]
            assert item["extension"] == [{"url": SETTING_URL, "valueCode": answered}]
            [coding] = item["category"]["coding"]
            sent = SETTING_BY[by][answered] if by else None
            if sent is not None:
                assert (coding["system"], coding["code"]) == sent, label
            else:
                code = "30" if by is None else {"inpatient": "48", "outpatient": "50"}[answered]
                assert (coding["system"], coding["code"]) == (codes.X12_SERVICE_TYPE, code)
            # Logged under the id, for this provider and channel, with the day or period.
            record = await gw.store.answers.find(TrackingCode.parse(data["id"]))
            assert record is not None
            draft = record.draft
            assert (draft.channel, draft.asker_id) == ("fhir", ACTIVE_ID)
            assert (draft.service_date, draft.service_until) == (first, last)
            assert draft.setting.value == answered
            assert draft.decision.status.value == expected.status
            assert data["identifier"] == [
                {
                    "system": "urn:eligibility-gw:tracking-code",
                    "value": record.tracking_code.grouped(),
                }
            ]
            assert headers["Location"] == f"{BASE}/CoverageEligibilityResponse/{data['id']}"
            assert_no_member_date(data, dates, {first, last or first})


@dataclass(frozen=True, slots=True)
class Crossing:
    """A period across the day something ends, and what the answer says."""

    label: str
    persona: str
    first: date
    last: date
    status: str
    codes: tuple[str, ...]


SAMAN_END = add_months(TODAY, -2)
MEHDI_LAPSED = TODAY - timedelta(days=1)
CROSSINGS = [
    Crossing(
        "19th-birthday",
        "kian",
        KIAN_BIRTHDAY_19 - timedelta(days=3),
        KIAN_BIRTHDAY_19 + timedelta(days=3),
        "not_eligible",
        (COVER_ENDS_IN_PERIOD, "STUDENT_CERTIFICATE_REQUIRED"),
    ),
    Crossing(
        "certificate-end",
        "karimi-son-lapsed",
        MEHDI_LAPSED - timedelta(days=3),
        TODAY,
        "not_eligible",
        (COVER_ENDS_IN_PERIOD, "STUDENT_CERTIFICATE_EXPIRED"),
    ),
    Crossing(
        "cover-end",
        "ahmadi",
        SAMAN_END - timedelta(days=2),
        SAMAN_END + timedelta(days=2),
        "not_eligible",
        (COVER_ENDS_IN_PERIOD, "OUTSIDE_COVER_PERIOD"),
    ),
    Crossing(
        "principal's-cover-end",
        "ahmadi-son",
        SAMAN_END - timedelta(days=2),
        SAMAN_END + timedelta(days=2),
        "not_eligible",
        (COVER_ENDS_IN_PERIOD, "PRINCIPAL_NOT_COVERED"),
    ),
    Crossing(
        "up-to-the-cover-end", "ahmadi", SAMAN_END - timedelta(days=9), SAMAN_END, "eligible", ()
    ),
    Crossing(
        "up-to-the-eve-of-the-19th-birthday",
        "kian",
        KIAN_BIRTHDAY_19 - timedelta(days=5),
        KIAN_BIRTHDAY_19 - timedelta(days=1),
        "eligible",
        (),
    ),
    Crossing(
        "a-month-with-a-certificate",
        "rezaei-son-student",
        TODAY - timedelta(days=30),
        TODAY,
        "eligible",
        (),
    ),
    Crossing(
        "uncovered-from-the-start",
        "rezaei-son-no-cert",
        TODAY - timedelta(days=3),
        TODAY,
        "not_eligible",
        ("STUDENT_CERTIFICATE_REQUIRED",),
    ),
    Crossing(
        "starting-the-day-after-cover-ended",
        "ahmadi",
        SAMAN_END + timedelta(days=1),
        SAMAN_END + timedelta(days=3),
        "not_eligible",
        ("OUTSIDE_COVER_PERIOD",),
    ),
]


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("case", CROSSINGS, ids=[c.label for c in CROSSINGS])
async def test_a_period_is_covered_only_when_every_day_of_it_is(
    gw: WebGateway, route: str, case: Crossing
) -> None:
    national_id = KIAN.national_id if case.persona == "kian" else gw.nid(case.persona)
    body = coverage_request(national_id, period=(case.first, case.last))
    data, _ = await ask(gw, route, body)
    assert inforce(data) is INFORCE[case.status], data
    assert tuple(reason_codes(data)) == case.codes, data
    assert data["servicedPeriod"] == {"start": str(case.first), "end": str(case.last)}
    if COVER_ENDS_IN_PERIOD in case.codes:
        # For a provider, undated like every member date: the day cover stops is not said.
        assert EN.t("reason.COVER_ENDS_IN_PERIOD.undated") in data["disposition"]
        dates = {KIAN.birth_date, KIAN_BIRTHDAY_19, MEHDI_LAPSED, SAMAN_END}
        assert_no_member_date(data, dates, {case.first, case.last})
    assert await JsonApi(gw, national_id).over(case.first, case.last, "outpatient") == Expected(
        case.status, case.codes
    )


async def test_the_wrapped_submit_answers_as_the_bare_one(gw: WebGateway) -> None:
    body = coverage_request(gw.nid("karimi-mother"), setting="inpatient")
    bare, _ = await ask(gw, "$submit", body)
    wrapped, _ = await ask(gw, "$submit", body, wrapped=True)
    for data in (bare, wrapped):
        assert inforce(data) is None
        assert reason_codes(data) == ["OVERLAP_WITH_OTHER_INSURER"]
    assert bare["id"] != wrapped["id"]  # two answers, two tracking codes


async def test_a_refusal_names_its_x12_aaa_code_and_is_not_logged(gw: WebGateway) -> None:
    first = TODAY - timedelta(days=500)
    for body in (
        coverage_request(gw.nid("rezaei"), served=first),
        coverage_request(gw.nid("rezaei"), period=(first, TODAY)),
        coverage_request(gw.nid("rezaei"), period=(TODAY, LAST_DAY + timedelta(days=1))),
    ):
        data, headers = await ask(gw, "create", body)
        assert data["outcome"] == "error"
        assert reason_codes(data) == ["DATE_OUT_OF_RANGE"]
        assert codes_in(data, "https://x12.org/codes/reject-reason-codes") == ["62"]
        earliest, latest = await _window(gw)
        assert data["disposition"] == EN.t(
            "error.DATE_OUT_OF_RANGE", earliest=earliest, latest=latest
        )
        assert "id" not in data and "Location" not in headers
    assert await gw.store.answers.by_asker("provider", ACTIVE_ID) == []


async def _window(gw: WebGateway) -> tuple[str, str]:
    earliest, latest = gw.tg.inquiries.window()
    return earliest.isoformat(), latest.isoformat()


async def test_disposition_in_the_accepted_language(gw: WebGateway) -> None:
    body = json.dumps(coverage_request(gw.nid("rezaei-son-no-cert")))
    for language in ("en", "fa"):
        response = await gw.client.post(
            URL,
            data=body,
            headers={
                **gw.auth(gw.active_key),
                "Content-Type": FHIR_JSON,
                "Accept-Language": language,
            },
        )
        data = await received(response, 200, "CoverageEligibilityResponse")
        w = Wording(language)
        assert response.headers["Content-Language"] == language
        assert data["disposition"].startswith(w.t("status.not_eligible"))
        assert w.t("reason.STUDENT_CERTIFICATE_REQUIRED") in data["disposition"]


@pytest.mark.parametrize("language", ["en", "fa"])
async def test_the_operator_reads_the_day_cover_stops_in_a_period(
    gw: WebGateway, language: str
) -> None:
    # The same answer through the core for the operator: the day is said (a provider's
    # view above leaves it out), in the reader's calendar; the log keeps the period.
    first, last = KIAN_BIRTHDAY_19 - timedelta(days=3), KIAN_BIRTHDAY_19 + timedelta(days=3)
    shown = await gw.tg.inquiries.ask(
        Asker.for_operator(), KIAN.national_id, first, "outpatient", until=last
    )
    assert [r.code for r in shown.reasons] == [COVER_ENDS_IN_PERIOD, "STUDENT_CERTIFICATE_REQUIRED"]
    assert (shown.service_date, shown.service_until) == (first, last)
    w = Wording(language)
    words = w.reason(shown.reasons[0])
    assert w.date(KIAN_BIRTHDAY_19 - timedelta(days=1)) in words
    assert words == w.t(
        "reason.COVER_ENDS_IN_PERIOD", ends_on=w.date(KIAN_BIRTHDAY_19 - timedelta(days=1))
    )
    assert w.date(KIAN_BIRTHDAY_19 - timedelta(days=1)) in w.reason(shown.reasons[0], short=True)
    assert (await gw.store.answers.verify()).ok
