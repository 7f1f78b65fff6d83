"""Outbound SMS through Twilio's async client: a deadline per attempt, retries, status callbacks.

The ``SmsSender`` the core sends check notices, dispute outcomes and reminders through. The
Twilio client and its HTTP session are created when the gateway opens and closed when it
closes; sending never blocks the event loop (no sync ``create()``). Every accepted message is
kept in ``SmsRecords`` with its delivery status, which Twilio's callbacks move on.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import structlog
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from eligibility_gw.ports.messages import OutboundSms, SmsRecords
from eligibility_gw.ports.outbound import SentSms, SmsNotConfigured, SmsSendError
from eligibility_gw.settings import TwilioSettings

log = structlog.get_logger(__name__)

#: HTTP statuses after which Twilio did not take the message and a retry may succeed.
TWILIO_API_BASE = TwilioSettings().api_base_url
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Twilio's client logs every request at INFO through the stdlib; keep only its problems.
_TWILIO_LOGGER = logging.getLogger("eligibility_gw.twilio")
_TWILIO_LOGGER.setLevel(logging.WARNING)


class TwilioTransport:
    """Twilio's ``AsyncTwilioHttpClient`` re-based onto ``api_base_url``.

    Twilio's client hands Basic credentials as a tuple, which the HTTP client turns into
    aiohttp's deprecated ``BasicAuth``; the header is built here instead.
    """

    is_async = True

    def __init__(self, inner: Any, api_base_url: str) -> None:
        self.inner = inner
        self.api_base_url = api_base_url.rstrip("/")

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (Twilio's client interface)
        allow_redirects: bool = False,
    ) -> Any:
        """Send one request of Twilio's client."""
        if self.api_base_url != TWILIO_API_BASE:
            # Any Twilio host (regions and edges from TWILIO_REGION/TWILIO_EDGE included).
            parts = urlsplit(uri)
            if parts.hostname and parts.hostname.endswith("twilio.com"):
                uri = self.api_base_url + urlunsplit(("", "", *parts[2:]))
        headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return await self.inner.request(
            method,
            uri,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.inner.close()


def _transient(exc: BaseException) -> tuple[bool, int | None, int | None]:
    """Whether a retry may succeed, and the HTTP status and Twilio code when known."""
    if isinstance(exc, TimeoutError | aiohttp.ClientError):
        return True, None, None
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    status = status if isinstance(status, int) else None
    code = code if isinstance(code, int) else None
    return status in TRANSIENT_STATUSES, status, code


class TwilioNotifier:
    """Send SMS through Twilio and record them (the core's ``SmsSender``)."""

    def __init__(
        self,
        settings: TwilioSettings,
        status_callback: str,
        auth_token: str | None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.status_callback = status_callback
        self._auth_token = auth_token
        self._sleep = sleep
        self._transport: TwilioTransport | None = None
        self._client: Any = None
        self._records: SmsRecords | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ready(self) -> bool:
        """Say whether messages can be sent."""
        return self._client is not None

    async def start(self, records: SmsRecords) -> None:
        """Create Twilio's async HTTP client and REST client (inside the running loop)."""
        self._records = records
        s = self.settings
        if not (s.configured_for_sending and self._auth_token):
            log.info("sms_outbound_disabled", reason="no account, sender or auth token")
            return
        inner = AsyncTwilioHttpClient(logger=_TWILIO_LOGGER)
        self._transport = TwilioTransport(inner, s.api_base_url)
        self._client = Client(s.account_sid, self._auth_token, http_client=self._transport)

    async def close(self) -> None:
        """Let queued sends finish (within their deadline), then close the HTTP session."""
        await self.drain()
        self._client = None
        if self._transport is not None:
            await self._transport.close()
            self._transport = None

    async def drain(self) -> None:
        """Wait for messages queued with ``send_later``."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def send(self, to: str, body: str, purpose: str, reference: str | None = None) -> SentSms:
        """Hand one SMS to Twilio, retrying transient failures; record it once accepted."""
        client = self._client
        if client is None:
            raise SmsNotConfigured("outbound SMS is not configured")
        s = self.settings
        kwargs: dict[str, Any] = {"to": to, "body": body, "status_callback": self.status_callback}
        if s.messaging_service_sid:
            kwargs["messaging_service_sid"] = s.messaging_service_sid
        if s.from_number:
            kwargs["from_"] = s.from_number
        delay = s.retry_backoff_ms / 1000
        for attempt in range(1, s.send_attempts + 1):
            try:
                async with asyncio.timeout(s.send_timeout_ms / 1000):
                    message = await client.messages.create_async(**kwargs)
            except (TwilioException, aiohttp.ClientError, TimeoutError) as exc:
                transient, status, code = _transient(exc)
                log.warning(
                    "sms_send_attempt_failed",
                    purpose=purpose,
                    attempt=attempt,
                    http_status=status,
                    twilio_code=code,
                    error=type(exc).__name__,
                )
                if not transient or attempt == s.send_attempts:
                    raise SmsSendError(
                        f"Twilio did not take the message ({type(exc).__name__})",
                        status=status,
                        code=code,
                    ) from exc
                await self._sleep(delay)
                delay *= 2
                continue
            sent = SentSms(str(message.sid), str(message.status or "queued"), attempt)
            await self._record(sent, to, purpose, reference)
            log.info("sms_sent", purpose=purpose, message_sid=sent.message_sid, attempts=attempt)
            return sent
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _record(self, sent: SentSms, to: str, purpose: str, reference: str | None) -> None:
        if self._records is None:
            return
        now = datetime.now(UTC)
        message = OutboundSms(
            sent.message_sid, to, purpose, reference, sent.status, sent.attempts, now, now
        )
        try:
            await self._records.record_sent(message)
        except Exception as exc:  # sent is sent: a lost record must not fail the caller
            log.error("sms_record_failed", message_sid=sent.message_sid, error=type(exc).__name__)

    def send_later(self, to: str, body: str, purpose: str, reference: str | None = None) -> None:
        """Send in the background (a webhook answers without waiting); failures are logged."""

        async def run() -> None:
            try:
                await self.send(to, body, purpose, reference)
            except SmsSendError as exc:
                log.warning("sms_send_failed", purpose=purpose, error=str(exc))

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
