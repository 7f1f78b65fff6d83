"""Signed-in sessions: the cookie holds only a random id, the state lives in ``STATE``.

A session keeps who signed in (``principal``), the reader's language, its CSRF token and an
absolute expiry; a page set adds fields of its own by subclassing ``Session`` (the console
keeps its person references and remembered searches there).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Generic, Self, TypeVar

from eligibility_gw.channels.pages.tokens import new_token, well_formed
from eligibility_gw.keyvalue import Sessions
from eligibility_gw.ports import KeyValueStore


@dataclass(frozen=True, slots=True)
class Session:
    """One signed-in browser: who, in which language, with which token, until when."""

    #: The name ``principal`` is stored under (a page set's own, so stored sessions stay
    #: readable across versions).
    PRINCIPAL_KEY: ClassVar[str] = "principal"
    #: The name log lines give it.
    LOG_KEY: ClassVar[str] = "principal"

    session_id: str
    #: The provider id, the staff user name.
    principal: str
    language: str
    csrf: str
    expires_at: float

    def as_state(self) -> dict[str, Any]:
        """What is stored under the session id (the id itself is the key)."""
        state = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("session_id", "principal")
        }
        state[self.PRINCIPAL_KEY] = self.principal
        return state

    @classmethod
    def from_state(cls, session_id: str, state: Mapping[str, Any]) -> Self:
        """The session stored as ``state``; ``KeyError``/``TypeError``/``ValueError`` if bad."""
        return cls(
            session_id=session_id,
            principal=str(state[cls.PRINCIPAL_KEY]),
            language=str(state["language"]),
            csrf=str(state["csrf"]),
            expires_at=float(state["expires_at"]),
            **cls.own_fields(state),
        )

    @classmethod
    def own_fields(cls, _state: Mapping[str, Any]) -> dict[str, Any]:
        """The fields a page set's session adds, read from ``state`` (none here)."""
        return {}


S = TypeVar("S", bound=Session)


class SessionStore(Generic[S]):
    """Start, read, change and end one page set's sessions."""

    def __init__(self, kv: KeyValueStore, scope: str, lifetime_seconds: int, kind: type[S]):
        self.lifetime = lifetime_seconds
        self.kind = kind
        self._store = Sessions(kv, scope, lifetime_seconds)

    async def start(self, principal: str, language: str) -> S:
        """A new session under a new id (never one the browser brought: no fixation)."""
        session = self.kind(
            session_id=new_token(),
            principal=principal,
            language=language,
            csrf=new_token(),
            expires_at=time.time() + self.lifetime,
        )
        await self.save(session)
        return session

    async def save(self, session: S) -> None:
        """Store ``session`` (its absolute expiry unchanged)."""
        # The entry may outlive the session a little; ``load`` checks the absolute expiry.
        await self._store.save(session.session_id, session.as_state())

    async def load(self, session_id: str | None) -> S | None:
        """The live session under ``session_id``, or None (unknown, malformed or expired)."""
        if session_id is None or not well_formed(session_id):
            return None
        state = await self._store.load(session_id)
        if state is None:
            return None
        try:
            session = self.kind.from_state(session_id, state)
        except (KeyError, TypeError, ValueError):
            await self._store.drop(session_id)
            return None
        if session.expires_at <= time.time():
            await self._store.drop(session_id)
            return None
        return session

    async def change(self, session: S, **changes: Any) -> S:
        """Keep ``session`` with ``changes`` (the expiry stays as it was)."""
        changed = replace(session, **changes)
        await self.save(changed)
        return changed

    async def set_language(self, session: S, language: str) -> S:
        """Keep the reader's language."""
        return await self.change(session, language=language)

    async def end(self, session_id: str) -> None:
        """Forget the session."""
        await self._store.drop(session_id)
