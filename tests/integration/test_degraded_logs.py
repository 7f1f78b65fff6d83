"""Every log line stays one JSON object, aiohttp's own included.

Before issue #22 a request aiohttp cannot parse (a NUL in a header) wrote "Error handling
request" and a multi-line Python traceback into the JSON log of ``serve``: stdlib logging
went around structlog. Now stdlib records are rendered by the same processors, one object a
line; a malformed request (the client's fault, already answered 400) is one short warning.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.http_exceptions import BadHttpMessage

from eligibility_gw.logs import configure_logging, pseudonym
from tests.integration.degraded_support import free_port
from tests.privacy_scan import record_output

#: A number no registry of the suite holds (a fictional one): what aiohttp may quote.
PHONE = "+15555550123"


def json_lines(text: str) -> list[dict[str, object]]:
    """Every line of ``text`` as a JSON object; fails on a line that is not one."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        data = json.loads(line)  # a traceback line would fail here
        assert isinstance(data, dict), line
        lines.append(data)
    return lines


@pytest.fixture(autouse=True)
def _root_handlers_as_before() -> Iterator[None]:
    """Take away the handler ``configure_logging`` puts on the root logger."""
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)


def test_stdlib_errors_are_one_json_object_each(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    configure_logging("info", "json")  # configuring again does not double the lines
    server = logging.getLogger("aiohttp.server")
    try:
        raise BadHttpMessage(f"Invalid header value char:\n\n  b'X-A: a\\x00 {PHONE}'\n   ^")
    except BadHttpMessage:
        server.exception("Error handling request from %s", "127.0.0.1")
    try:
        raise RuntimeError(f"a bug of ours, holding {PHONE}")
    except RuntimeError:
        logging.getLogger("asyncio").exception("Task exception was never retrieved")
    logging.getLogger("aiohttp.access").info("below the root's level: not shown")
    err = capsys.readouterr().err
    bad, bug = json_lines(err)
    assert bad["event"] == "bad_http_request"
    assert bad["logger"] == "aiohttp.server"
    assert bad["level"] == "warning"
    assert bad["status"] == 400
    assert bad["problem"] == "Invalid header value char"
    assert "exception" not in bad
    # Our own failures keep their traceback: as one field of the one line, scrubbed.
    assert bug["level"] == "error"
    assert bug["logger"] == "asyncio"
    assert "RuntimeError: a bug of ours" in str(bug["exception"])
    assert "\n" in str(bug["exception"])
    assert pseudonym(PHONE) in str(bug["exception"])
    assert PHONE[1:] not in err


async def test_serve_logs_a_malformed_request_as_one_line(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[store]
url = "memory://"
[server]
host = "127.0.0.1"
port = {port}
[logging]
format = "json"
""",
        encoding="utf-8",
    )
    err_path = tmp_path / "serve.err"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELIGIBILITY_GW_")}
    with err_path.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eligibility_gw",
            "serve",
            "--config",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        for raw in (
            f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b {PHONE}\r\n\r\n".encode(),
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        ):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(raw)
            await writer.drain()
            answer = await reader.read(4096)
            writer.close()
            assert answer.startswith(b"HTTP/1.")
            assert b" 400 " in answer.split(b"\r\n")[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    said = err_path.read_text(encoding="utf-8")
    record_output(said, "serve (malformed requests)")
    lines = json_lines(said)
    bad = [e for e in lines if e["event"] == "bad_http_request"]
    assert len(bad) == 2, said
    assert all(e["level"] == "warning" and e["status"] == 400 for e in bad)
    assert "Traceback" not in said
    assert PHONE[1:] not in said
