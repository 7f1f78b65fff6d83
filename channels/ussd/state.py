"""A USSD session's state: where the caller is, and the last screen given (as plain JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything kept between two hops of one session.

    ``stack`` holds the screens that asked something, the current one last (``0`` pops it);
    ``values`` what the caller chose or typed so far; ``seen`` the dialect's marker of the
    latest hop answered (the whole history, or a sequence number), with ``last_text`` and
    ``last_end`` the screen it got, so a repeated callback gets the same screen again.
    ``caller`` is a pseudonym of the phone: a session answers only the phone that opened it.
    """

    language: str
    stack: tuple[str, ...]
    page: int = 0
    invalid: int = 0
    values: Mapping[str, str] = field(default_factory=dict)
    seen: str = ""
    last_text: str = ""
    last_end: bool = False
    caller: str = ""

    @property
    def current(self) -> str:
        """The screen waiting for an answer."""
        return self.stack[-1]

    def but(self, **changes: Any) -> SessionState:
        """A copy with ``changes``."""
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data, for any key-value store."""
        return {
            "v": STATE_VERSION,
            "language": self.language,
            "stack": list(self.stack),
            "page": self.page,
            "invalid": self.invalid,
            "values": dict(self.values),
            "seen": self.seen,
            "last_text": self.last_text,
            "last_end": self.last_end,
            "caller": self.caller,
        }

    @classmethod
    def from_json(cls, data: object) -> SessionState | None:
        """Read a stored state back; None when it is not one this version wrote."""
        if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
            return None
        try:
            stack = tuple(str(s) for s in data["stack"])
            values = {str(k): str(v) for k, v in dict(data["values"]).items()}
            state = cls(
                language=str(data["language"]),
                stack=stack,
                page=int(data["page"]),
                invalid=int(data["invalid"]),
                values=values,
                seen=str(data["seen"]),
                last_text=str(data["last_text"]),
                last_end=bool(data["last_end"]),
                caller=str(data["caller"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return state if stack else None
