"""Structured logs: JSON or console, a request id, and no personal data in clear."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
from collections.abc import MutableMapping
from types import TracebackType
from typing import Any, TextIO

import structlog
from aiohttp.http_exceptions import HttpProcessingError
from structlog.typing import Processor

#: Keys whose values are personal data: replaced by a keyed pseudonym.
SENSITIVE_KEYS = frozenset(
    {
        "national_id",
        "phone",
        "from_phone",
        "to_phone",
        "name",
        "given_name",
        "family_name",
        "principal_id",
        "body",
        "text",
        "sender",
        "msisdn",
        "contact",
    }
)
#: Keys whose values are known not to be personal (digits that look like ids but are not).
SAFE_KEYS = frozenset(
    {"tracking_code", "request_id", "seq", "status", "duration_ms", "port", "timestamp", "level"}
)
# Runs of 8+ digits (ids, phone numbers), with an optional leading + (E.164).
_DIGIT_RUN = re.compile(r"\+?\d{8,}")

_KEY = {
    "key": os.environ.get("ELIGIBILITY_GW_PSEUDONYM_KEY", "").encode() or secrets.token_bytes(32)
}
#: An HMAC-SHA256 keyed with the key above and fed nothing yet: each pseudonym starts from a
#: copy of it instead of deriving the key's pads again (rate-limit keys take one per request).
_KEYED: dict[bytes, hmac.HMAC] = {}


def set_pseudonym_key(key: bytes) -> None:
    """Use ``key`` for pseudonyms (the same key makes the same pseudonym across processes)."""
    _KEY["key"] = key


def pseudonym(value: str) -> str:
    """A keyed, short, stable stand-in for a personal value."""
    key = _KEY["key"]
    keyed = _KEYED.get(key)
    if keyed is None:  # the first pseudonym, or a new key
        _KEYED.clear()
        keyed = _KEYED[key] = hmac.new(key, digestmod=hashlib.sha256)
    mac = keyed.copy()
    mac.update(value.encode("utf-8"))
    return "p_" + mac.hexdigest()[:12]


def _pseudonym_of(match: re.Match[str]) -> str:
    return pseudonym(match.group())


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _DIGIT_RUN.sub(_pseudonym_of, value)
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(k, v) for k, v in value.items()}
    return value


def _redact_value(key: str, value: Any) -> Any:
    if key in SAFE_KEYS:
        return value
    if key in SENSITIVE_KEYS and value not in (None, ""):
        return pseudonym(str(value))
    return _scrub(value)


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: pseudonymise personal data wherever it appears.

    Every answer logs a line: plain strings, most of a line's values, take the short way
    (the same result as ``_redact_value``, without its calls).
    """
    for key, value in event.items():
        if key in SAFE_KEYS:
            continue
        if type(value) is str:
            if key in SENSITIVE_KEYS and value:
                event[key] = pseudonym(value)
            else:
                event[key] = _DIGIT_RUN.sub(_pseudonym_of, value)
        else:
            event[key] = _redact_value(key, value)
    return event


def log_processors() -> list[Processor]:
    """What every log line goes through before it is rendered: context, level, time, redaction."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # After format_exc_info: a traceback's text may quote ids and phones too.
        structlog.processors.format_exc_info,
        redact,
    ]


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """A handler writing to whatever ``sys.stderr`` is when a record comes (as structlog's
    ``PrintLogger`` for ``sys.stderr`` does not: it keeps the stream of its creation)."""

    @property
    def stream(self) -> Any:
        """Today's ``sys.stderr``."""
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """Ignore the stream ``StreamHandler.__init__`` sets."""


def _origin(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Name the stdlib logger a foreign record came from (``aiohttp.server``…)."""
    record = event.get("_record")
    if record is not None:
        event["logger"] = record.name
    return event


def _client_faults(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """aiohttp's "Error handling request" for a malformed request: a line, not a traceback.

    A request aiohttp cannot parse (a NUL in a header, a bad request line) is the client's
    fault, and aiohttp has already answered it 400: its traceback says nothing of ours.
    """
    exc_info = event.get("exc_info")
    exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    if isinstance(exc, HttpProcessingError):
        del event["exc_info"]
        detail = (exc.message or "").strip().splitlines()
        event["event"] = "bad_http_request"
        event["error"] = type(exc).__name__
        event["status"] = exc.code
        event["problem"] = detail[0].rstrip(":")[:120] if detail else ""
        event["level"] = "warning"
    return event


#: The one handler of ours on the root logger (replaced, never added twice).
_STDLIB_HANDLER: dict[str, logging.Handler] = {}


def configure_logging(level: str = "info", fmt: str = "auto", cache: bool = False) -> None:
    """Set up structlog, and stdlib logging (aiohttp's own errors) through it, for this process.

    With JSON, every line is one JSON object: a stdlib record's traceback is a field of its
    line, never lines of its own. The root logger keeps its level (warning by default):
    libraries' info lines, aiohttp's access log among them, stay off as before.

    ``cache``: each logger is built once, at its first line, and kept (the server, which
    configures once and logs every answer); a later ``configure_logging`` then no longer
    reaches the loggers already used, so tests and one-shot commands leave it off.
    """
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*log_processors(), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=cache,
    )
    # A client's fault is told apart before its traceback becomes text, after the level.
    foreign = [_origin, *log_processors()]
    foreign.insert(foreign.index(structlog.processors.format_exc_info), _client_faults)
    handler = _CurrentStderr()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=foreign,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    old = _STDLIB_HANDLER.pop("root", None)
    if old is not None:
        root.removeHandler(old)
    root.addHandler(handler)
    _STDLIB_HANDLER["root"] = handler


def where(tb: TracebackType | None) -> str:
    """The innermost frame of a traceback as ``file:line`` (no values: they may be personal)."""
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return f"{last.tb_frame.f_code.co_filename}:{last.tb_lineno}" if last else ""
