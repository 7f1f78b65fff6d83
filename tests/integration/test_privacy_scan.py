"""The session's privacy scan finds registry ids and phones in logs, and fails the session."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from eligibility_gw import logs
from eligibility_gw.logs import pseudonym
from tests.privacy_scan import LogLine, phone_forms, readable, report, scan

ROOT = Path(__file__).resolve().parents[2]
NATIONAL_ID = "1000000011"
PHONE = "+989121110001"
KEY = "privacy-scan-test-key"


def _line(text: str) -> LogLine:
    return LogLine("structlog", "tests/x.py::test_x", text)


@pytest.mark.parametrize(
    "text",
    [
        f'{{"event": "asked", "note": "{NATIONAL_ID}"}}',
        "asked about ۱۰۰۰۰۰۰۰۱۱ today",  # Persian digits
        "asked about 100-000-0011",
        "asked about 100 000 0011",
        "asked about 1\u200f000000011",  # a direction mark inside
        f"id={NATIONAL_ID}&x=1",
    ],
)
def test_a_national_id_is_found_however_written(text: str) -> None:
    (hit,) = scan([_line(text)], {NATIONAL_ID}, set())
    assert (hit.kind, hit.value) == ("national id", NATIONAL_ID)


@pytest.mark.parametrize(
    "text", [PHONE, "from 989121110001", "call 09121110001", "00989121110001", "+98 912 111 0001"]
)
def test_a_phone_is_found_in_international_and_national_forms(text: str) -> None:
    (hit,) = scan([_line(text)], set(), {PHONE})
    assert (hit.kind, hit.value) == ("phone", PHONE)


@pytest.mark.parametrize(
    "text",
    [
        f'{{"national_id": "{pseudonym(NATIONAL_ID)}"}}',
        "another number 1000000012",
        "a longer number 21000000011",
        "tracking code 4821-0937-5526 at 2026-11-23T10:15:30Z",
        "duration_ms=10.5 count=1000000 seq=12345678",
    ],
)
def test_what_is_not_the_value_is_not_a_hit(text: str) -> None:
    assert scan([_line(text)], {NATIONAL_ID}, {PHONE}) == []


def test_readable_puts_digits_in_ascii_and_joins_the_parts_of_a_number() -> None:
    assert readable("۱۲۳-۴۵۶ ٧٨٩.0") == "1234567890"
    assert readable("a 12 b") == "a 12 b"


def test_phone_forms() -> None:
    assert phone_forms(PHONE) == {"989121110001", "00989121110001", "9121110001", "09121110001"}


def test_the_report_names_hits_by_pseudonym_only() -> None:
    hits = scan(
        [_line(f"looked up {NATIONAL_ID} for {PHONE}"), _line(f"again {NATIONAL_ID}")],
        {NATIONAL_ID},
        {PHONE},
    )
    text = "\n".join(report(hits))
    assert len(hits) == 3
    assert pseudonym(NATIONAL_ID) in text and pseudonym(PHONE) in text
    assert "tests/x.py::test_x" in text
    assert NATIONAL_ID not in readable(text)
    assert PHONE.lstrip("+") not in readable(text)


LEAKING = """
import logging
from datetime import date

import structlog

from eligibility_gw.demo import personas
from eligibility_gw.rulepacks import load_rule_pack


def test_a_lookup_that_logs_too_much():
    row = personas(load_rule_pack("ir-tamin"), date(2026, 1, 1))[0].row
    logging.getLogger("leaky").warning("looked up %s", row.national_id)
    # The redaction pseudonymises runs of digits; a number written in groups slips past it.
    spaced = " ".join((row.phone[:4], row.phone[4:7], row.phone[7:]))
    structlog.get_logger("leaky").info("called back", note=spaced)
"""

CLEAN = """
import logging
from datetime import date

import structlog

from eligibility_gw.demo import personas
from eligibility_gw.rulepacks import load_rule_pack


def test_a_lookup_that_logs_pseudonyms():
    row = personas(load_rule_pack("ir-tamin"), date(2026, 1, 1))[0].row
    logging.getLogger("careful").warning("looked up one person")
    structlog.get_logger("careful").info("asked", national_id=row.national_id, phone=row.phone)
"""


@pytest.fixture
def inner_session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytest run in a subprocess with the privacy scan and a known pseudonym key."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("ELIGIBILITY_GW_PSEUDONYM_KEY", KEY)
    monkeypatch.setitem(logs._KEY, "key", KEY.encode())  # the pseudonyms the run will show
    return pytester


@pytest.mark.slow
def test_a_planted_leak_fails_the_session(inner_session: pytest.Pytester) -> None:
    inner_session.makepyfile(test_leaking=textwrap.dedent(LEAKING))
    result = inner_session.runpytest_subprocess(
        "-p", "tests.privacy_scan", "-p", "no:cacheprovider"
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    result.stdout.fnmatch_lines(["*privacy scan failed*", "*1 passed*"])
    assert f"national id {pseudonym(NATIONAL_ID)} in logging leaky" in output
    assert f"phone {pseudonym(PHONE)} in structlog" in output
    assert NATIONAL_ID not in readable(output)
    assert PHONE.lstrip("+") not in readable(output)


@pytest.mark.slow
def test_a_session_without_leaks_passes(inner_session: pytest.Pytester) -> None:
    inner_session.makepyfile(test_clean=textwrap.dedent(CLEAN))
    result = inner_session.runpytest_subprocess(
        "-p", "tests.privacy_scan", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "privacy scan failed" not in result.stdout.str()
