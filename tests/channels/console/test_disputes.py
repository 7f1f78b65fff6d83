"""The dispute status machine, due times and dispute codes: pure functions, no I/O."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from eligibility_gw.domain.disputes import (
    OPEN_STATUSES,
    OUTCOMES,
    TRANSITIONS,
    DisputeAction,
    DisputeCode,
    DisputeStatus,
    InvalidDisputeCode,
    TransitionRefused,
    actions_from,
    due_time,
    is_overdue,
    next_status,
    resets_due_time,
)

S = DisputeStatus
A = DisputeAction
NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)

# --- the status machine ---------------------------------------------------------------------

ALLOWED = [
    (S.RECEIVED, A.START, S.IN_PROGRESS),
    (S.RECEIVED, A.REJECT, S.REJECTED),
    (S.IN_PROGRESS, A.RESOLVE, S.RESOLVED),
    (S.IN_PROGRESS, A.REJECT, S.REJECTED),
    (S.RESOLVED, A.CLOSE, S.CLOSED),
    (S.REJECTED, A.CLOSE, S.CLOSED),
    (S.RESOLVED, A.REOPEN, S.IN_PROGRESS),
    (S.REJECTED, A.REOPEN, S.IN_PROGRESS),
    (S.CLOSED, A.REOPEN, S.IN_PROGRESS),
]


@pytest.mark.parametrize(("before", "action", "after"), ALLOWED)
def test_allowed_transitions(before: S, action: A, after: S) -> None:
    assert next_status(before, action) is after


REFUSED = [
    (before, action)
    for before, action in itertools.product(S, A)
    if (before, action) not in {(b, a) for b, a, _ in ALLOWED}
]


@pytest.mark.parametrize(("before", "action"), REFUSED)
def test_every_other_transition_is_refused(before: S, action: A) -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(before, action)
    assert refused.value.current is before
    assert refused.value.action is action
    assert before.value in str(refused.value)


def test_the_table_holds_exactly_the_allowed_transitions() -> None:
    assert {(b, a): s for b, a, s in ALLOWED} == TRANSITIONS


def test_the_main_road_received_in_progress_resolved_closed() -> None:
    status = S.RECEIVED
    for action in (A.START, A.RESOLVE, A.CLOSE):
        status = next_status(status, action)
    assert status is S.CLOSED


def test_resolve_needs_work_started_first() -> None:
    with pytest.raises(TransitionRefused):
        next_status(S.RECEIVED, A.RESOLVE)


def test_every_status_is_reachable_and_none_is_a_dead_end() -> None:
    reachable = {S.RECEIVED}
    frontier = [S.RECEIVED]
    while frontier:
        current = frontier.pop()
        for action in actions_from(current):
            after = next_status(current, action)
            if after not in reachable:
                reachable.add(after)
                frontier.append(after)
    assert reachable == set(S)
    assert all(actions_from(s) for s in S)


def test_actions_offered_follow_the_table() -> None:
    assert actions_from(S.RECEIVED) == (A.START, A.REJECT)
    assert actions_from(S.IN_PROGRESS) == (A.RESOLVE, A.REJECT)
    assert actions_from(S.RESOLVED) == (A.CLOSE, A.REOPEN)
    assert actions_from(S.CLOSED) == (A.REOPEN,)


def test_open_statuses_and_outcomes() -> None:
    assert {S.RECEIVED, S.IN_PROGRESS} == OPEN_STATUSES
    assert {S.RESOLVED, S.REJECTED} == OUTCOMES
    assert [s for s in S if s.is_open] == [S.RECEIVED, S.IN_PROGRESS]


def test_only_reopening_starts_a_new_service_level_period() -> None:
    assert [a for a in A if resets_due_time(a)] == [A.REOPEN]


# --- due times ------------------------------------------------------------------------------


def test_due_time_is_the_service_level_after_opening() -> None:
    assert due_time(NOW, 48) == NOW + timedelta(hours=48)
    assert due_time(NOW, 1) == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        (S.RECEIVED, NOW - timedelta(seconds=1), True),
        (S.IN_PROGRESS, NOW - timedelta(hours=5), True),
        (S.RECEIVED, NOW, False),  # due now: not yet late
        (S.IN_PROGRESS, NOW + timedelta(hours=1), False),
        (S.RESOLVED, NOW - timedelta(days=3), False),  # done: never overdue
        (S.REJECTED, NOW - timedelta(days=3), False),
        (S.CLOSED, NOW - timedelta(days=3), False),
    ],
)
def test_overdue(status: S, due: datetime, overdue: bool) -> None:
    assert is_overdue(status, due, NOW) is overdue


# --- dispute codes --------------------------------------------------------------------------


def test_new_codes_pass_their_check_digit_and_read_back() -> None:
    codes = {DisputeCode.new() for _ in range(200)}
    assert len(codes) > 190
    for code in codes:
        assert len(code.digits) == 8
        assert DisputeCode.parse(code.grouped()) == code
        assert DisputeCode.parse(code.digits) == code


def test_grouped_form() -> None:
    code = DisputeCode("12345679")
    assert code.grouped() == "D-1234-5679"
    assert str(code) == "D-1234-5679"


@pytest.mark.parametrize(
    "typed",
    [
        "D-1234-5679",
        "d12345679",
        "D 1234 5679",
        "D-۱۲۳۴-۵۶۷۹",
        "D\u200f-1234-5679",
        "  D-1234-5679 ",
    ],
)
def test_codes_are_read_as_people_type_them(typed: str) -> None:
    assert DisputeCode.parse(typed) == DisputeCode("12345679")


def test_the_check_digit_of_the_example() -> None:
    from eligibility_gw.domain.tracking import verhoeff_check_digit

    assert verhoeff_check_digit("1234567") == 9


@pytest.mark.parametrize(
    "typed", ["D-1234-5674", "D-1234-567", "D-1234-56795", "D-12A4-5679", "", "D-", "X-1234-5679"]
)
def test_malformed_codes_are_refused(typed: str) -> None:
    with pytest.raises(InvalidDisputeCode):
        DisputeCode.parse(typed)


def test_every_single_digit_typo_and_adjacent_swap_is_caught() -> None:
    good = DisputeCode.new().digits
    for i in range(len(good)):
        for d in "0123456789":
            if d != good[i]:
                with pytest.raises(InvalidDisputeCode):
                    DisputeCode.parse(good[:i] + d + good[i + 1 :])
    for i in range(len(good) - 1):
        if good[i] != good[i + 1]:
            swapped = good[:i] + good[i + 1] + good[i] + good[i + 2 :]
            with pytest.raises(InvalidDisputeCode):
                DisputeCode.parse(swapped)


def test_looks_like() -> None:
    assert DisputeCode.looks_like("D-1234-5679")
    assert DisputeCode.looks_like("d1234")
    assert not DisputeCode.looks_like("0499370899")
