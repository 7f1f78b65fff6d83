"""Reply texts: a ``Disclosure`` in the shared short wording, cut to an SMS budget.

Each reply is built in a few variants, richest first; the one sent as the fewest SMS parts
wins (the richest among equals), and nothing is ever sent as more than
``textbudget.MAX_SMS_SEGMENTS`` parts. A reply says what its disclosure holds and nothing
more: a provider's never names a date of the member's, because the disclosure has none.
In a Persian reply a name in Latin letters is isolated (U+2068 … U+2069): a phone would
otherwise lay the whole SMS out left to right when it starts with that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import product

from eligibility_gw.domain.errors import EligibilityError, QuotaExceeded
from eligibility_gw.domain.model import Reason, Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.policy.disclosure import Disclosure, View, undated
from eligibility_gw.presenting import (
    category_name,
    privilege_instruction,
    privilege_name,
    resolve_text,
)
from eligibility_gw.textbudget import MAX_SMS_SEGMENTS, clip, fit, sms_segments
from eligibility_gw.wording import Wording

__all__ = [
    "MAX_SEGMENTS",
    "busy",
    "clip",
    "family_answer",
    "fit",
    "help_text",
    "insured_answer",
    "not_on_file",
    "provider_answer",
    "provider_inactive",
    "quota_exceeded",
    "rate_limited",
    "recorded_answer",
    "refusal",
    "thanks_for_report",
    "unavailable",
    "unknown_code",
]

MAX_SEGMENTS = MAX_SMS_SEGMENTS
#: Reasons that "ended <date>" already says in full ("no cover on this date"): dropped
#: before the name is, when a reply would otherwise take one more SMS (Persian: 70 a part).
_SAID_BY_ENDED = frozenset({"OUTSIDE_COVER_PERIOD"})


def _join(*parts: str, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)


def _code(w: Wording, shown: Disclosure) -> str:
    return w.t("short.label.code", code=w.digits(shown.tracking_code.grouped()))


def _status(w: Wording, status: Status) -> str:
    return w.t(f"short.status.{status.value}")


def _on(w: Wording, shown: Disclosure, show: bool) -> str:
    return w.t("sms.label.on", date=w.date(shown.service_date)) if show else ""


def _reasons(w: Wording, reasons: Sequence[Reason]) -> str:
    return w.t("sms.list_sep").join(w.reason(r, short=True) for r in reasons)


def _stated(w: Wording, status: str, reasons: str) -> str:
    return f"{status}: {reasons}" if reasons else status


def _headed(who: str, body: str) -> str:
    return f"{who}: {body}" if who else body


def _cover(w: Wording, shown: Disclosure, with_ended: bool = True) -> str:
    """The status and its date for the insured: until when (covered), since when not."""
    status = _status(w, shown.status)
    if shown.cover_end is not None:
        return _join(status, w.t("short.label.until", date=w.date(shown.cover_end)))
    if shown.cover_ended is not None and with_ended:
        ended = w.t("short.label.ended", date=w.date(shown.cover_ended))
        return _join(status, ended, sep=w.t("sms.list_sep"))
    return status


def _resolves(w: Wording, pack: RulePack, shown: Disclosure) -> list[str]:
    """What to bring where, once per document kind."""
    seen: set[str] = set()
    found: list[str] = []
    for r in shown.reasons:
        if r.resolve_with is None or r.resolve_with in seen:
            continue
        seen.add(r.resolve_with)
        text = resolve_text(w, pack, r)
        if text:
            found.append(text)
    return found


def _category(w: Wording, pack: RulePack | None, shown: Disclosure, named: bool) -> str:
    """``cat. 07 pupil…`` (``named``) or ``cat. 07``; "" without a category."""
    if shown.category is None:
        return ""
    code = w.t("short.label.category", code=w.digits(shown.category))
    if not named or pack is None:
        return code
    return _join(code, category_name(w, pack, shown.category))


def _insured_extras(w: Wording, pack: RulePack, shown: Disclosure) -> list[str]:
    """The member's category and privileges with their ends, richest first, then nothing."""
    if shown.category is None and not shown.privileges:
        return [""]
    held = [
        _join(
            privilege_name(w, pack, p.kind),
            w.t("short.label.until", date=w.date(p.valid_until)) if p.valid_until else "",
        )
        for p in shown.privileges
    ]
    sep = w.t("sms.list_sep")
    full = sep.join(x for x in (_category(w, pack, shown, True), *held) if x)
    brief = sep.join(x for x in (_category(w, pack, shown, False), *held) if x)
    return list(dict.fromkeys([full + ".", brief + ".", ""]))


