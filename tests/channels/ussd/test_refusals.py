"""Each refusal of the core ends the session with its own screen, in every language."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eligibility_gw.channels.ussd.answers import render_outcome
from eligibility_gw.channels.ussd.backend import refusal
from eligibility_gw.channels.ussd.checks import NOTICES
from eligibility_gw.channels.ussd.screens import Budget
from eligibility_gw.domain.errors import (
    DateOutOfRange,
    EligibilityError,
    InvalidSetting,
    NotPermitted,
    ProviderInactive,
    QuotaExceeded,
)
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.wording import Wording, available_languages


@dataclass(frozen=True, slots=True)
class Case:
    """A refusal of the core and the screen that must end the session (English)."""

    label: str
    error: EligibilityError
    message: str
    text: str


def quota(scope: str, retry_after: int) -> QuotaExceeded:
    """A quota refusal as the core raises it."""
    return QuotaExceeded("too many", scope=scope, retry_after=retry_after, limit=3)


CASES = (
    Case(
        "the asker's own budget",
        quota("asker", 30),
        "ussd.end.quota.asker",
        "Too many inquiries. Please try again in 1 minute.",
    ),
    Case(
        "one provider about one person",
        quota("provider_national_id", 1770),
        "ussd.end.quota.provider_national_id",
        "You checked this person too often. Please try again in 30 minutes.",
    ),
    Case(
        "every provider about one person",
        quota("national_id", 3600),
        "ussd.end.quota.national_id",
        "This person was checked too often. Please try again in 60 minutes.",
    ),
    Case(
        "a deactivated provider",
        ProviderInactive("provider p1 is deactivated"),
        "ussd.info.deactivated",
        "This provider is deactivated: its inquiries are refused. Resend the establishment's "
        "registration data to the insurer to be activated again.",
    ),
    Case(
        "a person not on file for this phone",
        NotPermitted("not on file for this phone"),
        "ussd.end.not_on_file",
        "This phone is not on file for that person.",
    ),
    Case(
        "a date no longer in the window",
        DateOutOfRange("service date must lie between …"),
        "ussd.end.date_moved",
        "The date is no longer in range. Please dial again.",
    ),
    Case(
        "an input the menus never send",
        InvalidSetting("no such setting"),
        "ussd.end.unavailable",
        "The service is busy. Please try again shortly.",
    ),
)
BUDGET = Budget()


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_each_refusal_has_its_screen(case: Case) -> None:
    refused = refusal(case.error)
    assert refused.message == case.message
    pack = load_rule_pack("ir-tamin")
    assert render_outcome(refused, Wording("en"), pack, BUDGET) == case.text
    for language in available_languages():
        text = render_outcome(refused, Wording(language), pack, BUDGET)
        assert BUDGET.fits(text), text
        assert "{" not in text, text


def test_every_refusal_screen_is_checked_at_start_up() -> None:
    """The budget check renders every screen a refusal can end with."""
    screens = {refusal(c.error).message for c in CASES} - {"ussd.info.deactivated"}
    assert screens <= set(NOTICES)


def test_a_quota_screen_names_minutes_in_persian_digits() -> None:
    text = render_outcome(
        refusal(quota("national_id", 600)), Wording("fa"), load_rule_pack("ir-tamin"), BUDGET
    )
    assert text == "این فرد بیش از حد استعلام شده است. ۱۰ دقیقه دیگر تلاش کنید."
