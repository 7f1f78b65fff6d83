"""Who asks: the four kinds of asker, and how each is named in the answer log."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from eligibility_gw.domain.provider import Provider


class AskerKind(enum.StrEnum):
    """The kinds of asker; each has its own view of answers (``disclosure``)."""

    #: A registered provider (pharmacy, clinic, hospital…), by API key or registered phone.
    PROVIDER = "provider"
    #: An insured person, by a phone on file for them or for their family's principal.
    INSURED = "insured"
    #: Call-centre staff signed in to the console.
    STAFF = "staff"
    #: The operator at the command line.
    OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asks, through which channel: recorded with every answer.

    ``ident`` is the provider id, the verified phone (E.164), the staff account's name or
    the operator's name. ``provider`` is set for providers (the notice names it).
    """

    channel: str
    kind: AskerKind
    ident: str = ""
    provider: Provider | None = None

    @classmethod
    def for_provider(cls, channel: str, provider: Provider) -> Asker:
        """A provider asking through ``channel``."""
        return cls(channel, AskerKind.PROVIDER, provider.provider_id, provider)

    @classmethod
    def for_insured(cls, channel: str, phone: str) -> Asker:
        """An insured person asking from a verified phone."""
        return cls(channel, AskerKind.INSURED, phone)

    @classmethod
    def for_staff(cls, username: str, channel: str = "console") -> Asker:
        """A signed-in staff member."""
        return cls(channel, AskerKind.STAFF, username)

    @classmethod
    def for_operator(cls, name: str = "cli", channel: str = "cli") -> Asker:
        """The operator at the command line."""
        return cls(channel, AskerKind.OPERATOR, name)
