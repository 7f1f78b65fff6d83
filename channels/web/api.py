"""The provider JSON API: single inquiries, recorded answers, batches."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import FileField

from eligibility_gw.appkeys import BATCHES, INQUIRIES, LIMITER, SETTINGS
from eligibility_gw.channels.web.auth import (
    active_provider,
    refusal_problem,
)
from eligibility_gw.channels.web.inputs import (
    FieldError,
    InquiryItem,
    invalid,
    media_type,
    parse_item,
    read_json,
)
from eligibility_gw.channels.web.negotiation import content_language, language_of
from eligibility_gw.channels.web.problems import UNAVAILABLE_RETRY_SECONDS, Problem
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.domain.errors import EligibilityError, QuotaExceeded, Refused, Unavailable
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.policy.quotas import QuotaScope
from eligibility_gw.ports import StoredBatch
from eligibility_gw.presenting import category_json, present, privileges_json
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

WEB_SETTINGS = web.AppKey("web_settings", WebSettings)
BATCH_CONCURRENCY = 64
CSV_FIELDS = (
    "index",
    "national_id",
    "tracking_code",
    "status",
    "service_date",
    "reason_codes",
    "reasons",
    "error_code",
    "error",
)


def answer_json(shown: Disclosure, w: Wording, pack: RulePack) -> dict[str, Any]:
    """An answer as the API gives it: the provider's view (a masked name, no member date)."""
    worded = present(shown, w, pack)
    return {
        "tracking_code": worded.tracking_code,
        "status": worded.status.value,
        "service_date": worded.service_date.isoformat(),
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "resolve_with": r.resolve_with,
                "resolve": r.resolve,
                "blocking": r.blocking,
            }
            for r in worded.reasons
        ],
        "member": {"name": worded.member_name, "relationship": worded.relationship}
        if worded.relationship
        else None,
        "rule_pack": worded.rule_pack,
        "asked_at": shown.asked_at.isoformat(),
        "category": category_json(worded),
        "privileges": privileges_json(worded),
    }


def wording_for(request: web.Request) -> Wording:
    """The caller's language (``Accept-Language`` among the configured ones)."""
    return Wording(language_of(request, request.config_dict[SETTINGS]))


def _domain_errors(exc: EligibilityError, w: Wording) -> list[FieldError]:
    return [FieldError(exc.field or "", exc.code, w.error(exc))]


def _worded_invalid(exc: EligibilityError, w: Wording) -> Problem:
    """The 422 for input the core refuses, worded in the caller's language (and saying so)."""
    problem = invalid(_domain_errors(exc, w), w.error(exc))
    problem.headers["Content-Language"] = content_language(w.language)
    return problem


async def ask_for(
    inquiries: Inquiries, provider: Provider, item: InquiryItem, channel: str = "web"
) -> Disclosure:
    """Ask on a provider's behalf, through the inquiry policy; refusals raise."""
    asker = Asker.for_provider(channel, provider)
    return await inquiries.ask(asker, item.national_id, item.service_date, item.setting)


def _json(data: Any, w: Wording, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers={"Content-Language": content_language(w.language)},
    )


async def post_inquiry(request: web.Request) -> web.Response:
    """Answer one inquiry."""
    ws = request.app[WEB_SETTINGS]
    provider = await active_provider(request)
    inquiries = request.config_dict[INQUIRIES]
    w = wording_for(request)
    item, errors = parse_item(await read_json(request, max_bytes=ws.max_body_bytes))
    if item is None:
        raise invalid(errors)
    try:
        shown = await ask_for(inquiries, provider, item)
    except Refused as exc:
        raise refusal_problem(exc, w, provider) from None
    except EligibilityError as exc:
        raise _worded_invalid(exc, w) from None
    return _json(answer_json(shown, w, inquiries.pack), w)


async def get_inquiry(request: web.Request) -> web.Response:
    """A recorded answer, only to the provider that asked for it."""
    provider = await active_provider(request)
    inquiries = request.config_dict[INQUIRIES]
    w = wording_for(request)
    try:
        code = TrackingCode.parse(request.match_info["code"])
    except EligibilityError as exc:
        raise _worded_invalid(exc, w) from None
    try:
        shown = await inquiries.recorded(Asker.for_provider("web", provider), code)
    except Refused as exc:
        raise refusal_problem(exc, w, provider) from None
    if shown is None:  # another's answer reads as one never given: codes are not probed
        raise Problem("not-found", "No answer under this tracking code was given to you.")
    return _json(answer_json(shown, w, inquiries.pack), w)


