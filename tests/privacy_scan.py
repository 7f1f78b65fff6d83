"""A pytest plugin: no national id or phone number of a test registry may reach the logs.

For the whole session it keeps what is logged, as the gateway writes it in production:
structlog through the same processors and redaction (events a test captures with
``capture_logs`` included), stdlib logging with aiohttp's access log, the JSON
log lines a CLI command writes to stderr, and the logs of gateway processes the tests
hand over with ``record_output``. It also learns the national id and phone number of
every registry row and person the tests build (demo personas, synthetic families, test
rows). At the end of the session it looks for those values in clear in what was logged:
in ASCII or Persian digits, whole or with spaces, dashes or direction marks inside. Any
hit fails the session, reported by pseudonym and test.

Registered from ``tests/conftest.py``; ``-p no:tests.privacy_scan`` turns it off.
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers
import pytest
import structlog
from structlog.testing import LogCapture

from eligibility_gw.domain.digits import ascii_digits
from eligibility_gw.domain.model import Person
from eligibility_gw.logs import log_processors, pseudonym
from eligibility_gw.ports import RegistryRow

#: Shortest value looked for: shorter runs of digits are counts, years and codes.
MIN_DIGITS = 8
#: Hits listed in the failure report (all are counted).
REPORT_LIMIT = 40
_DIGIT = "0-9\u06f0-\u06f9\u0660-\u0669\uff10-\uff19"  # ASCII, Persian, Arabic-Indic, fullwidth
# What people and programs put between the digits of one number.
_SEPARATOR = (
    " \t\u00a0\u2009\u202f\\-\u2010-\u2015\u2212./_\u061c"
    "\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
)
#: One number as written: digits, maybe with separators between them.
_NUMBER = re.compile(f"\\+?[{_DIGIT}](?:[{_SEPARATOR}]*[{_DIGIT}])*")
_SEPARATORS = re.compile(f"[{_SEPARATOR}]+")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of log output: where it came from, during which test."""

    source: str
    test: str
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A registry value found in clear in a log line, at ``start:end`` of its text."""

    kind: str
    value: str
    line: LogLine
    start: int
    end: int


def readable(text: str) -> str:
    """``text`` with every digit in ASCII and separators inside numbers taken out."""
    return _NUMBER.sub(lambda m: _SEPARATORS.sub("", ascii_digits(m.group())), text)


def phone_forms(e164: str) -> set[str]:
    """The digit strings a phone number is written as: international and national."""
    digits = e164.lstrip("+")
    forms = {digits, "00" + digits}
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return forms
    national = str(phonenumbers.national_significant_number(number))
    return forms | {national, "0" + national}


def wanted_values(ids: Iterable[str], phones: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each digit string to look for, with what it is (kind, value as registered)."""
    wanted: dict[str, tuple[str, str]] = {}
    for national_id in ids:
        if len(national_id) >= MIN_DIGITS and national_id.isascii() and national_id.isdigit():
            wanted[national_id] = ("national id", national_id)
    for phone in phones:
        for form in phone_forms(phone):
            if len(form) >= MIN_DIGITS:
                wanted.setdefault(form, ("phone", phone))
    return wanted


def scan(lines: Iterable[LogLine], ids: Iterable[str], phones: Iterable[str]) -> list[Hit]:
    """Every national id (of ``ids``) and phone (of ``phones``) found in clear in ``lines``.

    A number is compared whole: a value inside a longer number is another number.
    """
    wanted = wanted_values(ids, phones)
    hits = []
    for line in lines:
        for number in _NUMBER.finditer(line.text):
            digits = _SEPARATORS.sub("", ascii_digits(number.group())).lstrip("+")
            found = wanted.get(digits) if len(digits) >= MIN_DIGITS else None
            if found is not None:
                hits.append(Hit(found[0], found[1], line, number.start(), number.end()))
    return hits


