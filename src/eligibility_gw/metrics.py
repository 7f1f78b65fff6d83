"""Prometheus metrics: answers by channel and status, answer latency, HTTP requests by route.

Labels never carry personal data: channels, statuses and route templates only.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from eligibility_gw.ports.messages import (
    OutboundSms,
    SmsRecords,
    StatusEvent,
    UnaskedCheckReport,
    status_rank,
)

ANSWERS = Counter(
    "eligibility_answers_total",
    "Answers given (each logged with a tracking code)",
    ["channel", "status"],
)
ANSWER_SECONDS = Histogram(
    "eligibility_answer_seconds",
    "Time to answer an inquiry, logging included",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
SHED = Counter("eligibility_shed_total", "Requests refused because the gateway was at capacity")

EVIDENCE_LOOKUPS = Counter(
    "eligibility_evidence_lookups_total",
    "Lookups in live evidence registries by registry and outcome (answered, unavailable)",
    ["registry", "outcome"],
)


STATE_KEYS = Gauge(
    "eligibility_state_keys",
    "Keys held by the in-memory state store (USSD sessions, de-duplication keys, rate-limit"
    " counters); with the state in Redis, the keys this process kept while Redis was"
    " unavailable (0 when it never was)",
)

DEPENDENCY_UP = Gauge(
    "eligibility_dependency_up",
    "1 while a dependency answers, 0 while it does not (store: the registry and answer log;"
    " state: the shared state store, Redis). Without the store no answer can be given;"
    " without the state the gateway answers on its own, degraded",
    ["dependency"],
)

STATE_FALLBACKS = Counter(
    "eligibility_state_fallbacks_total",
    "Calls to the shared state store answered by this process's own state instead, because"
    " the shared one was unavailable, by operation",
    ["operation"],
)


#: The labelled series each answer and request updates, found once per label set: a
#: ``labels()`` call takes the metric's lock and builds its key on every call, which the
#: answer path paid four times per request. Label sets are few (channels, statuses, route
#: templates), so these stay small.
_ANSWER_SERIES: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
_REQUEST_SERIES: dict[tuple[str, str, str, str], tuple[Counter, Histogram]] = {}


def observe_answer(channel: str, status: str, seconds: float) -> None:
    """Count one answer and its latency."""
    series = _ANSWER_SERIES.get((channel, status))
    if series is None:
        series = (ANSWERS.labels(channel, status), ANSWER_SECONDS.labels(channel))
        _ANSWER_SERIES[(channel, status)] = series
    series[0].inc()
    series[1].observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


REQUESTS = Counter(
    "eligibility_requests_total",
    "HTTP requests by route template, method, status class (2xx…5xx, or cancelled when the"
    " client went away) and channel; refusals included: 4xx, 413 before the body is read,"
    " 503 when shed. Unmatched paths are counted under route 'unmatched'",
    ["route", "method", "status_class", "channel"],
)
REQUEST_SECONDS = Histogram(
    "eligibility_request_seconds",
    "Time from a request's arrival to its answer, by channel",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SMS_DELIVERIES = Counter(
    "eligibility_sms_deliveries_total",
    "Outbound SMS by the first final delivery status Twilio reported for them (delivered,"
    " undelivered, failed…), by purpose (check notices, dispute outcomes…)",
    ["purpose", "status"],
)
#: Ranks from which a delivery status is final (``ports.messages.STATUS_ORDER``).
FINAL_RANK = 4
#: HTTP methods counted by name; any other is counted as "other" (labels stay few).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(
    route: str, method: str, status: int | None, channel: str, seconds: float
) -> None:
    """Count one HTTP request (``status`` None: the client went away first) and its time."""
    status_class = "cancelled" if status is None else f"{status // 100}xx"
    key = (route, method if method in _METHODS else "other", status_class, channel)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = (REQUESTS.labels(*key), REQUEST_SECONDS.labels(channel))
        _REQUEST_SERIES[key] = series
    series[0].inc()
    series[1].observe(seconds)


class CountedDeliveries:
    """The SMS records, counting each outbound message when it first reaches a final status.

    Twilio may post a status more than once, and late: the count moves only when the stored
    status moves into a final one, so a repeated or late callback counts nothing.
    """

    def __init__(self, records: SmsRecords) -> None:
        self._records = records

    async def record_status(self, event: StatusEvent) -> bool:
        """Keep a status callback; count the message when it became final with it."""
        before = await self._records.outbound(event.message_sid)
        known = await self._records.record_status(event)
        if known and (before is None or status_rank(before.status) < FINAL_RANK):
            after = await self._records.outbound(event.message_sid)
            if after is not None and status_rank(after.status) >= FINAL_RANK:
                SMS_DELIVERIES.labels(after.purpose, after.status).inc()
        return known

    async def record_sent(self, message: OutboundSms) -> None:
        """Keep a message Twilio accepted."""
        await self._records.record_sent(message)

    async def outbound(self, message_sid: str) -> OutboundSms | None:
        """One outbound message."""
        return await self._records.outbound(message_sid)

    async def status_events(self, message_sid: str) -> list[StatusEvent]:
        """A message's status callbacks, in the order received."""
        return await self._records.status_events(message_sid)

    async def latest_outbound(
        self, to_phone: str, purpose: str, since: datetime
    ) -> OutboundSms | None:
        """The newest message of ``purpose`` sent to ``to_phone`` since ``since``."""
        return await self._records.latest_outbound(to_phone, purpose, since)

    async def add_report(self, report: UnaskedCheckReport) -> bool:
        """Keep a report of an unasked check."""
        return await self._records.add_report(report)

    async def reports(self, limit: int = 100) -> list[UnaskedCheckReport]:
        """The latest reports, newest first."""
        return await self._records.reports(limit)

    async def report(self, inbound_sid: str) -> UnaskedCheckReport | None:
        """The report one inbound message made."""
        return await self._records.report(inbound_sid)

    async def count_reports(self, since: datetime) -> int:
        """How many reports came since ``since``."""
        return await self._records.count_reports(since)

    async def close(self) -> None:
        """Release connections."""
        await self._records.close()
