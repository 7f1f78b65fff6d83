"""The portal as a page set of the kit: its frame, its pages' rendering, its error pages."""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.channels.pages import rendering as kit
from eligibility_gw.channels.pages.forms import PageError, see_other
from eligibility_gw.channels.pages.frame import FRAME, Frame, Site, offered_languages
from eligibility_gw.channels.pages.rendering import render
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.channels.web.settings import WebSettings
from eligibility_gw.domain.provider import Provider

__all__ = [
    "BASE",
    "FRAME",
    "PORTAL",
    "PORTAL_SETTINGS",
    "PortalError",
    "PortalFrame",
    "offered_languages",
    "render",
    "see_other",
    "stylesheet_text",
]

#: The web channel's knobs, on the portal's sub-application.
PORTAL_SETTINGS = web.AppKey("portal_settings", WebSettings)
#: The portal's refusals: a page in words (kept under its historical name).
PortalError = PageError


class PortalFrame(Frame[Provider]):
    """The kit's frame, naming the signed-in provider for the portal's templates."""

    __slots__ = ()

    @property
    def provider(self) -> Provider | None:
        """The provider signed in (None on the sign-in page)."""
        return self.principal


PORTAL: Site[Provider] = Site(
    "portal",
    "eligibility_gw.channels.web.portal",
    turned_away="portal.signin.deactivated",
    knobs=lambda request: request.config_dict[PORTAL_SETTINGS],
    frame_type=PortalFrame,
    language_of=language_of,
)
BASE = PORTAL.base


def stylesheet_text() -> str:
    """The kit's stylesheet, then the portal's own rules."""
    return kit.stylesheet_text(PORTAL)