def excerpt(hits: list[Hit], width: int = 120) -> str:
    """The text of the hits' line near the first, every hit replaced by its pseudonym."""
    masked = hits[0].line.text
    for hit in sorted(hits, key=lambda h: h.start, reverse=True):  # from the end: no shifts
        masked = masked[: hit.start] + pseudonym(hit.value) + masked[hit.end :]
    first = min(hit.start for hit in hits)
    return masked[max(0, first - width) : first + width].replace("\n", " ")


def report(hits: list[Hit]) -> list[str]:
    """The failure report: each hit by kind, pseudonym, source and test; nothing in clear."""
    lines = [
        f"{len(hits)} registry national id(s) or phone number(s) found in clear in the logs "
        "(shown by pseudonym):"
    ]
    by_line: dict[LogLine, list[Hit]] = {}
    for hit in hits:
        by_line.setdefault(hit.line, []).append(hit)
    shown: set[tuple[str, str, str]] = set()
    for hit in hits:
        key = (hit.value, hit.line.source, hit.line.test)
        if key in shown:
            continue
        shown.add(key)
        if len(shown) > REPORT_LIMIT:
            lines.append(f"  ... and more ({len(hits)} hits in all)")
            break
        lines.append(
            f"  {hit.kind} {pseudonym(hit.value)} in {hit.line.source}, during {hit.line.test}"
        )
        lines.append(f"      {excerpt(by_line[hit.line])}")
    return lines


def looks_like_log(line: str) -> bool:
    """Say whether a line of a stream is a structlog JSON line (not a command's own output)."""
    text = line.strip()
    return text.startswith("{") and '"event"' in text


class _Tee(io.StringIO):
    """Where structlog writes: kept for the scan, and passed on to the test's stdout."""

    def __init__(self, scan: PrivacyScan) -> None:
        super().__init__()
        self.scan = scan

    def write(self, text: str) -> int:
        self.scan.record("structlog", text)
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class _Handler(logging.Handler):
    """A handler keeping every stdlib log record it is given, formatted with its traceback."""

    def __init__(self, scan: PrivacyScan) -> None:
        super().__init__()
        self.scan = scan
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record whose arguments do not format: its parts, unformatted
            text = f"{record.msg!r} {record.args!r}"
        self.scan.record(f"logging {record.name}", text)


