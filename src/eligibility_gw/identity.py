"""Who a phone is: a registered provider, insured people, or nobody known.

Personal answers go only to a phone on file for the person or for the principal of the
person's family; everyone else learns nothing about anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.provider import Provider
from eligibility_gw.ports import Store


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
        return self.phone in (person.phone, family.principal.phone)


async def identify_phone(store: Store, phone: str) -> PhoneIdentity:
    """Look the phone up among providers and insured people."""
    provider = await store.providers.by_phone(phone)
    people = await store.registry.people_by_phone(phone)
    return PhoneIdentity(phone, provider, tuple(people))


async def families_of(store: Store, identity: PhoneIdentity) -> list[Family]:
    """The families this phone may see: each person on file for it, with their family.

    A principal's phone sees the whole family; a dependent's own phone sees only that
    dependent (the family is returned, and ``visible_members`` cuts it down).
    """
    seen: set[str] = set()
    families: list[Family] = []
    for person in identity.people:
        family = await store.registry.find_family(person.national_id)
        if family is None or family.principal.national_id in seen:
            continue
        seen.add(family.principal.national_id)
        families.append(family)
    return families


def visible_members(identity: PhoneIdentity, family: Family) -> tuple[Person, ...]:
    """The members of ``family`` whose answers this phone may see."""
    return tuple(m for m in family.members if identity.may_see(family, m))
