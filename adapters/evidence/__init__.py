"""Live evidence registries over HTTP: the student-certificate and the civil registry.

Each adapter reaches its registry through a ``JsonEndpoint`` built around an
``aiohttp.ClientSession`` from outside, so that tests can point it at a local fake server or
at a port nobody listens on. The contracts are in ``student`` and ``civil``.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from eligibility_gw.adapters.evidence.civil import HttpCivilRegistry
from eligibility_gw.adapters.evidence.student import HttpStudentRegistry
from eligibility_gw.adapters.evidence.transport import JsonEndpoint
from eligibility_gw.settings import EvidenceRegistrySettings, Settings

__all__ = [
    "HttpCivilRegistry",
    "HttpEvidence",
    "HttpStudentRegistry",
    "JsonEndpoint",
    "open_http_evidence",
]


@dataclass(frozen=True, slots=True)
class HttpEvidence:
    """The configured registries over one shared session; ``close`` releases it."""

    session: aiohttp.ClientSession
    student: HttpStudentRegistry | None
    civil: HttpCivilRegistry | None

    async def close(self) -> None:
        """Close the session's connections."""
        await self.session.close()


async def open_http_evidence(settings: Settings) -> HttpEvidence:
    """The registries ``[evidence.*]`` configures, each lookup cut to the inquiry deadline."""
    session = aiohttp.ClientSession()

    def endpoint(registry: EvidenceRegistrySettings) -> JsonEndpoint:
        token = settings.secret(registry.token_env) if registry.token_env else None
        timeout = min(registry.timeout, settings.server.lookup_timeout)
        return JsonEndpoint(registry.url, session, timeout, token)

    student, civil = settings.evidence.student, settings.evidence.civil
    return HttpEvidence(
        session,
        HttpStudentRegistry(endpoint(student)) if student else None,
        HttpCivilRegistry(endpoint(civil)) if civil else None,
    )
