"""Read what staff type into the one search box: a national id, a phone, a code, or a family
name with a birth date.

The kind can be chosen, or told from the text: ``D-…`` is a dispute code, letters are a
family name (with a birth date, in either calendar: ``Rezaei 1980-03-01``, ``رضایی
۱۳۵۸/۱۲/۱۰``), ``+…``/``00…`` a phone, twelve digits a tracking code, a local mobile
number (a leading 0 and more digits than a national id) a phone, anything else a national
id. Typos are refused by each kind's own check (check digits, phone plans, calendars) before
anything is looked up.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from eligibility_gw.domain.digits import compact_number, strip_bidi
from eligibility_gw.domain.disputes import DisputeCode, InvalidDisputeCode
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.names import name_key
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.domain.tracking import TRACKING_CODE_LENGTH, TrackingCode, verhoeff_is_valid
from eligibility_gw.phones import InvalidPhone, normalise_phone
from eligibility_gw.textinput import parse_date

MAX_QUERY = 64


class QueryKind(enum.StrEnum):
    """What a search looks for."""

    AUTO = "auto"
    NATIONAL_ID = "national_id"
    PHONE = "phone"
    TRACKING_CODE = "tracking_code"
    DISPUTE_CODE = "dispute_code"
    NAME_BIRTH = "name_birth"


@dataclass(frozen=True, slots=True)
class Query:
    """A search, read: its kind and its normalised value (a name search: ``date|name``)."""

    kind: QueryKind
    value: str

    @property
    def name_and_birth(self) -> tuple[str, date]:
        """A name search's family name and birth date."""
        day, _, name = self.value.partition("|")
        return name, date.fromisoformat(day)


class QueryRefused(Exception):
    """The text cannot be what it was taken for; ``message`` says why (a message id)."""

    def __init__(self, message: str, error: EligibilityError | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error = error


def guess_kind(text: str, pack: RulePack) -> QueryKind:
    """The kind of search ``text`` reads as."""
    if DisputeCode.looks_like(text):
        return QueryKind.DISPUTE_CODE
    if any(c.isalpha() for c in text):
        return QueryKind.NAME_BIRTH
    compact = compact_number(strip_bidi(text))
    # A tracking code may start with 00 like an international phone prefix: twelve digits
    # passing the code's check digit are a code first.
    if len(compact) == TRACKING_CODE_LENGTH and compact.isdigit() and verhoeff_is_valid(compact):
        return QueryKind.TRACKING_CODE
    if compact.startswith(("+", "00")):
        return QueryKind.PHONE
    if len(compact) == TRACKING_CODE_LENGTH:
        return QueryKind.TRACKING_CODE
    if compact.startswith("0") and len(compact) > max(pack.national_id.lengths):
        return QueryKind.PHONE
    return QueryKind.NATIONAL_ID


def read_query(text: str, kind: QueryKind, pack: RulePack) -> Query:
    """The normalised search; ``QueryRefused`` with the reason in a message id."""
    text = text.strip()
    if not text:
        raise QueryRefused("console.search.empty")
    if len(text) > MAX_QUERY:
        raise QueryRefused("console.search.too_long")
    chosen = guess_kind(text, pack) if kind is QueryKind.AUTO else kind
    try:
        if chosen is QueryKind.DISPUTE_CODE:
            return Query(chosen, DisputeCode.parse(text).digits)
        if chosen is QueryKind.TRACKING_CODE:
            return Query(chosen, TrackingCode.parse(text).digits)
        if chosen is QueryKind.PHONE:
            return Query(chosen, normalise_phone(text, pack.phone_region))
        if chosen is QueryKind.NAME_BIRTH:
            return _name_and_birth(text)
        return Query(chosen, pack.national_id.normalise(text))
    except InvalidDisputeCode:
        raise QueryRefused("console.search.bad_dispute_code") from None
    except InvalidPhone:
        raise QueryRefused("console.search.bad_phone") from None
    except EligibilityError as exc:
        raise QueryRefused("console.search.bad_input", exc) from None


def _name_and_birth(text: str) -> Query:
    """``FAMILY-NAME DATE`` or ``DATE FAMILY-NAME``; the date Gregorian or Solar Hijri."""
    words = text.split()
    if len(words) < 2:
        raise QueryRefused("console.search.name_birth_needed")
    for day_text, name in ((words[-1], words[:-1]), (words[0], words[1:])):
        try:
            day = parse_date(day_text)
        except EligibilityError:
            continue
        family = " ".join(name)
        if not name_key(family) or not any(c.isalpha() for c in family):
            break
        if "|" in family:
            raise QueryRefused("console.search.name_birth_needed")
        return Query(QueryKind.NAME_BIRTH, f"{day.isoformat()}|{family}")
    if not any(c.isdigit() for c in text):
        raise QueryRefused("console.search.name_birth_needed")
    raise QueryRefused("console.search.bad_birth_date")
