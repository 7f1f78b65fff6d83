"""Staff sessions: the kit's, with person references and remembered searches of their own.

Pages link to a person through an opaque reference that only this session can resolve, so
national ids never appear in addresses (nor in proxies' logs, nor in a masked list's links).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eligibility_gw.channels.console.rendering import CONSOLE
from eligibility_gw.channels.pages.sessions import Session, SessionStore
from eligibility_gw.channels.pages.tokens import new_token
from eligibility_gw.ports import KeyValueStore

#: Person references and searches one session remembers (the oldest are forgotten first).
MAX_REFS = 400
MAX_QUERIES = 50
_REF_LENGTH = 20


@dataclass(frozen=True, slots=True)
class StaffSession(Session):
    """One signed-in browser of a staff member (``principal``: the user name)."""

    PRINCIPAL_KEY: ClassVar[str] = "username"
    LOG_KEY: ClassVar[str] = "staff"

    #: The key of this session's person references.
    ref_key: str = field(default_factory=new_token)
    refs: dict[str, str] = field(default_factory=dict)
    queries: dict[str, str] = field(default_factory=dict)

    @property
    def username(self) -> str:
        """The staff member signed in."""
        return self.principal

    @classmethod
    def own_fields(cls, state: Mapping[str, Any]) -> dict[str, Any]:
        """The references and searches kept in ``state`` (``TypeError`` when not maps)."""
        refs, queries = state["refs"], state["queries"]
        if not isinstance(refs, dict) or not isinstance(queries, dict):
            raise TypeError("refs")
        return {
            "ref_key": str(state["ref_key"]),
            "refs": {str(k): str(v) for k, v in refs.items()},
            "queries": {str(k): str(v) for k, v in queries.items()},
        }

    def ref_of(self, national_id: str) -> str:
        """The reference this session uses for ``national_id`` (stable within the session)."""
        digest = hmac.new(self.ref_key.encode(), national_id.encode(), hashlib.sha256)
        return digest.hexdigest()[:_REF_LENGTH]

    def national_id_of(self, ref: str) -> str | None:
        """The national id behind a reference this session handed out."""
        return self.refs.get(ref)

    def query_of(self, token: str) -> str | None:
        """The search behind a token this session handed out."""
        return self.queries.get(token)


class StaffSessions(SessionStore[StaffSession]):
    """Start, read, change and end staff sessions; remember what they link to."""

    def __init__(self, kv: KeyValueStore, lifetime_seconds: int) -> None:
        super().__init__(kv, CONSOLE.name, lifetime_seconds, StaffSession)

    async def remember(self, session: StaffSession, national_ids: list[str]) -> StaffSession:
        """Make references for ``national_ids`` resolvable in this session."""
        new = {session.ref_of(n): n for n in national_ids}
        if all(session.refs.get(ref) == n for ref, n in new.items()):
            return session
        refs = {k: v for k, v in session.refs.items() if k not in new}
        refs.update(new)
        while len(refs) > MAX_REFS:
            del refs[next(iter(refs))]
        return await self.change(session, refs=refs)

    async def remember_query(self, session: StaffSession, query: str) -> tuple[StaffSession, str]:
        """Keep a search under a token this session can resolve; the session and the token."""
        token = session.ref_of("\0query\0" + query)
        if session.queries.get(token) == query:
            return session, token
        queries = {k: v for k, v in session.queries.items() if k != token}
        queries[token] = query
        while len(queries) > MAX_QUERIES:
            del queries[next(iter(queries))]
        return await self.change(session, queries=queries), token
