"""The JSON log lines as the server writes them: loggers kept, pseudonyms unchanged."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from eligibility_gw import logs
from eligibility_gw.logs import (
    SAFE_KEYS,
    SENSITIVE_KEYS,
    configure_logging,
    pseudonym,
    redact,
    set_pseudonym_key,
)


@dataclass(frozen=True)
class _Thing:
    label: str


@pytest.fixture
def plain_logging() -> Iterator[None]:
    """Leave logging configured as the other tests expect it (no loggers kept)."""
    yield
    configure_logging("info", "json")


def _line(err: str) -> dict[str, object]:
    (line,) = [json.loads(text) for text in err.splitlines() if text.strip()]
    assert isinstance(line, dict)
    return line


def test_json_lines_keep_text_and_leave_objects_to_their_repr(
    capsys: pytest.CaptureFixture[str], plain_logging: None
) -> None:
    configure_logging("info", "json")
    at = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
    structlog.get_logger("lines").info(
        "answered", note="پوشش دارد", at=at, thing=_Thing("x"), reasons=["A", "B"], n=3
    )
    err = capsys.readouterr().err
    assert "پوشش دارد" in err  # UTF-8 as it is, not \u escapes
    line = _line(err)
    assert line["event"] == "answered"
    assert line["note"] == "پوشش دارد"
    # Objects are rendered by structlog's fallback, as the standard encoder's lines had them:
    # never taken apart field by field (a field could be personal and escape redaction).
    assert line["at"] == repr(at)
    assert line["thing"] == repr(_Thing("x"))
    assert line["reasons"] == ["A", "B"]
    assert line["n"] == 3


@pytest.mark.parametrize("cache", [False, True])
def test_the_server_keeps_its_loggers_other_commands_do_not(
    capsys: pytest.CaptureFixture[str], plain_logging: None, cache: bool
) -> None:
    configure_logging("info", "json", cache=cache)
    assert structlog.get_config()["cache_logger_on_first_use"] is cache
    log = structlog.get_logger("kept")
    log.info("first", national_id="0499370899")
    log.info("second")
    lines = [json.loads(t) for t in capsys.readouterr().err.splitlines() if t.strip()]
    assert [line["event"] for line in lines] == ["first", "second"]
    assert lines[0]["national_id"] == pseudonym("0499370899")


def test_pseudonyms_are_hmac_sha256_of_the_key() -> None:
    kept = logs._KEY["key"]
    try:
        set_pseudonym_key(b"a key shared by every process")
        expected = hmac.new(b"a key shared by every process", b"0499370899", hashlib.sha256)
        assert pseudonym("0499370899") == "p_" + expected.hexdigest()[:12]
        assert pseudonym("0499370899") == pseudonym("0499370899")  # the keyed copy is reused
        set_pseudonym_key(b"another key")
        assert pseudonym("0499370899") != "p_" + expected.hexdigest()[:12]
        # The key put in place directly (as the privacy scan's own tests do) is used too.
        logs._KEY["key"] = b"a key shared by every process"
        assert pseudonym("0499370899") == "p_" + expected.hexdigest()[:12]
    finally:
        set_pseudonym_key(kept)


def _reference_redact(event: dict[str, Any]) -> dict[str, Any]:
    """``redact`` as it was before its short way for plain strings: key by key, in full."""
    return {key: logs._redact_value(key, value) for key, value in event.items()}


_keys = st.sampled_from(sorted(SAFE_KEYS | SENSITIVE_KEYS | {"event", "note", "reasons"}))
_texts = st.text(alphabet="0123456789+ ab-۰۱۲", max_size=24)
_values = st.recursive(
    st.none() | st.integers() | _texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=6,
)


@given(event=st.dictionaries(_keys | st.text(max_size=6), _values, max_size=8))
def test_redact_takes_the_short_way_to_the_same_line(event: dict[str, Any]) -> None:
    assert redact(None, "info", dict(event)) == _reference_redact(event)
