"""Read what the caller prefers: language from ``Accept-Language`` (decided by the core)."""

from __future__ import annotations

import functools

from aiohttp import web

from eligibility_gw.appkeys import LANGUAGES
from eligibility_gw.languages import Languages
from eligibility_gw.settings import Settings

#: The response header naming the language of what a person reads in the body.
CONTENT_LANGUAGE = "Content-Language"


@functools.lru_cache(maxsize=16)
def _offered(configured: tuple[str, ...]) -> Languages:
    """The deployment's languages without a store of preferences (apps without a gateway)."""
    return Languages(None, configured)


def languages_of(request: web.Request, settings: Settings) -> Languages:
    """The gateway's languages, or those the settings offer when no gateway is attached."""
    return request.config_dict.get(LANGUAGES) or _offered(tuple(settings.gateway.languages))


def language_of(request: web.Request, settings: Settings, override: str | None = None) -> str:
    """The best offered language for the caller: ``override`` first when offered, then the
    ``Accept-Language`` header with its weights (``pt-BR;q=0.9`` finds ``pt_BR``, ``*``
    any), then the deployment's default."""
    languages = languages_of(request, settings)
    chosen = languages.offered_tag(override)
    if chosen is not None:
        return chosen
    return languages.negotiate(request.headers.get("Accept-Language", ""))


def content_language(language: str) -> str:
    """A catalog's name as a language tag for ``Content-Language`` (``pt_BR``: ``pt-BR``)."""
    return language.replace("_", "-")
