"""What the menus need from the core: who dials, answers, recorded codes, the hop guard.

The only module of the channel that talks to the core, and only through ``Inquiries``: who
may learn what, the quotas and the check notices are the core's. People are referred to by
pseudonyms (``Entry.ref``) so session state never holds a national id of a family member;
the caller's family is read again on each hop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import structlog

from eligibility_gw.channels.ussd.answers import Answered, Outcome, Refused, Verified
from eligibility_gw.channels.ussd.engine import Context
from eligibility_gw.channels.ussd.screens import Caller, Effect, Entry, Rules, Standing
from eligibility_gw.domain.errors import (
    DateOutOfRange,
    EligibilityError,
    NotPermitted,
    ProviderInactive,
    QuotaExceeded,
)
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.provider import Provider
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.keyvalue import RateLimiter
from eligibility_gw.logs import pseudonym
from eligibility_gw.policy.askers import Asker

log = structlog.get_logger(__name__)

CHANNEL = "ussd"


@dataclass(frozen=True, slots=True)
class Dialer:
    """The phone that dials, what the engine may know of it, and whom it may ask about."""

    phone: str
    provider: Provider | None
    caller: Caller
    people: Mapping[str, tuple[Person, Family]]
    #: The registry knows the phone (a provider's, or someone's on file).
    known: bool = False

    def asker(self) -> Asker:
        """Who asks for a recorded code: the provider while it may ask, else the phone."""
        if self.provider is not None and self.provider.active:
            return Asker.for_provider(CHANNEL, self.provider)
        return Asker.for_insured(CHANNEL, self.phone)


def member_ref(national_id: str) -> str:
    """The stand-in for a member's id in session state and menus."""
    return pseudonym(national_id)


async def identify(inquiries: Inquiries, phone: str) -> Dialer:
    """Look the phone up: provider, the people on file for it, the family it may see."""
    identity = await inquiries.identify(phone)
    people: dict[str, tuple[Person, Family]] = {}
    selves: list[Entry] = []
    family: list[Entry] = []
    for member, person, fam in await inquiries.members(identity):
        ref = member_ref(member.national_id)
        if ref in people:
            continue
        people[ref] = (person, fam)
        entry = Entry(ref, member.given_name, member.relationship)
        (selves if member.own else family).append(entry)
    if identity.provider is None:
        standing = Standing.NONE
    else:
        standing = Standing.ACTIVE if identity.provider.active else Standing.INACTIVE
    caller = Caller(standing, tuple(selves), tuple(family))
    return Dialer(phone, identity.provider, caller, people, identity.is_known)


def context(inquiries: Inquiries, dialer: Dialer, languages: tuple[str, ...]) -> Context:
    """The engine's view of this hop."""
    earliest, latest = inquiries.window()
    rules = Rules(inquiries.pack, inquiries.today(), earliest, latest)
    return Context(dialer.caller, rules, languages)


async def within(limiter: RateLimiter, scope: str, subject: str, limit: int, window: int) -> bool:
    """Count one hit; say whether it is within the limit."""
    decision = await limiter.hit(scope, subject, limit, window)
    if not decision.allowed:
        log.info("ussd_rate_limited", scope=scope)
    return decision.allowed


async def perform(
    inquiries: Inquiries, dialer: Dialer, effect: Effect, values: Mapping[str, str]
) -> Outcome:
    """Ask the core what an answer screen shows; a refusal becomes its last screen."""
    try:
        if effect is Effect.ANSWER_MEMBER:
            return await _answer_member(inquiries, dialer, values.get("member", ""))
        if effect is Effect.ANSWER_PROVIDER:
            return await _answer_provider(inquiries, dialer, values)
        return await _verify(inquiries, dialer, values.get("code", ""))
    except EligibilityError as exc:
        return refusal(exc)


#: The last screen of each quota a refusal can name (``QuotaExceeded.scope``).
QUOTA_SCREENS = {
    "asker": "ussd.end.quota.asker",
    "provider_national_id": "ussd.end.quota.provider_national_id",
    "national_id": "ussd.end.quota.national_id",
}


def refusal(exc: EligibilityError) -> Refused:
    """The last screen of a refusal of the core."""
    if isinstance(exc, QuotaExceeded):
        key = QUOTA_SCREENS.get(exc.scope, "ussd.end.quota.asker")
        return Refused(key, {"minutes": str(exc.params["minutes"])})
    if isinstance(exc, ProviderInactive):
        if exc.params.get("problem") == "stale":
            last = exc.params.get("last_updated")
            return Refused(
                "ussd.end.provider_stale",
                {"last_updated": last.isoformat() if isinstance(last, date) else str(last)},
            )
        return Refused("ussd.info.deactivated")
    if isinstance(exc, NotPermitted):
        return Refused("ussd.end.not_on_file")
    if isinstance(exc, DateOutOfRange):
        # The date was in the window when typed; the day turned since.
        return Refused("ussd.end.date_moved")
    # The menus check every input before asking: anything else is ours to look into.
    log.warning("ussd_refused_unexpectedly", code=exc.code)
    return Refused("ussd.end.unavailable")


async def _answer_member(inquiries: Inquiries, dialer: Dialer, ref: str) -> Outcome:
    found = dialer.people.get(ref)
    if found is None:  # no longer on file for this phone since the list was shown
        return Refused("ussd.end.not_on_file")
    person, family = found
    asker = Asker.for_insured(CHANNEL, dialer.phone)
    return Answered(await inquiries.ask_member(asker, person, family))


async def _answer_provider(
    inquiries: Inquiries, dialer: Dialer, values: Mapping[str, str]
) -> Outcome:
    provider = dialer.provider
    if provider is None:  # the phone is no provider's any more since the menu was shown
        return Refused("ussd.info.deactivated")
    raw_day = values.get("service_date", "")
    day = date.fromisoformat(raw_day) if raw_day else None
    asker = Asker.for_provider(CHANNEL, provider)
    return Answered(await inquiries.ask(asker, values.get("national_id", ""), day))


async def _verify(inquiries: Inquiries, dialer: Dialer, digits: str) -> Outcome:
    shown = await inquiries.recorded(dialer.asker(), TrackingCode(digits)) if digits else None
    return Verified(shown) if shown is not None else Refused("ussd.verify.not_shown")
