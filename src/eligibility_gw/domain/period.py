"""Answers for a service period: covered only when covered on every day of it.

``decide()`` answers one day and gives the last day of the covered run that holds it (the
cover end, which follows from every rule). A period is covered when the run reaches its last
day; otherwise the answer is the first uncovered day's, led by ``COVER_ENDS_IN_PERIOD``.
"""

from __future__ import annotations

from datetime import date, timedelta

from eligibility_gw.domain.model import Decision, Reason, Status

COVER_ENDS_IN_PERIOD = "COVER_ENDS_IN_PERIOD"


def first_day_to_decide(covered: Decision, until: date) -> date | None:
    """The day after ``covered``'s run when that run ends before ``until``; else None.

    None also when ``covered`` is not eligible: it is the period's answer as it stands.
    """
    if covered.status is not Status.ELIGIBLE or covered.cover_end is None:
        return None
    if covered.cover_end >= until:
        return None
    return covered.cover_end + timedelta(days=1)


def lapsed_within(last_covered: date, after: Decision) -> Decision:
    """The period's answer when cover stops after ``last_covered``: ``after`` is the answer
    for the next day, whose reasons say why (a certificate, a birthday, the cover's end)."""
    ends = Reason(COVER_ENDS_IN_PERIOD, params=(("ends_on", last_covered.isoformat()),))
    return Decision(
        status=after.status,
        reasons=(ends, *after.reasons),
        cover_end=None,
        rule_pack=after.rule_pack,
        rule_pack_version=after.rule_pack_version,
        cover_ended=None,
        category=after.category,
        privileges=after.privileges,
    )
