"""What each SMS command asks the core, and as whom; the reply to it.

The phone names the asker: an active provider's phone asks as that provider, any other
phone as an insured person (the inquiry policy decides what that phone may learn). Who may
learn what, the quotas and the check notices are the core's (``Inquiries``); this module
only maps commands onto it and refusals onto texts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog

from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.sms.grammar import (
    AskAbout,
    Command,
    DenyCheck,
    FamilyList,
    Help,
    LookUpCode,
)
from eligibility_gw.domain.errors import (
    EligibilityError,
    NotPermitted,
    ProviderInactive,
    QuotaExceeded,
)
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.identity import PhoneIdentity
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.policy.askers import Asker
from eligibility_gw.textinput import parse_date
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

CHANNEL = "sms"


@dataclass(frozen=True, slots=True)
class Reply:
    """The text to send back (None: no reply), what happened, and the codes it quotes."""

    text: str | None
    outcome: str
    tracking_codes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent the message: what the registry knows of the phone."""

    identity: PhoneIdentity

    @property
    def phone(self) -> str:
        """The sender's phone (E.164)."""
        return self.identity.phone

    @property
    def asker(self) -> Asker:
        """As whom the phone asks: its provider when active, else an insured phone."""
        provider = self.identity.provider
        if provider is not None and provider.active:
            return Asker.for_provider(CHANNEL, provider)
        return Asker.for_insured(CHANNEL, self.phone)


async def answer_command(
    inquiries: Inquiries, hotline: str, sender: Sender, command: Command, w: Wording
) -> Reply:
    """The reply to one command; refusals of the policy become texts here."""
    try:
        if isinstance(command, AskAbout):
            return await _ask_about(inquiries, sender, command, w)
        if isinstance(command, FamilyList):
            return await _family(inquiries, sender, w)
        if isinstance(command, LookUpCode):
            return await _look_up(inquiries, sender, command, w)
    except NotPermitted:
        # The same words whether the id exists or not: ids are not to be probed.
        return Reply(replies.not_on_file(w, hotline), "refused_not_on_file")
    except ProviderInactive as exc:
        return Reply(replies.provider_inactive(w, exc), "refused_provider_inactive")
    except QuotaExceeded as exc:
        return Reply(replies.quota_exceeded(w, exc), f"rate_limited_{exc.scope}")
    except EligibilityError as exc:
        return Reply(replies.refusal(w, exc), f"refused_{exc.code.lower()}")
    if isinstance(command, DenyCheck):
        # A NO with no notice to refer to (a NO that does is answered before any limit).
        return Reply(replies.help_text(w, understood=False), "help")
    return Reply(replies.help_text(w, isinstance(command, Help) and command.understood), "help")


async def _ask_about(inquiries: Inquiries, sender: Sender, command: AskAbout, w: Wording) -> Reply:
    # Malformed input is told as such to everyone: it says nothing about anybody.
    national_id = inquiries.normalise_id(command.national_id)
    day = parse_date(command.date_text) if command.date_text else None
    show_date = command.date_text is not None
    identity = sender.identity
    if identity.is_active_provider:
        shown = await inquiries.ask(sender.asker, national_id, day)
        text = replies.provider_answer(w, shown, show_date, pack=inquiries.pack)
        return Reply(text, "answered_provider", (shown.tracking_code.digits,))
    if identity.is_insured:
        shown = await inquiries.ask(sender.asker, national_id, day)
        text = replies.insured_answer(w, inquiries.pack, shown, show_date)
        return Reply(text, "answered_insured", (shown.tracking_code.digits,))
    if identity.provider is not None:  # deactivated or stale, on file for nobody insured
        raise inquiries.inactive(identity.provider)
    # On file for nobody: nothing to look up, and the same words as a refused phone.
    raise NotPermitted("phone not on file")


async def _family(inquiries: Inquiries, sender: Sender, w: Wording) -> Reply:
    identity = sender.identity
    if not identity.is_insured:
        raise NotPermitted("phone not on file")
    shown = await inquiries.ask_family(Asker.for_insured(CHANNEL, sender.phone), identity)
    if not shown:
        raise NotPermitted("nobody on file for this phone")
    codes = tuple(s.tracking_code.digits for s in shown)
    return Reply(replies.family_answer(w, shown), "family", codes)


async def _look_up(inquiries: Inquiries, sender: Sender, command: LookUpCode, w: Wording) -> Reply:
    code = TrackingCode.parse(command.code_text)
    shown = await inquiries.recorded(sender.asker, code)
    if shown is None:
        # The same words whether the code exists or not: codes are not to be probed.
        return Reply(replies.unknown_code(w), "code_unknown")
    return Reply(replies.recorded_answer(w, inquiries.pack, shown), "recorded", (code.digits,))
