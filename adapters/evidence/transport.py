"""One JSON lookup over HTTP: POST a question, read a bounded JSON answer within a timeout.

Anything but a ``200`` with a JSON body in time becomes ``EvidenceUnavailable``. Its
``problem`` names what went wrong (``timeout``, ``status 500``, ``malformed: ...``) and never
quotes the question or the answer: both hold personal data.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp

from eligibility_gw.ports import EvidenceUnavailable

#: The largest answer read; a registry's answer about one person is far smaller.
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class JsonEndpoint:
    """A registry's lookup URL, reached through a session the caller owns and closes."""

    url: str
    session: aiohttp.ClientSession
    timeout: float
    token: str | None = None

    async def ask(self, question: Mapping[str, str]) -> Any:
        """POST ``question`` as JSON; the decoded JSON answer, or ``EvidenceUnavailable``."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            async with asyncio.timeout(self.timeout):
                async with self.session.post(
                    self.url, json=dict(question), headers=headers, allow_redirects=False
                ) as resp:
                    if resp.status != 200:
                        raise EvidenceUnavailable(f"status {resp.status}")
                    body = await _read_bounded(resp)
        except TimeoutError as exc:
            raise EvidenceUnavailable("timeout") from exc
        except aiohttp.ClientError as exc:
            raise EvidenceUnavailable(f"transport: {type(exc).__name__}") from exc
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise EvidenceUnavailable("malformed: not JSON") from exc


async def _read_bounded(resp: aiohttp.ClientResponse) -> bytes:
    body = bytearray()
    async for chunk in resp.content.iter_any():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise EvidenceUnavailable("malformed: answer too large")
    return bytes(body)


def answer_object(data: Any, national_id: str) -> Mapping[str, Any]:
    """The answer as a JSON object that echoes the id asked about."""
    if not isinstance(data, dict):
        raise EvidenceUnavailable("malformed: not a JSON object")
    if data.get("national_id") != national_id:
        raise EvidenceUnavailable("malformed: national_id does not echo the question")
    return data


def optional_date(data: Mapping[str, Any], key: str) -> date | None:
    """An ISO date field that may be null or absent."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise EvidenceUnavailable(f"malformed: {key} is not a date")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise EvidenceUnavailable(f"malformed: {key} is not a date") from exc
