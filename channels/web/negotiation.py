"""Read what the caller prefers: language from ``Accept-Language``."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.settings import Settings
from eligibility_gw.wording import available_languages


def language_of(request: web.Request, settings: Settings, override: str | None = None) -> str:
    """The best configured language for the caller (``override`` first, if offered)."""
    offered = [lang for lang in settings.gateway.languages if lang in available_languages()]
    if override and override in offered:
        return override
    header = request.headers.get("Accept-Language", "")
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        q = 1.0
        for p in pieces[1:]:
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        base = tag.split("-")[0]
        if q > 0 and base in offered:
            ranked.append((-q, i, base))
    if ranked:
        return min(ranked)[2]
    return offered[0] if offered else settings.default_language
