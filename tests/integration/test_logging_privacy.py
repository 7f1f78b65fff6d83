"""Logs carry pseudonyms, never national ids or phone numbers in clear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from eligibility_gw.bootstrap import open_gateway
from eligibility_gw.demo import personas
from eligibility_gw.logs import configure_logging, pseudonym, redact
from eligibility_gw.policy.askers import Asker, AskerKind
from eligibility_gw.settings import Settings

NATIONAL_ID = "0499370899"
PHONE = "+989121234567"
OTHER_PHONE = "09127654321"
TRACKING = "482109375526"
STAMP = "2026-11-23T10:15:30.123456Z"


def test_redact_pseudonymises_personal_values() -> None:
    with capture_logs(processors=[redact]) as logs:
        structlog.get_logger("t").info(
            f"lookup of {NATIONAL_ID} asked from {PHONE}",
            national_id=NATIONAL_ID,
            phone=PHONE,
            principal_id=1000000011,  # not a string: still personal
            note=f"caller said {OTHER_PHONE}, code 1234",
            members=[{"given_name": "Ali", "national_id": "1000000028"}, "x 12345678 y"],
            tracking_code=TRACKING,
            timestamp=STAMP,
            request_id="0123456789abcdef",
            seq=123456789,
            status="eligible",
            empty_phone=None,
        )
    assert len(logs) == 1
    event = logs[0]
    assert event["event"] == f"lookup of {pseudonym(NATIONAL_ID)} asked from {pseudonym(PHONE)}"
    assert event["national_id"] == pseudonym(NATIONAL_ID)
    assert event["phone"] == pseudonym(PHONE)
    assert event["principal_id"] == pseudonym("1000000011")
    # 8+ digit runs inside any string; shorter numbers are left alone.
    assert event["note"] == f"caller said {pseudonym(OTHER_PHONE)}, code 1234"
    assert event["members"] == [
        {"given_name": pseudonym("Ali"), "national_id": pseudonym("1000000028")},
        f"x {pseudonym('12345678')} y",
    ]
    # Known-safe values keep their digits.
    assert event["tracking_code"] == TRACKING
    assert event["timestamp"] == STAMP
    assert event["request_id"] == "0123456789abcdef"
    assert event["seq"] == 123456789
    assert event["status"] == "eligible"
    assert event["empty_phone"] is None
    assert event["log_level"] == "info"


def test_pseudonyms_are_stable_and_distinct() -> None:
    assert pseudonym(NATIONAL_ID) == pseudonym(NATIONAL_ID)
    assert pseudonym(NATIONAL_ID) != pseudonym("1000000011")
    assert pseudonym(NATIONAL_ID).startswith("p_")
    assert NATIONAL_ID not in pseudonym(NATIONAL_ID)


def _json_lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_configured_json_logs_carry_no_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    log = structlog.get_logger("privacy")
    structlog.contextvars.bind_contextvars(request_id="req-1")
    try:
        log.info(
            "sms_received", from_phone=PHONE, body=f"check {NATIONAL_ID}", tracking_code=TRACKING
        )
        log.debug("not shown at info")
    finally:
        structlog.contextvars.clear_contextvars()
    err = capsys.readouterr().err
    assert NATIONAL_ID not in err
    assert PHONE not in err and PHONE[1:] not in err
    (line,) = _json_lines(err)
    assert line["event"] == "sms_received"
    assert line["from_phone"] == pseudonym(PHONE)
    assert line["body"] == pseudonym(f"check {NATIONAL_ID}")
    assert line["tracking_code"] == TRACKING
    assert line["request_id"] == "req-1"
    assert line["level"] == "info"
    assert isinstance(line["timestamp"], str)
    assert str(line["timestamp"]).startswith("20")


def test_logged_exceptions_carry_no_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    # A traceback's text quotes what the failing code held: it is scrubbed like the rest.
    configure_logging("info", "json")
    log = structlog.get_logger("privacy")
    try:
        raise ValueError(f"no family for {NATIONAL_ID} (phone {PHONE})")
    except ValueError:
        log.exception("unhandled_error")
    err = capsys.readouterr().err
    (line,) = _json_lines(err)
    assert line["event"] == "unhandled_error"
    exception = str(line["exception"])
    assert "ValueError: no family for" in exception
    assert pseudonym(NATIONAL_ID) in exception
    assert NATIONAL_ID not in err
    assert PHONE[1:] not in err


async def test_service_logs_keep_the_tracking_code_and_hide_the_person(
    settings: Settings, db_path: Path
) -> None:
    core = await open_gateway(settings)
    try:
        rows = [p.row for p in personas(core.pack, settings.today())]
        await core.store.registry.upsert_rows(rows)
        principal = rows[0].national_id
        with capture_logs(
            processors=[structlog.processors.TimeStamper(fmt="iso", utc=True), redact]
        ) as logs:
            answer = await core.service.ask(principal, Asker("sms", AskerKind.INSURED, PHONE))
    finally:
        await core.close()
    answered = [e for e in logs if e["event"] == "answered"]
    assert len(answered) == 1
    event = answered[0]
    assert event["tracking_code"] == answer.tracking_code.digits
    assert event["status"] == "eligible"
    assert "timestamp" in event
    text = repr(logs)
    assert principal not in text
    assert PHONE not in text