class PrivacyScan:
    """The plugin: collects log lines and registry values, scans them at the end."""

    def __init__(self) -> None:
        self.lines: list[LogLine] = []
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.test = "(collection)"
        self.hits: list[Hit] = []
        self._tee = _Tee(self)
        self._handler = _Handler(self)
        self._undo: list[Callable[[], None]] = []

    # -- what is collected ------------------------------------------------------------------

    def record(self, source: str, text: str, test: str | None = None) -> None:
        """Keep the non-empty lines of ``text``."""
        for line in text.splitlines():
            if line.strip():
                self.lines.append(LogLine(source, test or self.test, line))

    def record_stream(self, source: str, text: str | bytes, test: str | None = None) -> None:
        """Keep the log lines among a stream's output (a command's own output is not log)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        logged = "\n".join(line for line in text.splitlines() if looks_like_log(line))
        self.record(source, logged, test)

    def learn(self, national_id: object, principal_id: object, phone: object) -> None:
        """Remember a registry person's national id and phone number."""
        for value in (national_id, principal_id):
            if isinstance(value, str) and value:
                self.ids.add(value)
        if isinstance(phone, str) and phone:
            self.phones.add(phone)

    # -- setting up and undoing -------------------------------------------------------------

    def install(self) -> None:
        """Learn registry values, route every log to the scan; undone by ``uninstall``."""
        for cls in (RegistryRow, Person):
            self._learn_from(cls)
        self._tee_captured_events()
        self._tee_readouterr()
        root = logging.getLogger()
        root.addHandler(self._handler)
        self._undo.append(lambda: root.removeHandler(self._handler))
        # The access log is at INFO, below the root's level: kept here, and only here, so
        # that the logs pytest shows for a failed test stay as they were.
        access = logging.getLogger("aiohttp.access")
        level, propagate = access.level, access.propagate

        def restore_access_log() -> None:
            access.removeHandler(self._handler)
            access.setLevel(level)
            access.propagate = propagate

        access.setLevel(logging.INFO)
        access.propagate = False
        access.addHandler(self._handler)
        self._undo.append(restore_access_log)
        self.configure_structlog()

    def uninstall(self) -> None:
        """Put back everything ``install`` changed."""
        while self._undo:
            self._undo.pop()()
        structlog.reset_defaults()

    def configure_structlog(self) -> None:
        """structlog as in production (JSON, redacted), at every level, into the scan."""
        structlog.configure(
            processors=[*log_processors(), structlog.processors.JSONRenderer(ensure_ascii=False)],
            wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
            logger_factory=structlog.PrintLoggerFactory(file=self._tee),
            cache_logger_on_first_use=False,
        )

    def _learn_from(self, cls: type[Any]) -> None:
        original = cls.__init__
        scan = self

        def learning_init(obj: Any, *args: Any, **kwargs: Any) -> None:
            original(obj, *args, **kwargs)
            scan.learn(obj.national_id, obj.principal_id, obj.phone)

        setattr(cls, "__init__", learning_init)  # noqa: B010 (mypy refuses assigning a method)
        self._undo.append(lambda: setattr(cls, "__init__", original))

    def _tee_captured_events(self) -> None:
        """Events a test captures raw are also rendered as production would, and kept."""
        original = LogCapture.__call__
        scan = self
        processors = log_processors()
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)

        def capture(cap: LogCapture, logger: Any, method_name: str, event: Any) -> Any:
            copy: Any = dict(event)
            for processor in processors:
                copy = processor(logger, method_name, copy)
            scan.record("structlog", str(renderer(logger, method_name, copy)))
            return original(cap, logger, method_name, event)

        setattr(LogCapture, "__call__", capture)  # noqa: B010
        self._undo.append(lambda: setattr(LogCapture, "__call__", original))

    def _tee_readouterr(self) -> None:
        """What a test reads from ``capsys``/``capfd`` never reaches the report: keep its logs."""
        original = pytest.CaptureFixture.readouterr
        scan = self

        def readouterr(fixture: Any) -> Any:
            result = original(fixture)
            scan.record_stream("stderr", result.err)
            return result

        setattr(pytest.CaptureFixture, "readouterr", readouterr)  # noqa: B010
        self._undo.append(lambda: setattr(pytest.CaptureFixture, "readouterr", original))

    # -- pytest hooks -----------------------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.test = nodeid

    def pytest_runtest_logfinish(self) -> None:
        self.test = "(between tests)"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for title, content in report.sections:
            if "stderr" in title:
                self.record_stream("stderr", content, report.nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.test = "(session end)"
        self.hits = scan(self.lines, self.ids, self.phones)
        if self.hits:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.hits:
            if terminalreporter.verbosity > 0:
                terminalreporter.write_line(
                    f"privacy scan: {len(self.lines)} log lines, no national id of "
                    f"{len(self.ids)} nor phone of {len(self.phones)} found in clear"
                )
            return
        terminalreporter.write_sep("=", "privacy scan failed", red=True, bold=True)
        for line in report(self.hits):
            terminalreporter.write_line(line)


_ACTIVE: list[PrivacyScan] = []


def pytest_configure(config: pytest.Config) -> None:
    """Start collecting, for this session."""
    plugin = PrivacyScan()
    plugin.install()
    _ACTIVE.append(plugin)
    config.pluginmanager.register(plugin, "privacy-scan-session")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop collecting; put logging and the patched classes back."""
    if _ACTIVE:
        plugin = _ACTIVE.pop()
        plugin.uninstall()
        config.pluginmanager.unregister(plugin)


def record_output(text: str, source: str = "gateway process") -> None:
    """Hand over the log of a process a test ran (its JSON log lines are scanned)."""
    if _ACTIVE:
        _ACTIVE[-1].record_stream(source, text)


def restore_structlog() -> None:
    """After a test that configured structlog itself: back to the scan's set-up (or defaults)."""
    if _ACTIVE:
        _ACTIVE[-1].configure_structlog()
    else:
        structlog.reset_defaults()
