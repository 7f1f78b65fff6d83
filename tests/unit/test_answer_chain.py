"""Linking drafts into the answer log's hash chain (pure: no store)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from eligibility_gw.domain.answer import GENESIS_HASH, chain_hash, chain_payload, link
from eligibility_gw.domain.tracking import TrackingCode
from tests.integration.test_answer_log import _draft

CODES = [TrackingCode.new(), TrackingCode.new()]


START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ticks = itertools.count(1)


def _clock() -> datetime:
    """A clock one second later on every reading."""
    return START + timedelta(seconds=next(_ticks))


def test_link_numbers_and_chains_each_draft_after_the_last_row() -> None:
    drafts = [_draft(), _draft(asker_id="pharmacy-2")]
    linked = link(drafts, CODES, 41, "ab" * 32, _clock)
    (first, p1), (second, p2) = linked
    assert (first.seq, second.seq) == (42, 43)
    assert first.prev_hash == "ab" * 32
    assert second.prev_hash == first.row_hash
    assert first.row_hash == chain_hash("ab" * 32, p1)
    assert second.row_hash == chain_hash(first.row_hash, p2)
    assert p2 == chain_payload(43, CODES[1].digits, second.created_at.isoformat(), drafts[1])
    assert second.created_at > first.created_at
    assert [r.draft for r, _ in linked] == drafts


def test_link_of_nothing_is_nothing() -> None:
    assert link([], [], 0, GENESIS_HASH, _clock) == []
