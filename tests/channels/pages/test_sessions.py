"""Sessions kept by the kit: fresh ids, an absolute expiry, bad state dropped, old state read."""

from __future__ import annotations

import time

import pytest

from eligibility_gw.adapters.memory.state import MemoryKeyValueStore
from eligibility_gw.channels.console.sessions import StaffSession, StaffSessions
from eligibility_gw.channels.pages.tokens import well_formed
from eligibility_gw.channels.web.portal.sessions import PortalSession, PortalSessions
from eligibility_gw.keyvalue import Sessions

LIFETIME = 600


@pytest.fixture
async def kv() -> MemoryKeyValueStore:
    return MemoryKeyValueStore()


async def test_a_session_starts_under_fresh_unguessable_ids(kv: MemoryKeyValueStore) -> None:
    store = PortalSessions(kv, LIFETIME)
    first = await store.start("demo-pharmacy", "fa")
    second = await store.start("demo-pharmacy", "fa")
    assert first.session_id != second.session_id and first.csrf != second.csrf
    assert well_formed(first.session_id) and well_formed(first.csrf)
    assert first.session_id != first.csrf
    loaded = await store.load(first.session_id)
    assert loaded == first
    assert isinstance(loaded, PortalSession)


async def test_a_session_ends_at_its_absolute_expiry_whatever_it_did(
    kv: MemoryKeyValueStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StaffSessions(kv, LIFETIME)
    session = await store.start("amina", "en")
    session = await store.set_language(session, "fa")  # a change keeps the expiry
    assert session.expires_at == pytest.approx(time.time() + LIFETIME, abs=5)
    later = time.time() + LIFETIME + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert await store.load(session.session_id) is None
    monkeypatch.undo()
    assert await Sessions(kv, "console", LIFETIME).load(session.session_id) is None  # dropped


@pytest.mark.parametrize(
    "spoil",
    [
        {"username": None} | {"csrf": None, "expires_at": "soon"},
        {"refs": "not a map"},
        {"queries": ["a", "list"]},
        {"expires_at": None},
    ],
)
async def test_state_that_cannot_be_read_is_dropped(
    kv: MemoryKeyValueStore, spoil: dict[str, object]
) -> None:
    store = StaffSessions(kv, LIFETIME)
    session = await store.start("amina", "en")
    raw = Sessions(kv, "console", LIFETIME)
    await raw.save(session.session_id, session.as_state() | spoil)
    assert await store.load(session.session_id) is None
    assert await raw.load(session.session_id) is None


async def test_state_missing_a_field_is_dropped(kv: MemoryKeyValueStore) -> None:
    store = PortalSessions(kv, LIFETIME)
    session = await store.start("demo-pharmacy", "en")
    state = session.as_state()
    del state["provider_id"]
    await Sessions(kv, "portal", LIFETIME).save(session.session_id, state)
    assert await store.load(session.session_id) is None


@pytest.mark.parametrize("session_id", [None, "", "short", "x" * 65, "bad id with spaces" * 3])
async def test_a_malformed_id_is_no_session(
    kv: MemoryKeyValueStore, session_id: str | None
) -> None:
    assert await PortalSessions(kv, LIFETIME).load(session_id) is None


async def test_sessions_stored_before_the_kit_are_still_read(kv: MemoryKeyValueStore) -> None:
    """A deployment does not sign everybody out: the stored shape is each page set's own."""
    expires = time.time() + 60
    portal_id, console_id = "p" * 43, "c" * 43
    await Sessions(kv, "portal", LIFETIME).save(
        portal_id,
        {"provider_id": "demo-pharmacy", "language": "fa", "csrf": "t" * 43, "expires_at": expires},
    )
    await Sessions(kv, "console", LIFETIME).save(
        console_id,
        {
            "username": "amina",
            "language": "en",
            "csrf": "u" * 43,
            "expires_at": expires,
            "ref_key": "k" * 43,
            "refs": {"r1": "1000000052"},
            "queries": {"q1": "phone:+989121110001"},
        },
    )
    provider = await PortalSessions(kv, LIFETIME).load(portal_id)
    assert provider == PortalSession(portal_id, "demo-pharmacy", "fa", "t" * 43, expires)
    staff = await StaffSessions(kv, LIFETIME).load(console_id)
    assert isinstance(staff, StaffSession)
    assert (staff.username, staff.ref_key) == ("amina", "k" * 43)
    assert staff.national_id_of("r1") == "1000000052"
    assert staff.query_of("q1") == "phone:+989121110001"
    assert staff.as_state() == await Sessions(kv, "console", LIFETIME).load(console_id)
