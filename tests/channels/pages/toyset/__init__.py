"""A page set made only of the kit, for the kit's own tests: members sign in by name.

Its texts are not in any catalog, so its pages show the kit's message ids themselves
(``toy.error.csrf``…): what a test reads is which words the kit chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from aiohttp import web

from eligibility_gw.appkeys import STATE
from eligibility_gw.channels.pages.app import limit_forms, mount_pages, page_app
from eligibility_gw.channels.pages.forms import PageError, UnreadableForm, field
from eligibility_gw.channels.pages.frame import Frame, Site
from eligibility_gw.channels.pages.gate import Gate, Visit
from eligibility_gw.channels.pages.rendering import render
from eligibility_gw.channels.pages.sessions import Session, SessionStore
from eligibility_gw.channels.web.negotiation import language_of
from eligibility_gw.domain.errors import InvalidNationalId, NotPermitted, QuotaExceeded
from eligibility_gw.ports import KeyValueStore, StoreUnavailable
from eligibility_gw.settings import Settings

SESSION_MINUTES = 30
MAX_FORM_BYTES = 2048


@dataclass(frozen=True)
class Member:
    """Who may sign in to the toy pages."""

    name: str
    boss: bool = False
    active: bool = True


@dataclass(frozen=True)
class ToyKnobs:
    """The toy page set's settings."""

    cookie_secure: bool = True
    session_minutes: int = SESSION_MINUTES


#: The members by name (changed by tests while the app runs).
MEMBERS = web.AppKey("toy_members", dict[str, Member])
KNOBS = web.AppKey("toy_knobs", ToyKnobs)

TOY: Site[Member] = Site(
    "toy",
    "tests.channels.pages.toyset",
    turned_away="toy.signin.retired",
    knobs=lambda request: request.config_dict[KNOBS],
    frame_type=Frame,
    language_of=language_of,
)


@dataclass(frozen=True, slots=True)
class ToySession(Session):
    """A toy session, counting the member's clicks (a field the page set adds)."""

    PRINCIPAL_KEY: ClassVar[str] = "member"
    clicks: int = 0

    @classmethod
    def own_fields(cls, state: Any) -> dict[str, Any]:
        """The clicks kept in ``state``."""
        return {"clicks": int(state["clicks"])}


class ToySessions(SessionStore[ToySession]):
    """The toy page set's sessions."""

    def __init__(self, kv: KeyValueStore, lifetime_seconds: int) -> None:
        super().__init__(kv, TOY.name, lifetime_seconds, ToySession)


class Retired(Exception):
    """A member retired while a page was open (what the policy would refuse)."""


def sessions_for(request: web.Request) -> ToySessions:
    """The toy sessions in the gateway's ``STATE``."""
    return ToySessions(request.config_dict[STATE], SESSION_MINUTES * 60)


async def _member(request: web.Request, session: ToySession) -> Member | None:
    member = request.config_dict[MEMBERS].get(session.principal)
    return member if member is not None and member.active else None


def _visit(
    _request: web.Request, session: ToySession, member: Member, frame: Frame[Member]
) -> Visit[ToySession, Member]:
    return Visit(session, member, frame)


GATE: Gate[ToySession, Member, Visit[ToySession, Member]] = Gate(
    TOY, sessions_for, _member, _visit, (Retired,)
)
ToyVisit = Visit[ToySession, Member]


async def _page(_request: web.Request, visit: ToyVisit) -> web.StreamResponse:
    return render(visit.frame, "page.html", clicks=visit.session.clicks)


async def home(request: web.Request) -> web.StreamResponse:
    """The member's page, or the sign-in form."""
    return await GATE.home_or_signin(request, _page)


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Sign a member in by name (``flood`` stands for a client past its failed sign-ins)."""
    form = await GATE.signin_form(request)
    language = field(form, "lang") or "en"
    name = field(form, "name")
    if name == "flood":
        return await GATE.throttled_page(request, language, 90)
    member = request.config_dict[MEMBERS].get(name)
    if member is None or not member.active:
        again = {"name": name}
        return await GATE.signin_page(request, 401, "toy.signin.wrong", language, values=again)
    return await GATE.start_session(request, name, language)


async def _click(request: web.Request, visit: ToyVisit) -> web.StreamResponse:
    await sessions_for(request).change(visit.session, clicks=visit.session.clicks + 1)
    return web.Response(text="clicked")


async def _retire(request: web.Request, visit: ToyVisit) -> web.StreamResponse:
    raise Retired(visit.principal.name)


def _is_boss(visit: ToyVisit) -> bool:
    return visit.principal.boss


#: What ``/raise/{kind}`` raises, for the error pages' table.
RAISED: dict[str, Exception] = {
    "page": PageError(409, "toy.error.taken", what="seat"),
    "form": UnreadableForm(),
    "store": StoreUnavailable("disk full"),
    "quota": QuotaExceeded("spent", scope="asker", retry_after=0, limit=3),
    "refused": NotPermitted("not on file"),
    "input": InvalidNationalId("bad id", field="national_id"),
    "missing": web.HTTPNotFound(),
    "busy": web.HTTPTooManyRequests(headers={"Retry-After": "30"}),
    "moved": web.HTTPFound("/toy/"),
    "bug": RuntimeError("the disk is on fire"),
}


async def raise_(request: web.Request) -> web.StreamResponse:
    """Raise what the path names (ungated)."""
    raise RAISED[request.match_info["kind"]]


def mount(members: dict[str, Member], knobs: ToyKnobs) -> Any:
    """A channel mount for ``create_app``: the toy pages under ``/toy/``."""

    def mount_toy(app: web.Application, _settings: Settings) -> None:
        toy = page_app(GATE, home, sign_in)
        toy[MEMBERS] = members
        toy[KNOBS] = knobs
        toy.router.add_post("/click", GATE.page(_click))
        toy.router.add_post("/retire", GATE.page(_retire))
        toy.router.add_get("/boss", GATE.page(_page, _is_boss, "toy.error.bosses_only"))
        toy.router.add_get("/raise/{kind}", raise_)
        mount_pages(app, toy, GATE)
        limit_forms(app, GATE, MAX_FORM_BYTES)

    return mount_toy
