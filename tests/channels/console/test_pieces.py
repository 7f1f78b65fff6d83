"""Small pure pieces of the console: reading the search box, masks, session references."""

from __future__ import annotations

import pytest

from eligibility_gw.adapters.memory.state import MemoryKeyValueStore
from eligibility_gw.channels.console import sessions
from eligibility_gw.channels.console.lookup import (
    QueryKind,
    QueryRefused,
    guess_kind,
    read_query,
)
from eligibility_gw.channels.console.sessions import StaffSessions
from eligibility_gw.channels.console.views import mask_national_id, mask_phone
from eligibility_gw.rulepacks import load_rule_pack

PACK = load_rule_pack("ir-tamin")
K = QueryKind


@pytest.mark.parametrize(
    ("typed", "kind"),
    [
        ("1000000052", K.NATIONAL_ID),
        ("۱۰۰۰۰۰۰۰۵۲", K.NATIONAL_ID),
        ("499370899", K.NATIONAL_ID),  # a leading zero left out
        ("+989121110001", K.PHONE),
        ("00989121110001", K.PHONE),
        ("09121110001", K.PHONE),
        ("0912 111 0001", K.PHONE),
        ("4821-0937-5526", K.TRACKING_CODE),
        ("482109375526", K.TRACKING_CODE),
        ("0088-2503-0921", K.TRACKING_CODE),  # starts like 00 + a phone, passes the check digit
        ("D-1234-5679", K.DISPUTE_CODE),
        ("d 12345679", K.DISPUTE_CODE),
    ],
)
def test_the_kind_is_told_from_the_text(typed: str, kind: QueryKind) -> None:
    assert guess_kind(typed, PACK) is kind


def test_queries_are_normalised() -> None:
    assert read_query(" ۱۰۰۰۰۰۰۰۵۲ ", K.AUTO, PACK).value == "1000000052"
    assert read_query("499370899", K.AUTO, PACK).value == "0499370899"
    assert read_query("0912-111-0001", K.AUTO, PACK).value == "+989121110001"
    assert read_query("9121110001", K.PHONE, PACK).value == "+989121110001"
    assert read_query("D-1234-5679", K.AUTO, PACK).value == "12345679"


@pytest.mark.parametrize(
    ("typed", "kind", "message"),
    [
        ("", K.AUTO, "console.search.empty"),
        ("1" * 65, K.AUTO, "console.search.too_long"),
        ("+1", K.AUTO, "console.search.bad_phone"),
        ("D-1234-5678", K.AUTO, "console.search.bad_dispute_code"),
        ("1000000053", K.AUTO, "console.search.bad_input"),
        ("4821-0937-5527", K.AUTO, "console.search.bad_input"),
        ("1000000052", K.TRACKING_CODE, "console.search.bad_input"),
    ],
)
def test_refusals_name_their_message(typed: str, kind: QueryKind, message: str) -> None:
    with pytest.raises(QueryRefused) as refused:
        read_query(typed, kind, PACK)
    assert refused.value.message == message
    if message == "console.search.bad_input":
        assert refused.value.error is not None


def test_masks() -> None:
    assert mask_national_id("1000000052") == "******0052"
    assert mask_national_id("52") == "52"
    assert mask_phone("+989121110001") == "+98912***0001"
    assert mask_phone("12345") == "*****"
    assert mask_phone(None) == ""


async def test_session_references_are_stable_private_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kv = MemoryKeyValueStore()
    store = StaffSessions(kv, 600)
    first = await store.start("amina", "en")
    other = await store.start("sara", "en")
    assert first.ref_of("1000000052") == first.ref_of("1000000052")
    assert first.ref_of("1000000052") != other.ref_of("1000000052")
    assert first.national_id_of(first.ref_of("1000000052")) is None  # not handed out yet
    remembered = await store.remember(first, ["1000000052"])
    loaded = await store.load(first.session_id)
    assert loaded is not None
    assert loaded.national_id_of(remembered.ref_of("1000000052")) == "1000000052"
    monkeypatch.setattr(sessions, "MAX_REFS", 3)
    for n in ("1", "2", "3", "4"):
        loaded = await store.remember(loaded, [n])
    assert list(loaded.refs.values()) == ["2", "3", "4"]  # the oldest forgotten first
    loaded, token = await store.remember_query(loaded, "phone:+989121110001")
    again, same = await store.remember_query(loaded, "phone:+989121110001")
    assert token == same and again is loaded
    assert again.query_of(token) == "phone:+989121110001"
    await kv.close()


async def test_a_tampered_session_is_dropped() -> None:
    kv = MemoryKeyValueStore()
    store = StaffSessions(kv, 600)
    session = await store.start("amina", "en")
    state = session.as_state() | {"refs": ["not", "a", "map"]}
    await store._store.save(session.session_id, state)
    assert await store.load(session.session_id) is None
    assert await store.load(session.session_id) is None  # gone for good
    assert await store.load("short") is None
    assert await store.load(None) is None
    await kv.close()
