"""What the menus need from the core: who dials, answers, recorded codes, rate limits.

The only module of the channel that talks to the core's service and stores. People are
referred to by pseudonyms (``Entry.ref``) so session state never holds a national id of a
family member; the caller's family is read again on each hop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import structlog

from eligibility_gw.bootstrap import Core
from eligibility_gw.channels.ussd.answers import Answered, Outcome, Refused, Verified
from eligibility_gw.channels.ussd.engine import Context
from eligibility_gw.channels.ussd.screens import Caller, Effect, Entry, Rules, Standing
from eligibility_gw.channels.ussd.settings import UssdSettings
from eligibility_gw.domain.errors import DateOutOfRange, EligibilityError
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.identity import families_of, identify_phone, visible_members
from eligibility_gw.logs import pseudonym
from eligibility_gw.presenting import Audience
from eligibility_gw.service import Asker, member_view

log = structlog.get_logger(__name__)

CHANNEL = "ussd"


@dataclass(frozen=True, slots=True)
class Dialer:
    """The phone that dials, what the engine may know of it, and whom it may ask about."""

    phone: str
    provider: Provider | None
    caller: Caller
    people: Mapping[str, tuple[Person, Family]]


def member_ref(national_id: str) -> str:
    """The stand-in for a member's id in session state and menus."""
    return pseudonym(national_id)


async def identify(core: Core, phone: str) -> Dialer:
    """Look the phone up: provider, the people on file for it, the family it may see."""
    identity = await identify_phone(core.store, phone)
    people: dict[str, tuple[Person, Family]] = {}
    selves: list[Entry] = []
    family: list[Entry] = []
    own = {p.national_id for p in identity.people}
    for fam in await families_of(core.store, identity):
        for person in visible_members(identity, fam):
            ref = member_ref(person.national_id)
            if ref in people:
                continue
            people[ref] = (person, fam)
            entry = Entry(ref, person.given_name, person.relationship)
            (selves if person.national_id in own else family).append(entry)
    if identity.provider is None:
        standing = Standing.NONE
    else:
        standing = Standing.ACTIVE if identity.provider.active else Standing.INACTIVE
    caller = Caller(standing, tuple(selves), tuple(family))
    return Dialer(phone, identity.provider, caller, people)


def context(core: Core, dialer: Dialer) -> Context:
    """The engine's view of this hop."""
    earliest, latest = core.service.window()
    rules = Rules(core.pack, core.service.today(), earliest, latest)
    return Context(dialer.caller, rules, core.settings.gateway.languages)


async def within(core: Core, scope: str, subject: str, limit: int, window: int) -> bool:
    """Count one hit; say whether it is within the limit."""
    decision = await core.limiter.hit(scope, subject, limit, window)
    if not decision.allowed:
        log.info("ussd_rate_limited", scope=scope)
    return decision.allowed


async def perform(
    core: Core, knobs: UssdSettings, dialer: Dialer, effect: Effect, values: Mapping[str, str]
) -> Outcome:
    """Ask the core what an answer screen shows."""
    if not await within(core, "ussd-answers", dialer.phone, knobs.answers_per_hour, 3600):
        return Refused("ussd.end.rate_limited")
    if effect is Effect.ANSWER_MEMBER:
        return await _answer_member(core, dialer, values.get("member", ""))
    if effect is Effect.ANSWER_PROVIDER:
        return await _answer_provider(core, knobs, dialer, values)
    return await _verify(core, dialer, values.get("code", ""))


async def _answer_member(core: Core, dialer: Dialer, ref: str) -> Outcome:
    found = dialer.people.get(ref)
    if found is None:
        return Refused("ussd.end.nobody")
    person, family = found
    answer = await core.service.decide_for(person, family, Asker(CHANNEL, "insured", dialer.phone))
    return Answered(answer.record, Audience.INSURED, member_view(person))


async def _answer_provider(
    core: Core, knobs: UssdSettings, dialer: Dialer, values: Mapping[str, str]
) -> Outcome:
    provider = dialer.provider
    if provider is None or not provider.active:
        return Refused("ussd.info.deactivated")
    national_id = values.get("national_id", "")
    limit = knobs.asks_per_national_id_per_hour
    if not await within(core, "ussd-national-id", national_id, limit, 3600):
        return Refused("ussd.end.id_rate_limited")
    raw_day = values.get("service_date", "")
    day = date.fromisoformat(raw_day) if raw_day else None
    try:
        answer = await core.service.ask(
            national_id, Asker(CHANNEL, "provider", provider.provider_id), day
        )
    except DateOutOfRange:
        return Refused("ussd.end.date_moved")
    except EligibilityError:
        return Refused("ussd.end.unavailable")
    return Answered(answer.record, Audience.PROVIDER)


async def _verify(core: Core, dialer: Dialer, digits: str) -> Outcome:
    record = await core.service.recorded(TrackingCode(digits)) if digits else None
    if record is None:
        return Refused("ussd.verify.not_shown")
    draft = record.draft
    own = draft.asker_kind == "insured" and draft.asker_id == dialer.phone
    provider = dialer.provider
    if provider is not None and provider.active:
        own = own or (draft.asker_kind == "provider" and draft.asker_id == provider.provider_id)
    return Verified(record) if own else Refused("ussd.verify.not_shown")
