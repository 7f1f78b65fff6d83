"""Reply texts: shared wording (short statuses, reasons, dates) cut to an SMS budget.

Each reply is built in a few variants, richest first; the one sent as the fewest SMS parts
wins (the richest among equals), and nothing is ever sent as more than three parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from eligibility_gw.domain.answer import AnswerRecord
from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import Status
from eligibility_gw.domain.rulepack import RulePack
from eligibility_gw.textbudget import sms_segments
from eligibility_gw.wording import Wording

MAX_SEGMENTS = 3
_ELLIPSIS = "..."


def clip(text: str, segments: int = MAX_SEGMENTS) -> str:
    """Cut ``text`` to at most ``segments`` SMS parts (a last resort: variants should fit)."""
    if sms_segments(text) <= segments:
        return text
    while text and sms_segments(text + _ELLIPSIS) > segments:
        text = text[:-1]
    return text.rstrip() + _ELLIPSIS


def fit(candidates: Sequence[str]) -> str:
    """The candidate sent as the fewest SMS parts; the earliest (richest) among equals."""
    best = min(range(len(candidates)), key=lambda i: (sms_segments(candidates[i]), i))
    return clip(candidates[best])


def _join(*parts: str, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)


def _code(w: Wording, record: AnswerRecord) -> str:
    return w.t("short.label.code", code=w.digits(record.tracking_code.grouped()))


def _status(w: Wording, status: Status) -> str:
    return w.t(f"short.status.{status.value}")


def _until(w: Wording, cover_end: date | None) -> str:
    return w.t("short.label.until", date=w.date(cover_end)) if cover_end else ""


def _on(w: Wording, day: date, show: bool) -> str:
    return w.t("sms.label.on", date=w.date(day)) if show else ""


def _reasons(w: Wording, record: AnswerRecord) -> str:
    return w.t("sms.list_sep").join(w.reason(r, short=True) for r in record.reasons)


def _resolves(w: Wording, pack: RulePack, record: AnswerRecord) -> list[str]:
    """What to bring where, once per document kind."""
    seen: set[str] = set()
    found: list[str] = []
    for r in record.reasons:
        if r.resolve_with is None or r.resolve_with in seen:
            continue
        seen.add(r.resolve_with)
        document = pack.documents.get(r.resolve_with)
        text = w.resolve(r, document.issued_by if document else None)
        if text:
            found.append(text)
    return found


def _headed(who: str, body: str) -> str:
    return f"{who}: {body}" if who else body


def insured_answer(
    w: Wording, pack: RulePack, record: AnswerRecord, name: str | None, show_date: bool
) -> str:
    """The insured person's answer: status, cover end, why and what to bring where, code."""
    draft = record.draft
    status = _join(_status(w, record.status), _until(w, draft.decision.cover_end))
    reasons = _reasons(w, record)
    stated = f"{status}: {reasons}" if reasons else status
    on = _on(w, draft.service_date, show_date)
    code = _code(w, record)
    resolves = _resolves(w, pack, record)
    candidates: list[str] = []
    for who in (_join(name or "", on), on):
        if resolves:
            candidates.append(_join(_headed(who, stated) + ".", *resolves, code))
    for who in (_join(name or "", on), on):
        if resolves:
            brief = _join(stated, w.t("short.resolve"), sep=w.t("sms.list_sep"))
            candidates.append(f"{_headed(who, brief)}. {code}")
        else:
            candidates.append(f"{_headed(who, stated)}. {code}")
    return fit(candidates)


def provider_answer(
    w: Wording, record: AnswerRecord, show_date: bool, date_required: bool = False
) -> str:
    """The provider's answer: status and reasons on the date, and the code; never the end date.

    The date the provider typed is echoed when it fits; a recorded answer always shows it.
    """
    reasons = _reasons(w, record)
    status = _status(w, record.status)
    stated = f"{status}: {reasons}" if reasons else status
    on = _on(w, record.draft.service_date, show_date)
    code = _code(w, record)
    masked = record.draft.member_masked or ""
    heads = [_join(masked, on), on]
    if not date_required:
        heads += [masked, ""]
    return fit([f"{_headed(who, stated)}. {code}" for who in heads])


def recorded_answer(w: Wording, pack: RulePack, record: AnswerRecord) -> str:
    """An answer given earlier, for the audience it was given to (with its date)."""
    if record.draft.asker_kind == "provider":
        return provider_answer(w, record, show_date=True, date_required=True)
    return insured_answer(w, pack, record, record.draft.member_masked, show_date=True)


@dataclass(frozen=True, slots=True)
class FamilyLine:
    """One family member's state, as the family list shows it."""

    name: str
    status: Status
    cover_end: date | None


def family_answer(w: Wording, members: Sequence[FamilyLine]) -> str:
    """One line per member (status and end date); as many as three SMS hold, then a count."""
    lines = []
    for m in members:
        if m.status is Status.ELIGIBLE:
            state = w.t(
                "sms.family.eligible", status=_status(w, m.status), until=_until(w, m.cover_end)
            )
        else:
            state = _status(w, m.status)
        lines.append(w.t("sms.family.line", name=m.name, state=state.strip()))
    header = w.t("sms.family.header")
    for shown in range(len(lines), -1, -1):
        hidden = len(lines) - shown
        more = [w.t("sms.family.more", count=w.digits(str(hidden)))] if hidden else []
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
    """The refusal for a phone not on file: says nothing about the person asked about."""
    return clip(w.t("sms.not_on_file", hotline=w.digits(hotline)))


def provider_inactive(w: Wording) -> str:
    """The refusal for a deactivated provider's phone, and how to be active again."""
    return clip(w.t("sms.provider_inactive"))


def rate_limited(w: Wording, scope: str, retry_after: int) -> str:
    """Too many messages (``scope`` sender) or inquiries about one id (``national_id``)."""
    minutes = max(1, -(-retry_after // 60))
    return clip(w.t(f"sms.rate_limited.{scope}", minutes=w.digits(str(minutes))))


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


def check_notice(w: Wording, name: str, provider: str, day: date) -> str:
    """Tell the insured person a provider checked their cover; long provider names are cut."""
    when = w.date(day)
    variants = [provider, provider[:24].rstrip() + _ELLIPSIS] if len(provider) > 24 else [provider]
    candidates = [w.t("sms.notice.checked", name=name, provider=p, date=when) for p in variants]
    return fit(candidates)