def insured_answer(w: Wording, pack: RulePack, shown: Disclosure, show_date: bool) -> str:
    """The insured person's answer: status with until/ended, why, what to bring where, code.

    Variants leave things out, least needed first: once "ended" has said when cover
    stopped, the reasons' own dates and a reason that only restates it; then the name; then
    what to bring where shrinks to "bring it to a branch"; "ended" itself goes last. The
    member's category and privileges (with their ends) come after the status, in full, then
    briefly, then not at all where they would cost a part.
    """
    extras = _insured_extras(w, pack, shown)
    name = w.isolate(shown.given_name or shown.member_name or "")
    on = _on(w, shown, show_date)
    code = _code(w, shown)
    resolves = _resolves(w, pack, shown)
    ended = shown.cover_ended is not None
    candidates: list[str] = []
    # False before True: the product runs from the richest variant to the barest; the
    # barest of all name the first reason only (the one that decided).
    for first_only, drop_ended, brief, drop_name, drop_dates, drop_restated in product(
        (False, True), repeat=6
    ):
        if first_only and (len(shown.reasons) < 2 or not (brief or not resolves)):
            continue
        if (drop_ended or drop_dates or drop_restated) and not ended:
            continue
        if drop_ended and (drop_dates or drop_restated):
            continue  # without "ended", the reasons keep what they say of it
        if (brief and not resolves) or (drop_name and not name):
            continue
        reasons: Sequence[Reason] = shown.reasons[:1] if first_only else shown.reasons
        if drop_dates:
            reasons = [undated(r) for r in reasons]
        if drop_restated:
            reasons = [r for r in reasons if r.code not in _SAID_BY_ENDED]
        stated = _stated(w, _cover(w, shown, with_ended=not drop_ended), _reasons(w, reasons))
        who = on if drop_name else _join(name, on)
        for extra in extras:
            if brief:
                said = _join(stated, w.t("short.resolve"), sep=w.t("sms.list_sep"))
                candidates.append(_join(f"{_headed(who, said)}.", extra, code))
            else:
                candidates.append(_join(_headed(who, stated) + ".", extra, *resolves, code))
    return fit(candidates)


def _privileges_told(w: Wording, pack: RulePack | None, shown: Disclosure) -> list[str]:
    """What a provider must do for the member's privileges: with their names, then without.

    Never left out: a provider not told to serve a privileged patient out of turn would not.
    """
    if not shown.privileges:
        return [""]
    named, bare = [], []
    # Privileges asking the same of the provider, said once: "A, B: serve out of turn…".
    alike: dict[tuple[str, int | None], list[str]] = {}
    for p in shown.privileges:
        name = privilege_name(w, pack, p.kind) if pack is not None else p.kind
        what = privilege_instruction(w, pack, p.kind, short=True) if pack is not None else None
        named.append(f"{name}: {what}" if what else name)
        bare.append(what or name)
        held = pack.privileges.get(p.kind) if pack is not None else None
        if held is not None:
            alike.setdefault((held.instruction, held.working_days), []).append(p.kind)
    sep = w.t("sms.list_sep")
    variants = [sep.join(named) + ".", sep.join(bare) + "."]
    if pack is not None and len(alike) < len(shown.privileges):
        merged = []
        for (instruction, days), kinds in alike.items():
            documents = [pack.privileges[k].document for k in kinds]
            what = w.t(
                f"short.privilege.instruction.{instruction}",
                working_days=w.digits(str(days)) if days else "",
                document=w.listing([w.document(d, short=True) for d in documents if d]),
            )
            merged.append(f"{w.listing([privilege_name(w, pack, k) for k in kinds])}: {what}")
        variants.append(sep.join(merged) + ".")
    return list(dict.fromkeys(variants))


def provider_answer(
    w: Wording,
    shown: Disclosure,
    show_date: bool,
    date_required: bool = False,
    pack: RulePack | None = None,
) -> str:
    """The provider's answer: status and reasons on the date, the masked name, and the code;
    the member's category where it fits, and what a privilege asks of the provider always.

    The date the provider typed is echoed when it fits; a recorded answer always shows it.
    """
    stated = _stated(w, _status(w, shown.status), _reasons(w, shown.reasons))
    on = _on(w, shown, show_date)
    code = _code(w, shown)
    masked = w.isolate(shown.member_name or "")
    heads = [_join(masked, on), on]
    if not date_required:
        heads += [masked, ""]
    categories = list(
        dict.fromkeys([_category(w, pack, shown, True), _category(w, pack, shown, False), ""])
    )
    candidates = [
        _join(f"{_headed(who, stated)}.", told, f"{category}." if category else "", code)
        for told in _privileges_told(w, pack, shown)
        for category in categories
        for who in heads
    ]
    return fit(candidates)


