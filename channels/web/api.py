"""The provider JSON API: single inquiries, recorded answers, batches."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import FileField

from eligibility_gw.appkeys import CORE
from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.web.auth import (
    active_provider,
    national_id_decision,
    national_id_refusal,
    national_id_within_rate,
    within_rate,
)
from eligibility_gw.channels.web.inputs import (
    FieldError,
    InquiryItem,
    invalid,
    media_type,
    parse_item,
    read_json,
)
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.problems import Problem
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.ports import StoredBatch
from eligibility_gw.presenting import Audience, present
from eligibility_gw.service import Asker
from eligibility_gw.wording import Wording

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


def answer_json(record: AnswerRecord, w: Wording, core: Core) -> dict[str, Any]:
    """The provider's view of an answer (never the cover end date, a masked name)."""
    shown = present(record, w, core.pack, Audience.PROVIDER)
    return {
        "tracking_code": shown.tracking_code,
        "status": shown.status.value,
        "service_date": shown.service_date.isoformat(),
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "resolve_with": r.resolve_with,
                "resolve": r.resolve,
                "blocking": r.blocking,
            }
            for r in shown.reasons
        ],
        "member": {"name": shown.member_name, "relationship": shown.relationship}
        if shown.relationship
        else None,
        "rule_pack": shown.rule_pack,
        "asked_at": record.created_at.isoformat(),
    }


def _domain_errors(exc: EligibilityError, w: Wording) -> list[FieldError]:
    return [FieldError(exc.field or "", exc.code, w.error(exc))]


async def answer_item(
    core: Core, provider: Provider, item: InquiryItem, channel: str = "web"
) -> AnswerRecord:
    """Ask the core on a provider's behalf; domain refusals propagate."""
    answer = await core.service.ask(
        item.national_id,
        Asker(channel, "provider", provider.provider_id),
        item.service_date,
        item.setting,
    )
    return answer.record


def _json(request: web.Request, data: Any, w: Wording, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json",
        headers={"Content-Language": w.language},
    )


async def post_inquiry(request: web.Request) -> web.Response:
    """Answer one inquiry."""
    ws = request.app[WEB_SETTINGS]
    provider = await active_provider(request)
    await within_rate(request, "web-provider", provider, ws.requests_per_minute, 60)
    core = request.config_dict[CORE]
    w = Wording(language_of(request, core.settings))
    item, errors = parse_item(await read_json(request, max_bytes=ws.max_body_bytes))
    if item is None:
        raise invalid(errors)
    await national_id_within_rate(request, ws, item.national_id)
    try:
        record = await answer_item(core, provider, item)
    except EligibilityError as exc:
        raise invalid(_domain_errors(exc, w), w.error(exc)) from None
    return _json(request, answer_json(record, w, core), w)


async def get_inquiry(request: web.Request) -> web.Response:
    """A recorded answer, only to the provider that asked for it."""
    provider = await active_provider(request)
    ws = request.app[WEB_SETTINGS]
    await within_rate(request, "web-provider", provider, ws.requests_per_minute, 60)
    core = request.config_dict[CORE]
    w = Wording(language_of(request, core.settings))
    try:
        code = TrackingCode.parse(request.match_info["code"])
    except EligibilityError as exc:
        raise invalid(_domain_errors(exc, w), w.error(exc)) from None
    record = await core.service.recorded(code)
    if (
        record is None
        or record.draft.asker_kind != "provider"
        or record.draft.asker_id != provider.provider_id
    ):
        raise Problem("not-found", "No answer under this tracking code was given to you.")
    return _json(request, answer_json(record, w, core), w)


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


async def run_batch(
    core: Core,
    provider: Provider,
    items: list[Any],
    w: Wording,
    ws: WebSettings,
    channel: str = "web",
) -> list[dict[str, Any]]:
    """Answer every item (each logged with its own code); refusals become item errors."""
    semaphore = asyncio.Semaphore(BATCH_CONCURRENCY)

    async def one(index: int, data: Any) -> dict[str, Any]:
        item, errors = parse_item(data)
        national_id = data.get("national_id") if isinstance(data, dict) else None
        base: dict[str, Any] = {
            "index": index,
            "national_id": national_id if isinstance(national_id, str) else None,
        }
        if item is None:
            return {
                **base,
                "error": {
                    "code": errors[0].code,
                    "detail": errors[0].detail,
                    "errors": [e.as_json() for e in errors],
                },
            }
        decision = await national_id_decision(core, ws, item.national_id)
        if decision is not None and not decision.allowed:
            refusal = FieldError("national_id", "RATE_LIMITED", national_id_refusal(w, decision))
            return {
                **base,
                "error": {
                    "code": refusal.code,
                    "detail": refusal.detail,
                    "errors": [refusal.as_json()],
                },
            }
        async with semaphore:
            try:
                record = await answer_item(core, provider, item, channel)
            except EligibilityError as exc:
                return {
                    **base,
                    "error": {
                        "code": exc.code,
                        "detail": w.error(exc),
                        "errors": [e.as_json() for e in _domain_errors(exc, w)],
                    },
                }
        return {**base, **answer_json(record, w, core)}

    return list(await asyncio.gather(*(one(i, d) for i, d in enumerate(items))))


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
    return _json(request, body, w)


async def post_batch(request: web.Request) -> web.Response:
    """Answer up to ``batch_max_items`` inquiries; keep the results for download."""
    ws = request.app[WEB_SETTINGS]
    provider = await active_provider(request)
    await within_rate(request, "web-batch", provider, ws.batches_per_hour, 3600)
    _wants_csv(request)  # an unknown format is refused before any inquiry is answered
    core = request.config_dict[CORE]
    w = Wording(language_of(request, core.settings))
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
    results = await run_batch(core, provider, items, w, ws)
    batch = StoredBatch(
        secrets.token_urlsafe(12),
        provider.provider_id,
        datetime.now(UTC),
        len(items),
        json.dumps(results, ensure_ascii=False),
    )
    await core.store.batches.save(batch)
    return _batch_response(request, batch, w)


async def get_batch(request: web.Request) -> web.Response:
    """A stored batch, as JSON or CSV, only for the provider that sent it."""
    provider = await active_provider(request)
    ws = request.app[WEB_SETTINGS]
    await within_rate(request, "web-provider", provider, ws.requests_per_minute, 60)
    core = request.config_dict[CORE]
    w = Wording(language_of(request, core.settings))
    batch = await core.store.batches.get(request.match_info["batch_id"], provider.provider_id)
    if batch is None:
        raise Problem("not-found", "No such batch of yours.")
    return _batch_response(request, batch, w)
