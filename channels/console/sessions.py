"""Staff sessions: the cookie holds a random id; the state (and person links) lives in ``kv``.

Pages link to a person through an opaque reference that only this session can resolve, so
national ids never appear in addresses (nor in proxies' logs, nor in a masked list's links).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field, replace
from typing import Any

from eligibility_gw.channels.web.pages_common import new_token, well_formed
from eligibility_gw.keyvalue import Sessions
from eligibility_gw.ports import KeyValueStore

#: Person references and searches one session remembers (the oldest are forgotten first).
MAX_REFS = 400
MAX_QUERIES = 50
_REF_LENGTH = 20


@dataclass(frozen=True, slots=True)
class StaffSession:
    """One signed-in browser of a staff member."""

    session_id: str
    username: str
    language: str
    csrf: str
    expires_at: float
    ref_key: str
    refs: dict[str, str] = field(default_factory=dict)
    queries: dict[str, str] = field(default_factory=dict)

    def as_state(self) -> dict[str, Any]:
        """What is stored under the session id (the id itself is the key)."""
        return {
            "username": self.username,
            "language": self.language,
            "csrf": self.csrf,
            "expires_at": self.expires_at,
            "ref_key": self.ref_key,
            "refs": self.refs,
            "queries": self.queries,
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


class StaffSessions:
    """Start, read, change and end staff sessions."""

    def __init__(self, kv: KeyValueStore, lifetime_seconds: int) -> None:
        self.lifetime = lifetime_seconds
        self._store = Sessions(kv, "console", lifetime_seconds)

    async def start(self, username: str, language: str) -> StaffSession:
        """A new session under a new id (never one the browser brought: no fixation)."""
        session = StaffSession(
            new_token(),
            username,
            language,
            new_token(),
            time.time() + self.lifetime,
            new_token(),
        )
        await self._save(session)
        return session

    async def _save(self, session: StaffSession) -> None:
        # The entry may outlive the session a little; ``load`` checks the absolute expiry.
        await self._store.save(session.session_id, session.as_state())

    async def load(self, session_id: str | None) -> StaffSession | None:
        """The live session under ``session_id``, or None (unknown, malformed or expired)."""
        if session_id is None or not well_formed(session_id):
            return None
        state = await self._store.load(session_id)
        if state is None:
            return None
        try:
            refs, queries = state["refs"], state["queries"]
            if not isinstance(refs, dict) or not isinstance(queries, dict):
                raise TypeError("refs")
            session = StaffSession(
                session_id,
                str(state["username"]),
                str(state["language"]),
                str(state["csrf"]),
                float(state["expires_at"]),
                str(state["ref_key"]),
                {str(k): str(v) for k, v in refs.items()},
                {str(k): str(v) for k, v in queries.items()},
            )
        except (KeyError, TypeError, ValueError):
            await self._store.drop(session_id)
            return None
        if session.expires_at <= time.time():
            await self._store.drop(session_id)
            return None
        return session

    async def remember(self, session: StaffSession, national_ids: list[str]) -> StaffSession:
        """Make references for ``national_ids`` resolvable in this session."""
        new = {session.ref_of(n): n for n in national_ids}
        if all(session.refs.get(ref) == n for ref, n in new.items()):
            return session
        refs = {k: v for k, v in session.refs.items() if k not in new}
        refs.update(new)
        while len(refs) > MAX_REFS:
            del refs[next(iter(refs))]
        changed = replace(session, refs=refs)
        await self._save(changed)
        return changed

    async def remember_query(self, session: StaffSession, query: str) -> tuple[StaffSession, str]:
        """Keep a search under a token this session can resolve; the session and the token."""
        token = session.ref_of("\0query\0" + query)
        if session.queries.get(token) == query:
            return session, token
        queries = {k: v for k, v in session.queries.items() if k != token}
        queries[token] = query
        while len(queries) > MAX_QUERIES:
            del queries[next(iter(queries))]
        changed = replace(session, queries=queries)
        await self._save(changed)
        return changed, token

    async def set_language(self, session: StaffSession, language: str) -> StaffSession:
        """Keep the reader's language (the expiry stays as it was)."""
        changed = replace(session, language=language)
        await self._save(changed)
        return changed

    async def end(self, session_id: str) -> None:
        """Forget the session."""
        await self._store.drop(session_id)
