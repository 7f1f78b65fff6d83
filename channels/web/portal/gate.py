"""Who is at the portal: the kit's gate over portal sessions, turning away deactivated providers.

A provider deactivated since it signed in is told so on the sign-in page, with how to become
active again; so is one whose inquiry the policy refuses as inactive while a page is open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from eligibility_gw.appkeys import INQUIRIES
from eligibility_gw.channels.pages import gate as kit
from eligibility_gw.channels.pages.forms import Form, field, read_form
from eligibility_gw.channels.pages.frame import Frame
from eligibility_gw.channels.web.portal.rendering import PORTAL
from eligibility_gw.channels.web.portal.sessions import PortalSession, sessions_for
from eligibility_gw.domain.errors import ProviderInactive
from eligibility_gw.domain.provider import Provider

__all__ = [
    "GATE",
    "Form",
    "Visit",
    "deactivated_page",
    "field",
    "home_or_signin",
    "read_form",
    "signed_in",
    "signin_page",
]


class Visit(kit.Visit[PortalSession, Provider]):
    """A signed-in provider's request: its session, the provider, and the page frame."""

    __slots__ = ()

    @property
    def provider(self) -> Provider:
        """The provider signed in."""
        return self.principal


async def _active_provider(request: web.Request, session: PortalSession) -> Provider | None:
    provider = await request.config_dict[INQUIRIES].provider(session.principal)
    return provider if provider is not None and provider.active else None


def _visit(
    _request: web.Request, session: PortalSession, provider: Provider, frame: Frame[Provider]
) -> Visit:
    return Visit(session, provider, frame)


GATE = kit.Gate(PORTAL, sessions_for, _active_provider, _visit, (ProviderInactive,))

VisitHandler = Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]
signin_page = GATE.signin_page
#: Tell a deactivated provider so, and how to become active again (403).
deactivated_page = GATE.turned_away_page
home_or_signin = GATE.home_or_signin


def signed_in(handler: VisitHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Run ``handler`` for a signed-in provider; POST forms must carry the session's token.

    What the inquiry policy refuses the handler is answered with a page in words.
    """
    return GATE.page(handler)
