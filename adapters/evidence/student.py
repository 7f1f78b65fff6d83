"""The student-certificate registry over HTTP: certificates of study, with their validity.

The contract, one POST per lookup (JSON, UTF-8)::

    POST {url}
    Accept: application/json
    Authorization: Bearer {token}          when [evidence.student] token_env names one

    {"national_id": "1000000044", "date": "2026-11-23"}

    200 OK
    {"national_id": "1000000044",
     "certificates": [{"valid_from": "2025-09-23", "valid_until": "2027-05-22"}]}

``date`` is the service date asked about. ``certificates`` lists the certificates of study
the registry holds for the person (an empty list: none, as for a person it does not know);
``valid_from`` and ``valid_until`` are ISO dates counting for their whole day, and either may
be null or absent for an open end. ``national_id`` echoes the question. Anything else (another
status, a body that is not such an object, another id, no answer within the timeout) means
the registry cannot answer: ``EvidenceUnavailable``. The id travels in the body, never in the
URL, so that it stays out of access logs between here and the registry.
"""

from __future__ import annotations

from datetime import date

from eligibility_gw.adapters.evidence.transport import JsonEndpoint, answer_object, optional_date
from eligibility_gw.domain.evidence import StudentRecord, StudyCertificate
from eligibility_gw.ports import EvidenceUnavailable


class HttpStudentRegistry:
    """``StudentRegistry`` over HTTP; the endpoint carries the session, URL and timeout."""

    def __init__(self, endpoint: JsonEndpoint) -> None:
        self.endpoint = endpoint

    async def certificates(self, national_id: str, day: date) -> StudentRecord:
        """The person's certificates of study, or ``EvidenceUnavailable``."""
        data = await self.endpoint.ask({"national_id": national_id, "date": day.isoformat()})
        answer = answer_object(data, national_id)
        listed = answer.get("certificates")
        if not isinstance(listed, list):
            raise EvidenceUnavailable("malformed: certificates is not a list")
        found = []
        for item in listed:
            if not isinstance(item, dict):
                raise EvidenceUnavailable("malformed: a certificate is not an object")
            start = optional_date(item, "valid_from")
            end = optional_date(item, "valid_until")
            if start is not None and end is not None and end < start:
                raise EvidenceUnavailable("malformed: a certificate ends before it starts")
            found.append(StudyCertificate(start, end))
        return StudentRecord(tuple(found))
