"""The civil registry over HTTP: a person's registered birth and marital status.

The contract, one POST per lookup (JSON, UTF-8)::

    POST {url}
    Accept: application/json
    Authorization: Bearer {token}          when [evidence.civil] token_env names one

    {"national_id": "1000000095", "date": "2026-11-23"}

    200 OK
    {"national_id": "1000000095", "birth_registered": true, "marital_status": "single"}

``date`` is the service date asked about. ``birth_registered`` says whether the registry
holds the person's birth record (the electronic stand-in for the original birth certificate;
false for a person it does not know). ``marital_status`` is one of ``single``, ``married``,
``divorced``, ``widowed`` as of that date, or null when the registry does not hold it.
``national_id`` echoes the question. Anything else (another status, a body that is not such
an object, another id, no answer within the timeout) means the registry cannot answer:
``EvidenceUnavailable``. The id travels in the body, never in the URL.
"""

from __future__ import annotations

from datetime import date

from eligibility_gw.adapters.evidence.transport import JsonEndpoint, answer_object
from eligibility_gw.domain.evidence import CivilRecord
from eligibility_gw.domain.model import MaritalStatus
from eligibility_gw.ports import EvidenceUnavailable


class HttpCivilRegistry:
    """``CivilRegistry`` over HTTP; the endpoint carries the session, URL and timeout."""

    def __init__(self, endpoint: JsonEndpoint) -> None:
        self.endpoint = endpoint

    async def civil_record(self, national_id: str, day: date) -> CivilRecord:
        """The person's birth record and marital status, or ``EvidenceUnavailable``."""
        data = await self.endpoint.ask({"national_id": national_id, "date": day.isoformat()})
        answer = answer_object(data, national_id)
        registered = answer.get("birth_registered")
        if not isinstance(registered, bool):
            raise EvidenceUnavailable("malformed: birth_registered is not true or false")
        raw = answer.get("marital_status")
        if raw is None:
            return CivilRecord(registered, None)
        try:
            return CivilRecord(registered, MaritalStatus(raw))
        except ValueError as exc:
            raise EvidenceUnavailable("malformed: unknown marital_status") from exc
