"""Who a phone is: a registered provider, insured people, or nobody known.

Personal answers go only to a phone on file for the person or for the principal of the
person's family; everyone else learns nothing about anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.provider import Provider


@dataclass(frozen=True, slots=True)
class PhoneIdentity:
    """What the registry knows about one phone number (E.164)."""

    phone: str
    provider: Provider | None
    people: tuple[Person, ...]

    @property
    def is_active_provider(self) -> bool:
        """Say whether the phone belongs to a provider allowed to ask."""
        return self.provider is not None and self.provider.active

    @property
    def is_insured(self) -> bool:
        """Say whether the phone is on file for at least one insured person."""
        return bool(self.people)

    @property
    def is_known(self) -> bool:
        """Say whether the phone is on file at all."""
        return self.provider is not None or bool(self.people)

    def may_see(self, family: Family, person: Person) -> bool:
        """Say whether this phone may learn ``person``'s own answer (end date included)."""
        return may_learn_about(self.phone, family, person)


def may_learn_about(phone: str, family: Family, person: Person) -> bool:
    """An insured phone learns about the person it is on file for, and a principal's phone
    about the whole family."""
    return phone in (person.phone, family.principal.phone)


def visible_members(identity: PhoneIdentity, family: Family) -> tuple[Person, ...]:
    """The members of ``family`` whose answers this phone may see."""
    return tuple(m for m in family.members if identity.may_see(family, m))