def _csv_items(text: str) -> list[Any]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise Problem("malformed-body", "The CSV is empty; a header row is required.") from None
    except csv.Error as exc:
        raise Problem("malformed-body", f"The CSV cannot be read: {exc}") from None
    if "national_id" not in header:
        raise Problem(
            "malformed-body",
            "The CSV header must name a national_id column "
            "(service_date and setting are optional).",
        )
    items: list[Any] = []
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            item = {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}
            items.append({k: v for k, v in item.items() if v != "" or k == "national_id"})
    except csv.Error as exc:
        raise Problem("malformed-body", f"The CSV cannot be read: {exc}") from None
    return items


async def _batch_items(request: web.Request) -> list[Any]:
    kind = media_type(request)
    if kind == "application/json":
        data = await read_json(request)
        if not isinstance(data, list):
            raise Problem(
                "invalid-input",
                "The batch must be a JSON array of inquiries.",
                errors=[
                    {
                        "field": "",
                        "code": "NOT_AN_ARRAY",
                        "detail": "The body must be a JSON array.",
                    }
                ],
            )
        return data
    if kind == "text/csv":
        raw = await request.read()
        return _csv_items(raw.decode("utf-8-sig", errors="strict"))
    if kind == "multipart/form-data":
        try:
            form = await request.post()
        except (ValueError, HttpProcessingError):  # no boundary, broken part headers
            raise Problem(
                "malformed-body",
                "The form upload cannot be read (a boundary is missing or a part is broken).",
            ) from None
        upload = form.get("file")
        if isinstance(upload, str):  # sent as a plain field (curl -F 'file=<x.csv')
            return _csv_items(upload)
        if not isinstance(upload, FileField):
            raise Problem(
                "invalid-input",
                "Attach the CSV as the form field 'file'.",
                errors=[{"field": "file", "code": "REQUIRED", "detail": "A CSV file is required."}],
            )
        return _csv_items(upload.file.read().decode("utf-8-sig", errors="strict"))
    raise Problem(
        "unsupported-media-type",
        "Send a JSON array (application/json) or a CSV (text/csv or a form upload).",
        accepted=["application/json", "text/csv", "multipart/form-data"],
    )


def _item_refusal(exc: EligibilityError, w: Wording) -> dict[str, Any]:
    """One batch item's refusal: the error as a single inquiry gets it, without the 4xx."""
    errors = _domain_errors(exc, w)
    refusal: dict[str, Any] = {"code": exc.code, "detail": w.error(exc)}
    if isinstance(exc, QuotaExceeded):
        if exc.scope != QuotaScope.ASKER:  # refused for this person, not for the batch
            errors = [FieldError("national_id", exc.code, w.error(exc))]
        refusal |= {"scope": exc.scope, "retry_after": exc.retry_after}
    return {**refusal, "errors": [e.as_json() for e in errors]}


def _item_unavailable(w: Wording) -> dict[str, Any]:
    seconds = UNAVAILABLE_RETRY_SECONDS
    detail = w.n("web.unavailable", seconds, seconds=w.digits(str(seconds)))
    return {
        "code": "UNAVAILABLE",
        "detail": detail,
        "retry_after": seconds,
        "errors": [FieldError("", "UNAVAILABLE", detail).as_json()],
    }


async def run_batch(
    inquiries: Inquiries,
    provider: Provider,
    items: list[Any],
    w: Wording,
    channel: str = "web",
) -> list[dict[str, Any]]:
    """Answer every item (each logged with its own code); refusals become item errors.

    The batch is one request against the provider's own budget; each item counts against
    the per-person quotas like any other inquiry, so items past one are refused one by one
    while the others are answered.
    """
    parsed = [parse_item(data) for data in items]
    asked = [(i, item) for i, (item, _) in enumerate(parsed) if item is not None]
    outcomes = await inquiries.ask_many(
        Asker.for_provider(channel, provider),
        [(item.national_id, item.service_date, item.setting) for _, item in asked],
        BATCH_CONCURRENCY,
    )
    by_index = {i: outcome for (i, _), outcome in zip(asked, outcomes, strict=True)}
    results: list[dict[str, Any]] = []
    for index, (data, (item, errors)) in enumerate(zip(items, parsed, strict=True)):
        national_id = data.get("national_id") if isinstance(data, dict) else None
        base: dict[str, Any] = {
            "index": index,
            "national_id": national_id if isinstance(national_id, str) else None,
        }
        outcome = by_index.get(index)
        if item is None or outcome is None:
            error = {
                "code": errors[0].code,
                "detail": errors[0].detail,
                "errors": [e.as_json() for e in errors],
            }
            results.append({**base, "error": error})
        elif isinstance(outcome, Unavailable):  # this item only: the others may be answered
            log.warning("batch_item_unavailable")
            results.append({**base, "error": _item_unavailable(w)})
        elif isinstance(outcome, EligibilityError):
            results.append({**base, "error": _item_refusal(outcome, w)})
        else:
            results.append({**base, **answer_json(outcome, w, inquiries.pack)})
    return results


