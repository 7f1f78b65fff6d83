"""How each dialect finds the newest input: never by parsing the history as a menu path."""

from __future__ import annotations

import pytest

from eligibility_gw.channels.ussd.africastalking import read_history
from eligibility_gw.channels.ussd.hops import (
    Expired,
    Hangup,
    Input,
    OutOfStep,
    Reading,
    Repeat,
    Start,
)
from eligibility_gw.channels.ussd.hubtel import read_sequence


@pytest.mark.parametrize(
    ("text", "seen", "reading"),
    [
        ("", None, Start("")),
        ("1", None, Expired()),
        ("", "", Repeat()),
        ("2", "", Input("2", "2")),
        ("2*98", "2", Input("98", "2*98")),
        ("2*98", "2*98", Repeat()),
        ("2*98*0", "2*98", Input("0", "2*98*0")),
        ("2*", "2", Input("", "2*")),
        ("1*0499*370*899", "1", Input("0499*370*899", "1*0499*370*899")),
        ("3*1", "2", OutOfStep()),
        ("2", "2*98", OutOfStep()),
        ("22", "2", OutOfStep()),
    ],
)
def test_africastalking_reads_what_follows_the_history(
    text: str, seen: str | None, reading: Reading
) -> None:
    assert read_history(text, seen) == reading


@pytest.mark.parametrize(
    ("kind", "sequence", "message", "seen", "reading"),
    [
        ("initiation", "1", "*713#", None, Start("1")),
        ("initiation", "1", "*713#", "1", Repeat()),
        ("initiation", "1", "*713#", "3", OutOfStep()),
        ("initiation", "", "*713#", "", Start("")),
        ("response", "2", "1", None, Expired()),
        ("response", "2", "1", "1", Input("1", "2")),
        ("response", "2", "1", "2", Repeat()),
        ("response", "2", "1", "3", OutOfStep()),
        ("response", "", "1", "", Input("1", "")),
        ("release", "3", "", "2", Hangup()),
        ("timeout", "3", "", None, Hangup()),
    ],
)
def test_hubtel_reads_by_sequence(
    kind: str, sequence: str, message: str, seen: str | None, reading: Reading
) -> None:
    assert read_sequence(kind, sequence, message, seen) == reading
