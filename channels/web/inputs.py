"""Read request bodies: JSON objects and inquiry items, refusing with field-level reasons."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

from eligibility_gw.channels.web.problems import Problem


@dataclass(frozen=True, slots=True)
class InquiryItem:
    """One inquiry as sent: the id as typed, an optional date, a setting."""

    national_id: str
    service_date: date | None
    setting: str


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one field was refused."""

    field: str
    code: str
    detail: str

    def as_json(self) -> dict[str, str]:
        """Plain JSON data."""
        return {"field": self.field, "code": self.code, "detail": self.detail}


def invalid(errors: list[FieldError], detail: str = "The inquiry has invalid fields.") -> Problem:
    """A 422 problem naming each field."""
    return Problem("invalid-input", detail, errors=[e.as_json() for e in errors])


def media_type(request: web.Request) -> str:
    """The request's media type without parameters, lower case."""
    return request.content_type.lower()


async def read_json(
    request: web.Request,
    accepted: tuple[str, ...] = ("application/json",),
    max_bytes: int | None = None,
) -> Any:
    """Parse the body as JSON of an accepted media type (415 otherwise, 400 when broken)."""
    if media_type(request) not in accepted:
        raise Problem(
            "unsupported-media-type",
            f"Send the body as {' or '.join(accepted)}.",
            accepted=list(accepted),
        )
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        raise Problem("payload-too-large", f"The body may hold at most {max_bytes} bytes.")
    raw = await request.read()
    if max_bytes is not None and len(raw) > max_bytes:
        raise Problem("payload-too-large", f"The body may hold at most {max_bytes} bytes.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Problem("malformed-body", "The body is not valid UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise Problem(
            "malformed-body",
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).",
        ) from None
    except ValueError:  # a number of more digits than Python converts (4300)
        raise Problem("malformed-body", "The body holds a number too long to read.") from None
    except RecursionError:
        raise Problem("malformed-body", "The body nests too deeply.") from None
    if holds_lone_surrogate(raw, data):
        raise Problem("malformed-body", LONE_SURROGATE)
    return data


LONE_SURROGATE = "The body escapes a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text."


def holds_lone_surrogate(raw: bytes, data: Any) -> bool:
    """Say whether JSON parsed from ``raw`` holds a lone surrogate such as ``"\\ud800"``.

    ``json`` accepts the escape, but no UTF-8 text (a log row, a response) can hold it:
    refused at the door rather than failing later. Only an escape can bring one in.
    """
    if b"\\u" not in raw:
        return False
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_item(data: Any) -> tuple[InquiryItem | None, list[FieldError]]:
    """Read one inquiry object; collect every field error at once."""
    if not isinstance(data, dict):
        return None, [FieldError("", "NOT_AN_OBJECT", "Each inquiry must be a JSON object.")]
    errors: list[FieldError] = []
    nid = data.get("national_id")
    if not isinstance(nid, str):
        errors.append(
            FieldError(
                "national_id",
                "REQUIRED" if nid is None else "NOT_A_STRING",
                "national_id is required, as a string of digits.",
            )
        )
    elif len(nid) > 64:
        errors.append(FieldError("national_id", "INVALID_NATIONAL_ID", "national_id is too long."))
    raw_date = data.get("service_date")
    day: date | None = None
    if raw_date is not None:
        if not isinstance(raw_date, str):
            errors.append(
                FieldError(
                    "service_date", "INVALID_DATE", "service_date must be a string YYYY-MM-DD."
                )
            )
        else:
            try:
                day = date.fromisoformat(raw_date)
                if len(raw_date) != 10:
                    raise ValueError(raw_date)
            except ValueError:
                errors.append(
                    FieldError(
                        "service_date", "INVALID_DATE", "service_date must be a date YYYY-MM-DD."
                    )
                )
    setting = data.get("setting", "outpatient")
    if not isinstance(setting, str):
        errors.append(FieldError("setting", "INVALID_SETTING", "setting must be a string."))
        setting = "outpatient"
    if errors:
        return None, errors
    assert isinstance(nid, str)
    return InquiryItem(nid, day, setting), []