def results_csv(results: list[dict[str, Any]]) -> str:
    """Batch results as CSV, one line per item."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for r in results:
        error = r.get("error") or {}
        reasons = r.get("reasons") or []
        writer.writerow(
            {
                "index": r["index"],
                "national_id": r.get("national_id") or "",
                "tracking_code": r.get("tracking_code", ""),
                "status": r.get("status", ""),
                "service_date": r.get("service_date", ""),
                "reason_codes": " ".join(x["code"] for x in reasons),
                "reasons": " | ".join(x["message"] for x in reasons),
                "error_code": error.get("code", ""),
                "error": error.get("detail", ""),
            }
        )
    return out.getvalue()


def _wants_csv(request: web.Request) -> bool:
    fmt = request.query.get("format")
    if fmt:
        if fmt not in ("csv", "json"):
            raise Problem("not-acceptable", "format must be json or csv.")
        return fmt == "csv"
    accept = request.headers.get("Accept", "")
    return "text/csv" in accept and "application/json" not in accept


def _batch_response(request: web.Request, batch: StoredBatch, w: Wording) -> web.Response:
    results = json.loads(batch.results_json)
    if _wants_csv(request):
        return web.Response(
            text=results_csv(results),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="batch-{batch.batch_id}.csv"'},
        )
    answered = sum(1 for r in results if "tracking_code" in r)
    body = {
        "batch_id": batch.batch_id,
        "created_at": batch.created_at.isoformat(),
        "count": batch.item_count,
        "answered": answered,
        "refused": batch.item_count - answered,
        "links": {
            "json": f"/api/v1/batches/{batch.batch_id}?format=json",
            "csv": f"/api/v1/batches/{batch.batch_id}?format=csv",
        },
        "results": results,
    }
    return _json(body, w)


async def _within_batch_rate(request: web.Request, provider: Provider, w: Wording) -> None:
    """Count one batch against ``batches_per_hour``; a 429 problem (Retry-After) when over."""
    ws = request.app[WEB_SETTINGS]
    hit = await request.config_dict[LIMITER].hit(
        "web-batch", provider.provider_id, ws.batches_per_hour, 3600
    )
    if not hit.allowed:
        detail = w.t(
            "web.rate_limited.batches",
            limit=w.digits(str(hit.limit)),
            seconds=w.digits(str(hit.retry_after)),
        )
        raise Problem(
            "rate-limited", detail, {"Retry-After": str(hit.retry_after)}, scope="batches"
        )


async def post_batch(request: web.Request) -> web.Response:
    """Answer up to ``batch_max_items`` inquiries; keep the results for download."""
    ws = request.app[WEB_SETTINGS]
    provider = await active_provider(request)
    w = wording_for(request)
    await _within_batch_rate(request, provider, w)
    _wants_csv(request)  # an unknown format is refused before any inquiry is answered
    try:
        items = await _batch_items(request)
    except UnicodeDecodeError:
        raise Problem("malformed-body", "The CSV is not valid UTF-8.") from None
    if len(items) > ws.batch_max_items:
        raise Problem(
            "payload-too-large",
            f"A batch holds at most {ws.batch_max_items} inquiries, not {len(items)}.",
            max_items=ws.batch_max_items,
        )
    if not items:
        raise Problem(
            "invalid-input",
            "The batch is empty.",
            errors=[{"field": "", "code": "EMPTY", "detail": "No inquiries."}],
        )
    try:
        results = await run_batch(request.config_dict[INQUIRIES], provider, items, w)
    except Refused as exc:  # the batch as a whole: the provider's own budget, its standing
        raise refusal_problem(exc, w, provider) from None
    batch = StoredBatch(
        secrets.token_urlsafe(12),
        provider.provider_id,
        datetime.now(UTC),
        len(items),
        json.dumps(results, ensure_ascii=False),
    )
    await request.config_dict[BATCHES].save(batch)
    return _batch_response(request, batch, w)


async def get_batch(request: web.Request) -> web.Response:
    """A stored batch, as JSON or CSV, only for the provider that sent it.

    Not counted: it holds answers already given (and counted), under an id only its
    provider was told.
    """
    provider = await active_provider(request)
    w = wording_for(request)
    batch = await request.config_dict[BATCHES].get(
        request.match_info["batch_id"], provider.provider_id
    )
    if batch is None:
        raise Problem("not-found", "No such batch of yours.")
    return _batch_response(request, batch, w)
