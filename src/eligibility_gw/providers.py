"""Providers: API keys drawn once, shown once, kept only as a hash; phones that are theirs."""

from __future__ import annotations

import hashlib
import re
import secrets

import phonenumbers

from eligibility_gw.domain.provider import Provider
from eligibility_gw.phones import InvalidPhone, normalise_phone
from eligibility_gw.ports import Providers, Registry

KEY_PREFIX = "egw_"
PROVIDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def new_api_key() -> str:
    """A fresh API key: 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """The stored form of a key. Keys are random, so a plain SHA-256 cannot be guessed back."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def authenticate(providers: Providers, key: str) -> Provider | None:
    """The provider owning ``key`` (active or not), or None."""
    if not key or len(key) > 256:
        return None
    return await providers.by_key_hash(hash_api_key(key))


class PhoneRefused(ValueError):
    """A provider's phone that cannot be registered; the message says why, naming nobody."""


#: Kinds of number a provider's phone may be: SMS, USSD and Telegram come from mobiles.
_MOBILE_TYPES = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def provider_phone(raw: str, region: str) -> str:
    """``raw`` as E.164: a valid mobile number of ``region`` (the rule pack's).

    A provider's phone identifies it on SMS, USSD and Telegram: a number that cannot be
    dialled (``12345``), belongs to another country or is a fixed line would be a phone no
    inquiry ever comes from, or somebody else's.
    """
    try:
        phone = normalise_phone(raw, region)
    except InvalidPhone as exc:
        raise PhoneRefused(f"{raw!r} is not a phone number ({exc})") from None
    number = phonenumbers.parse(phone, None)
    if not phonenumbers.is_valid_number(number):
        raise PhoneRefused(f"{phone} is not a valid phone number")
    where = phonenumbers.region_code_for_number(number)
    if region not in ("ZZ", where):
        raise PhoneRefused(f"{phone} is a number of {where}, not of {region} (the rule pack's)")
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise PhoneRefused(f"{phone} is not a mobile number: SMS, USSD and Telegram need one")
    return phone


async def phone_free(phone: str, providers: Providers, registry: Registry) -> None:
    """Refuse a phone another provider or an insured person holds (``PhoneRefused``).

    An insured person's phone given to a provider would get the provider's menus and lose
    the person's own answers; two providers on one phone would have its answers attributed
    to either. The person is not named: whoever registers providers need not learn who.
    """
    holder = await providers.by_phone(phone)
    if holder is not None:
        raise PhoneRefused(f"{phone} is registered to provider {holder.provider_id} already")
    if await registry.people_by_phone(phone):
        raise PhoneRefused(
            f"{phone} is on file for an insured person: a provider's phone must be its own"
        )