def recorded_answer(w: Wording, pack: RulePack, shown: Disclosure) -> str:
    """An answer given earlier, in the view of whom it was given to (with its date)."""
    if shown.view is View.PROVIDER:
        return provider_answer(w, shown, show_date=True, date_required=True, pack=pack)
    return insured_answer(w, pack, shown, show_date=True)


def _family_line(w: Wording, shown: Disclosure) -> str:
    if shown.status is Status.ELIGIBLE:
        until = w.t("short.label.until", date=w.date(shown.cover_end)) if shown.cover_end else ""
        state = w.t("sms.family.eligible", status=_status(w, shown.status), until=until)
    else:
        state = _status(w, shown.status)
    name = w.isolate(shown.given_name or shown.member_name or "")
    return w.t("sms.family.line", name=name, state=state.strip())


def family_answer(w: Wording, members: Sequence[Disclosure]) -> str:
    """One line per member (status and end date); as many as three SMS hold, then a count."""
    lines = [_family_line(w, m) for m in members]
    header = w.t("sms.family.header")
    for shown in range(len(lines), -1, -1):
        hidden = len(lines) - shown
        more = [w.n("sms.family.more", hidden)] if hidden else []
        body = [*lines[:shown], *more]
        candidates = ["\n".join([header, *body]), "\n".join(body)]
        if min(sms_segments(c) for c in candidates) <= MAX_SEGMENTS:
            return fit(candidates)
    return clip(header)


def help_text(w: Wording, understood: bool = True) -> str:
    """How to use the service (after "not understood" when the message could not be read)."""
    usage = w.t("sms.help")
    if understood:
        return clip(usage)
    return fit([f"{w.t('sms.not_understood')} {usage}", usage])


def not_on_file(w: Wording, hotline: str) -> str:
    """The refusal for a phone not on file for the person: the same whoever the id names."""
    return clip(w.t("sms.not_on_file", hotline=w.digits(hotline)))


def provider_inactive(w: Wording, exc: EligibilityError | None = None) -> str:
    """The refusal for a deactivated provider's phone, and how to be active again; for one
    whose registry data is stale, when it was last sent (one SMS where it fits)."""
    if exc is not None and exc.params.get("problem") == "stale":
        last = exc.params.get("last_updated")
        when = w.date(last) if isinstance(last, date) else str(last)
        given = exc.params.get("months")
        months = given if isinstance(given, int) else 0
        return fit(
            [
                w.n("sms.provider_stale", months, last_updated=when, months=w.digits(str(given))),
                w.error(exc),
            ]
        )
    return clip(w.t("sms.provider_inactive"))


def rate_limited(w: Wording, scope: str, retry_after: int) -> str:
    """Too many of something, in one SMS: ``scope`` is ``sender`` (the channel's flood
    guard) or a quota's scope (``asker``, ``provider_national_id``, ``national_id``)."""
    minutes = max(1, -(-retry_after // 60))
    key = f"sms.rate_limited.{scope}"
    return clip(w.n(key, minutes, minutes=w.digits(str(minutes))))


def quota_exceeded(w: Wording, exc: QuotaExceeded) -> str:
    """A quota of the inquiry policy was reached: whose, and when to try again."""
    key = f"sms.rate_limited.{exc.scope}"
    if w.has(key):
        return rate_limited(w, exc.scope, exc.retry_after)
    return clip(w.error(exc))  # a scope this channel has no short words for yet


def refusal(w: Wording, error: EligibilityError) -> str:
    """A domain refusal (malformed id, date, code) in words."""
    return clip(w.error(error))


def unavailable(w: Wording) -> str:
    """The registry or the gateway cannot answer just now."""
    return clip(w.t("reason.REGISTRY_UNAVAILABLE"))


def busy(w: Wording) -> str:
    """The gateway sheds load: send the message again shortly."""
    return clip(w.t("sms.busy"))


def unknown_code(w: Wording) -> str:
    """No answer this sender received has that code (whether or not it exists)."""
    return clip(w.t("error.TRACKING_CODE_UNKNOWN"))


def thanks_for_report(w: Wording, hotline: str) -> str:
    """The answer to NO: the report is recorded, and the hotline."""
    return clip(w.t("sms.no.thanks", hotline=w.digits(hotline)))
