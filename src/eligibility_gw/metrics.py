"""Prometheus metrics: answers by channel and status, answer latency, HTTP requests by route.

Labels never carry personal data: channels, statuses and route templates only.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

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
HTTP_REQUESTS = Counter(
    "eligibility_http_requests_total",
    "HTTP requests by route template and status",
    ["route", "method", "status"],
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
    " counters); 0 when the state is kept in Redis",
)


def observe_answer(channel: str, status: str, seconds: float) -> None:
    """Count one answer and its latency."""
    ANSWERS.labels(channel, status).inc()
    ANSWER_SECONDS.labels(channel).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
