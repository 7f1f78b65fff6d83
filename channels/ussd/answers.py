"""The last screen of a session: an answer, a verified code or a refusal, cut to the budget.

What a screen may say is the core's decision: it renders a ``Disclosure`` (the view of the
one who asked) and nothing else, so a provider's screen has no date of the member's to show.
Words come from the shared catalogs (``status.*``, ``short.*``, reasons in their short form,
dates through ``Wording.date``), so an answer reads as it does by SMS. When the richest form
does not fit one screen, less important parts are dropped in a fixed order; the leanest form
(status and tracking code) always fits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from eligibility_gw.channels.ussd.screens import Budget, lines
from eligibility_gw.domain.model import Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure, View
from eligibility_gw.presenting import PresentedAnswer, present
from eligibility_gw.wording import Wording


@dataclass(frozen=True, slots=True)
class Answered:
    """A logged answer, as its asker may read it."""

    shown: Disclosure


@dataclass(frozen=True, slots=True)
class Verified:
    """A recorded answer this phone received: only its status and date are shown."""

    shown: Disclosure


@dataclass(frozen=True, slots=True)
class Refused:
    """The session ends with a message (a message id and its parameters).

    Parameters made of digits are written in the screen's digits when rendered.
    """

    message: str
    params: Mapping[str, str] = field(default_factory=dict)


Outcome = Answered | Verified | Refused


def render_outcome(outcome: Outcome, w: Wording, pack: RulePack, budget: Budget) -> str:
    """The final screen for ``outcome``."""
    if isinstance(outcome, Refused):
        params = {k: _param(k, v, w) for k, v in outcome.params.items()}
        minutes = outcome.params.get("minutes", "")
        if minutes.isdigit():  # a quota's wait: the form its count takes
            return w.n(outcome.message, int(minutes), **params)
        return w.t(outcome.message, **params)
    if isinstance(outcome, Verified):
        return _verified(outcome.shown, w)
    for text in answer_forms(outcome.shown, w, pack):
        if budget.fits(text):
            return text
    raise AssertionError("the leanest answer form always fits")  # pragma: no cover


def _param(name: str, value: str, w: Wording) -> str:
    """A refusal's parameter as the screen shows it: a date in the reader's form, digits in
    the reader's digits."""
    if name.endswith(("_updated", "_on")):
        try:
            return w.date(date.fromisoformat(value))
        except ValueError:
            pass
    return w.digits(value)


def _code(shown: Disclosure, w: Wording) -> str:
    return w.t("short.label.code", code=w.digits(shown.tracking_code.grouped()))


def _short_status(status: Status, w: Wording) -> str:
    return w.t(f"short.status.{status.value}")


def _verified(shown: Disclosure, w: Wording) -> str:
    return w.t(
        "ussd.verify.result",
        code=w.digits(shown.tracking_code.grouped()),
        status=_short_status(shown.status, w),
        date=w.date(shown.service_date),
    )


def _stated(said: str, p: PresentedAnswer, w: Wording) -> str:
    """The status with the date its reader may know.

    A provider reads the status on the service date (never a date of the member's); the
    insured read until when cover runs, or the last day it ran.
    """
    if p.view is View.PROVIDER:
        return w.t("ussd.answer.on", status=said, date=p.service_date_text)
    if p.cover_end_text:
        return f"{said} {w.t('short.label.until', date=p.cover_end_text)}"
    if p.cover_ended_text:
        return f"{said} ({w.t('short.label.ended', date=p.cover_ended_text)})"
    return said


def answer_forms(shown: Disclosure, w: Wording, pack: RulePack) -> Iterator[str]:
    """Every form of the answer, richest first, ending with one that always fits."""
    p = present(shown, w, pack)
    code = _code(shown, w)
    if shown.view is View.PROVIDER:
        who = (
            w.t(
                "ussd.member", name=p.member_name, relationship=w.relationship_short(p.relationship)
            )
            if p.member_name and p.relationship
            else None
        )
    else:
        who = shown.given_name
    # An eligible answer carries notices only (decided on documents on file): shown too.
    # The disclosure's reasons: a provider's are undated, so their short form names no date.
    words = [w.reason(r, short=True) for r in shown.reasons]
    resolve = w.t("short.resolve") if shown.documents_to_bring else None
    why_forms: list[str | None] = []
    for chosen in (words, words[:1]):
        if chosen and resolve:
            why_forms.append("; ".join([*chosen, resolve]))
        if chosen:
            why_forms.append("; ".join(chosen))
    why_forms.append(None)
    statuses = (_stated(p.status_text, p, w), _stated(_short_status(shown.status, w), p, w))
    # What a privilege asks of a provider is never left out (nor, for the insured, the
    # privilege and its end, shortest last); the category goes first where room is short.
    told = _privileges(p, w)
    category = [w.t("short.label.category", code=w.digits(p.category))] if p.category else []
    extras = [*([[*category, *f] for f in told] if category else []), *told]
    # Why matters more than who: the name is dropped before the reason is cut.
    for extra in extras:
        for why in dict.fromkeys(why_forms):
            for person in (who, None) if who else (None,):
                for said in statuses:
                    if person and shown.view is not View.PROVIDER:
                        yield lines(f"{person}: {said}", *extra, why, code)
                    else:
                        yield lines(person, said, *extra, why, code)
    yield lines(_short_status(shown.status, w), *told[-1], code)
    yield lines(_short_status(shown.status, w), code)


def _privileges(p: PresentedAnswer, w: Wording) -> list[list[str]]:
    """The privileges' lines, richest first: with names (and ends, for the insured), then
    only what a provider must do (or only the names)."""
    if not p.privileges:
        return [[]]
    named = []
    bare = []
    for held in p.privileges:
        until = f" {w.t('short.label.until', date=held.until_text)}" if held.until_text else ""
        what = held.short_instruction
        named.append(f"{held.name}{until}: {what}" if what else f"{held.name}{until}")
        bare.append(what or f"{held.marker or held.name}{until}")
    return [named, bare] if named != bare else [named]
