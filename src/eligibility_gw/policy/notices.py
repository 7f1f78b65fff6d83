"""Whose phone is told that a provider checked someone's cover ("not you? reply NO").

- A member with a phone on file: that phone.
- A minor (under the pack's age of majority) without one: the family's principal's phone.
- An adult without one: nobody. An adult's visits to a pharmacy are their own affair; an
  adult daughter's are not reported to her father.
- Nobody either when the phone told would be the checking provider's own, or when the
  member's birth date is unknown and they have no phone (they may be an adult).
"""

from __future__ import annotations

from datetime import date

from eligibility_gw.domain.dates import age_on
from eligibility_gw.domain.model import Family, Person


def notice_recipient(
    person: Person,
    family: Family,
    day: date,
    age_of_majority: int | None,
    provider_phone: str | None,
) -> str | None:
    """The phone to tell of a provider's check of ``person`` on ``day``, or None.

    A pack that names no age of majority makes nobody a minor: notices go to own phones only.
    """
    to = person.phone
    if to is None and not person.is_principal and age_of_majority is not None:
        minor = person.birth_date is not None and age_on(person.birth_date, day) < age_of_majority
        to = family.principal.phone if minor else None
    if not to or to == provider_phone:
        return None
    return to
