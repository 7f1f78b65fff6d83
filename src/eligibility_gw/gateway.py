"""What ``bootstrap`` builds: the gateway's stores and services, as channels receive them.

Defined here, below the channels and apart from the composition root, so that a channel
names the type of what it is handed without importing the code that builds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.evidence import LiveEvidence
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.keyvalue import RateLimiter
from eligibility_gw.languages import Languages
from eligibility_gw.ports import KeyValueStore, Store
from eligibility_gw.ports.chatsend import ChatSender
from eligibility_gw.ports.outbound import SmsSender
from eligibility_gw.reminders import Reminders
from eligibility_gw.service import EligibilityService
from eligibility_gw.settings import Settings
from eligibility_gw.uploads import Uploads


@dataclass(frozen=True, slots=True)
class Gateway:
    """The stores, the short-lived state and the services of one gateway process."""

    settings: Settings
    pack: RulePack
    #: Every port the gateway keeps (registry, answer log, providers, batches, SMS records,
    #: chat bindings, casework), over one database handle or pool.
    store: Store
    state: KeyValueStore
    limiter: RateLimiter
    service: EligibilityService
    inquiries: Inquiries
    #: Outbound SMS (check notices, dispute outcomes); None when not configured.
    sms_sender: SmsSender | None = None
    #: Live evidence registries, when ``[evidence.*]`` configures any.
    evidence: LiveEvidence | None = None
    #: Closed in this order when the gateway closes (the sender first, the store last).
    closers: tuple[Callable[[], Awaitable[None]], ...] = field(default=())
    #: Telegram messages outside a webhook (reminders, review outcomes); None without a bot.
    chat_sender: ChatSender | None = None
    #: Reminders before cover ends, and documents sent from a phone (always wired by
    #: ``bootstrap``; None only in a gateway assembled by hand).
    reminders: Reminders | None = None
    uploads: Uploads | None = None
    #: Which language each person reads (always wired by ``bootstrap``; None only in a
    #: gateway assembled by hand, which then reads the store's preferences).
    languages: Languages | None = None

    async def close(self) -> None:
        """Close what was opened: queued sends go out, queued answers are written."""
        for close in self.closers:
            await close()
