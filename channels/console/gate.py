"""Who is at the console: the kit's gate over staff sessions, turning away disabled accounts.

Every page but the sign-in page goes through ``staff_page`` (or ``supervisor_page``, which
also turns agents away with a 403 page in words).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from eligibility_gw.appkeys import CASEWORK, STATE
from eligibility_gw.channels.console.rendering import CONSOLE, console_settings_of
from eligibility_gw.channels.console.sessions import StaffSession, StaffSessions
from eligibility_gw.channels.pages import gate as kit
from eligibility_gw.channels.pages.frame import Frame
from eligibility_gw.policy.askers import Asker
from eligibility_gw.ports.casework import ConsoleStore, StaffAccount

__all__ = [
    "GATE",
    "StaffVisit",
    "console_settings_of",
    "home_or_signin",
    "sessions_for",
    "staff_page",
    "store_of",
    "supervisor_page",
]


@dataclass(frozen=True, slots=True)
class StaffVisit(kit.Visit[StaffSession, StaffAccount]):
    """A signed-in staff member's request: session, account, page frame and the store."""

    store: ConsoleStore

    @property
    def staff(self) -> StaffAccount:
        """The staff member signed in."""
        return self.principal

    @property
    def asker(self) -> Asker:
        """Who asks the service on this visit: the signed-in staff member."""
        return Asker.for_staff(self.staff.username)


VisitHandler = Callable[[web.Request, StaffVisit], Awaitable[web.StreamResponse]]
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]


def store_of(request: web.Request) -> ConsoleStore:
    """What the console keeps: staff, disputes, corrections, the access log."""
    return request.config_dict[CASEWORK]


def sessions_for(request: web.Request) -> StaffSessions:
    """The session store under this console's knobs (in the gateway's ``STATE``)."""
    minutes = console_settings_of(request).session_minutes
    return StaffSessions(request.config_dict[STATE], minutes * 60)


async def _active_staff(request: web.Request, session: StaffSession) -> StaffAccount | None:
    staff = await store_of(request).get_staff(session.username)
    return staff if staff is not None and staff.active else None


def _visit(
    request: web.Request, session: StaffSession, staff: StaffAccount, frame: Frame[StaffAccount]
) -> StaffVisit:
    return StaffVisit(session, staff, frame, store_of(request))


GATE = kit.Gate(CONSOLE, sessions_for, _active_staff, _visit)
home_or_signin = GATE.home_or_signin


def staff_page(handler: VisitHandler) -> Page:
    """Run ``handler`` for any signed-in staff member."""
    return GATE.page(handler)


def _is_supervisor(visit: StaffVisit) -> bool:
    return visit.staff.is_supervisor


def supervisor_page(handler: VisitHandler) -> Page:
    """Run ``handler`` for a signed-in supervisor; a 403 page for an agent."""
    return GATE.page(handler, _is_supervisor, "console.error.supervisors_only")
