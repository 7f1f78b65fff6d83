"""Reminder texts (who, from when, why, the document and how to send it; SMS segments in each
language), what an upload is by its first bytes, and the ``[reminders]``/``[uploads]`` knobs."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields, replace
from datetime import date, timedelta
from typing import Any

import pytest

from eligibility_gw.domain.model import CoverPeriod, MaritalStatus, Sex
from eligibility_gw.domain.reminders import DueReminder, EndingRule, due_reminders
from eligibility_gw.reminders import Route, reminder_text
from eligibility_gw.rulepacks import load_rule_pack
from eligibility_gw.settings import (
    ReminderSettings,
    SettingsError,
    UploadSettings,
    default_config_text,
    parse_settings,
)
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.uploads import extension, sniff
from eligibility_gw.wording import Wording, available_languages
from tests.integration.upload_samples import NOT_A_PDF, NOT_AN_IMAGE, jpeg_like, pdf, png
from tests.unit.builders import birth_certificate, dependent, family, principal, student

TODAY = date(2026, 11, 23)
PACK = load_rule_pack("ir-tamin")
PHONE = "+989121110001"


def _one_of_each_rule() -> list[DueReminder]:
    """A reminder for each rule, with long names (the worst case for SMS room)."""
    last = TODAY + timedelta(days=7)
    first = last + timedelta(days=1)
    head = replace(
        principal(CoverPeriod(date(2020, 1, 1), date(2030, 12, 31))),
        phone=PHONE,
        given_name="Mohammadreza",
        family_name="Hosseinzadeh",
    )
    son = dependent("child", first.replace(year=first.year - 19), Sex.MALE)
    student_son = dependent(
        "child", date(2005, 1, 1), Sex.MALE, documents=(student(last),), national_id="2000000003"
    )
    daughter = dependent(
        "child",
        first.replace(year=first.year - 19),
        Sex.FEMALE,
        national_id="2000000004",
    )
    married = dependent(
        "child",
        first.replace(year=first.year - 19),
        Sex.FEMALE,
        national_id="2000000005",
        documents=(birth_certificate(),),
        marital=MaritalStatus.MARRIED,
    )
    named = [
        replace(p, given_name="Abolfazl", family_name="Hosseinzadeh")
        for p in (son, student_son, daughter, married)
    ]
    found = due_reminders(family(head, *named), TODAY, PACK)
    ending_head = replace(head, cover_periods=(CoverPeriod(date(2020, 1, 1), last),))
    found += due_reminders(family(ending_head), TODAY, PACK)
    return found


REMINDERS = _one_of_each_rule()


def test_every_rule_is_covered() -> None:
    assert {r.ending.rule for r in REMINDERS} == {
        EndingRule.AGE,
        EndingRule.DOCUMENT_ENDS,
        EndingRule.OTHER,
        EndingRule.COVER_PERIOD,
    }


@pytest.mark.parametrize("reminder", REMINDERS, ids=lambda r: f"{r.ending.rule}-{r.national_id}")
def test_english_reminders_fit_one_sms(reminder: DueReminder) -> None:
    w = Wording("en")
    text = reminder_text(w, reminder, Route.SMS, True, "1420")
    assert sms_segments(text) == 1, text
    assert w.date(reminder.ending.first_uncovered) in text
    assert reminder.ending.member.given_name in text
    if reminder.ending.document:
        assert w.document(reminder.ending.document) in text
        assert "photo" in text
    else:
        assert "1420" in text


@pytest.mark.parametrize("language", [lang for lang in available_languages() if lang != "en"])
@pytest.mark.parametrize("reminder", REMINDERS, ids=lambda r: f"{r.ending.rule}-{r.national_id}")
def test_reminders_in_every_other_language_fit_two_sms_and_keep_every_part(
    reminder: DueReminder, language: str
) -> None:
    """In UCS-2 (Persian, Romanian with its diacritics, Russian…) two SMS at the most."""
    w = Wording(language)
    text = reminder_text(w, reminder, Route.SMS, True, "1420")
    assert sms_segments(text) <= 2, text
    assert w.date(reminder.ending.first_uncovered) in text
    assert reminder.ending.member.given_name in text
    if reminder.ending.document:
        assert w.document(reminder.ending.document) in text
    else:
        assert w.digits("1420") in text


def test_without_uploads_the_reminder_says_bring_it_to_a_branch() -> None:
    age = next(r for r in REMINDERS if r.ending.rule is EndingRule.AGE)
    text = reminder_text(Wording("en"), age, Route.SMS, False, "1420")
    assert "bring a valid student certificate to a branch" in text
    assert "photo" not in text


def test_telegram_gets_the_fullest_text() -> None:
    age = next(r for r in REMINDERS if r.ending.rule is EndingRule.AGE)
    text = reminder_text(Wording("en"), age, Route.TELEGRAM, True, "1420")
    assert text.startswith("Abolfazl Hosseinzadeh: no cover from ")
    assert "turns 19, student certificate needed" in text
    assert text.endswith(
        "send a photo or PDF of a valid student certificate here, or bring it to a branch."
    )


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (png(), "image/png"),
        (jpeg_like(), "image/jpeg"),
        (pdf(), "application/pdf"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (NOT_A_PDF, None),
        (NOT_AN_IMAGE, None),
        (b"", None),
        (b"%PD", None),
    ],
)
def test_a_file_is_what_its_first_bytes_say(content: bytes, kind: str | None) -> None:
    assert sniff(content) == kind


def test_extensions() -> None:
    assert [extension(k) for k in ("image/jpeg", "application/pdf", "text/html")] == [
        "jpg",
        "pdf",
        "bin",
    ]


def _settings(**sections: Any) -> Any:
    return parse_settings(sections)


def test_the_knobs_defaults() -> None:
    s = _settings()
    assert s.reminders.quiet_hours == "21:00-08:00" and s.reminders.daily_at == ""
    assert s.uploads.max_bytes == 10 * 1024 * 1024
    assert set(s.uploads.content_types) == {"image/jpeg", "image/png", "application/pdf"}
    quiet = _settings(reminders={"quiet_hours": ""}).reminders.quiet
    assert quiet is None


@pytest.mark.parametrize(
    ("sections", "problem"),
    [
        ({"reminders": {"quiet_hours": "21:00"}}, "quiet_hours"),
        ({"reminders": {"quiet_hours": "25:00-08:00"}}, "quiet_hours"),
        ({"reminders": {"daily_at": "9:30"}}, "daily_at"),
        ({"reminders": {"per_run": 0}}, "per_run"),
        ({"reminders": {"sometimes": True}}, "unknown"),
        ({"uploads": {"content_types": ["text/html"]}}, "content_types"),
        ({"uploads": {"max_bytes": 0}}, "max_bytes"),
        ({"uploads": {"retention_days": -1}}, "retention_days"),
        ({"uploads": {"enabled": "yes"}}, "enabled"),
    ],
)
def test_bad_knobs_are_refused_in_words(sections: dict[str, Any], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        _settings(**sections)


@pytest.mark.parametrize(
    ("section", "cls"), [("reminders", ReminderSettings), ("uploads", UploadSettings)]
)
def test_every_knob_is_documented_with_its_default(section: str, cls: type) -> None:
    text = default_config_text()
    block = text[text.index(f"[{section}]\n") :].split("\n\n", 1)[0]
    lines = [line[2:] for line in block.splitlines() if re.match(r"^# [a-z_]+ = ", line)]
    documented = tomllib.loads("\n".join(lines))
    assert set(documented) == {f.name for f in fields(cls)}
    assert getattr(parse_settings({section: documented}), section) == cls()
