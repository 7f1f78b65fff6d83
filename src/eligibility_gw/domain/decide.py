"""decide(): the whole eligibility decision for one member on one date, from facts alone."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from types import MappingProxyType

from eligibility_gw.domain.dates import add_months, age_on, anniversary
from eligibility_gw.domain.evidence import EVIDENCE_ON_FILE, Evidence, EvidenceKind
from eligibility_gw.domain.model import (
    Decision,
    Document,
    Family,
    Person,
    Reason,
    ServiceSetting,
    Status,
)
from eligibility_gw.domain.rulepack import Condition, OverlapPolicy, RulePack

OVERLAP = "OVERLAP_WITH_OTHER_INSURER"
#: A member whose insured category is not one for their age: the registry must list them
#: under another (a child of category 01 past 18).
CATEGORY_AGE_LIMIT = "CATEGORY_AGE_LIMIT"
#: Alternatives of conditions, each met when all of its conditions are.
Alternatives = tuple[tuple[Condition, ...], ...]
#: Conditions no registry left unanswerable: the usual case, shared so that it costs nothing.
_NOTHING_BLOCKED: Mapping[str, Reason] = MappingProxyType({})


class _Met(enum.Enum):
    YES = 0
    NO = 1
    UNKNOWN = 2


def decide(
    person: Person,
    family: Family,
    day: date,
    setting: ServiceSetting,
    pack: RulePack,
    evidence: Evidence | None = None,
) -> Decision:
    """Decide whether ``person`` (a member of ``family``) is covered on ``day``.

    The cover end date is the last day of the unbroken run of eligible days that starts on
    ``day``, as it follows from today's facts: cover periods, birthdays at the pack's ages
    and documents' validity. It is given only for an eligible answer.

    ``evidence`` is what live registries said (see ``evidence_needed``): their facts replace
    those on file for the conditions they answer. For a registry that could not answer, the
    documents on file decide with an ``EVIDENCE_ON_FILE`` notice where the pack allows it;
    otherwise its conditions are unknown, with the registry's ``*_REGISTRY_UNAVAILABLE``.
    """
    blocked = _NOTHING_BLOCKED
    notices: tuple[Reason, ...] = ()
    if evidence is not None:
        person, blocked, notices = _weigh(person, family, day, pack, evidence)
    status, reasons = _status_on(person, family, day, pack, blocked, setting)
    if setting is ServiceSetting.INPATIENT and person.other_insurer:
        overlap = pack.inpatient_overlap
        if overlap is not OverlapPolicy.IGNORE:
            blocking = overlap is OverlapPolicy.UNDETERMINED
            reasons = (
                *reasons,
                Reason(
                    OVERLAP,
                    resolve_with="overlap_resolution",
                    params=(("insurer", person.other_insurer),),
                    blocking=blocking,
                ),
            )
            if blocking and status is Status.ELIGIBLE:
                status = Status.UNDETERMINED
    if notices:
        reasons = (*reasons, *notices)
    cover_end = cover_ended = None
    if status is Status.ELIGIBLE:
        cover_end = _cover_end(person, family, day, pack, blocked, setting)
    elif status is Status.NOT_ELIGIBLE:
        cover_ended = _cover_ended(person, family, day, pack, blocked, setting)
    return Decision(
        status=status,
        reasons=reasons,
        cover_end=cover_end,
        rule_pack=pack.name,
        rule_pack_version=pack.version,
        cover_ended=cover_ended,
        category=person.category,
        privileges=tuple(p for p in person.privileges if p.active_on(day)),
    )


def document_end(document: Document, pack: RulePack) -> date | None:
    """The last day ``document`` counts: its valid-until date, or its issue date plus the
    months its kind is valid for (to the same day of the last month, included), whichever
    comes first. Civil-law periods in months end on that corresponding day (a certificate
    issued on 15 January and valid six months counts on 15 July, not on 16 July).
    """
    kind = pack.documents.get(document.kind)
    months = kind.valid_for_months if kind is not None else None
    if months is None or document.valid_from is None:
        return document.valid_until
    end = add_months(document.valid_from, months)
    return end if document.valid_until is None else min(end, document.valid_until)


def document_valid_on(document: Document, day: date, pack: RulePack) -> bool:
    """Say whether ``document`` counts on ``day`` under ``pack`` (its last day included)."""
    if document.valid_from is not None and day < document.valid_from:
        return False
    end = document_end(document, pack)
    return end is None or day <= end


def evidence_needed(
    person: Person, family: Family, day: date, pack: RulePack
) -> frozenset[EvidenceKind]:
    """The registries whose answers a rule applying to ``person`` on ``day`` would read.

    None when the answer cannot depend on them: a principal, a member of an uncovered
    family, or a member no rule of the pack speaks about on the day.
    """
    if (
        not pack.evidence_for
        or person.is_principal
        or person.birth_date is None
        or person.birth_date > day
        or person.relationship not in pack.dependent_relationships
        or not any(p.contains(day) for p in family.principal.cover_periods)
    ):
        return frozenset()
    age = age_on(person.birth_date, day)
    kinds: set[EvidenceKind] = set()
    for rule in pack.rules:
        if rule.applies(person.relationship, person.sex, age):
            for alternative in rule.any_of:
                kinds.update(
                    pack.evidence_for[c.name] for c in alternative if c.name in pack.evidence_for
                )
    return frozenset(kinds)


def _weigh(
    person: Person, family: Family, day: date, pack: RulePack, evidence: Evidence
) -> tuple[Person, Mapping[str, Reason], tuple[Reason, ...]]:
    """The member as the registries describe them, the conditions left unknown, the notices."""
    documents = person.documents
    marital = person.marital_status
    blocked: dict[str, Reason] = {}
    notices: list[Reason] = []
    needed = evidence_needed(person, family, day, pack) if evidence.unavailable else frozenset()
    for kind, policy in pack.evidence.items():
        if kind in evidence.unavailable:
            if kind not in needed:
                continue
            if policy.on_file_fallback:
                notices.append(
                    Reason(EVIDENCE_ON_FILE, params=(("registry", kind.value),), blocking=False)
                )
            else:
                blocked.update(dict.fromkeys(policy.answers, Reason(kind.unavailable_code)))
            continue
        live: tuple[Document, ...] | None = None
        source = f"{kind.value}_registry"
        if kind is EvidenceKind.STUDENT and evidence.student is not None:
            live = tuple(
                Document(name, c.valid_from, c.valid_until, source=source)
                for name in policy.documents
                for c in evidence.student.certificates
            )
        elif kind is EvidenceKind.CIVIL and evidence.civil is not None:
            registered = evidence.civil.birth_registered
            live = tuple(Document(name, source=source) for name in policy.documents if registered)
            if "unmarried" in policy.facts:
                marital = evidence.civil.marital_status
        if live is not None:
            # What the registry says overrides the file, a certificate it does not know too.
            kept = tuple(d for d in documents if d.kind not in policy.documents)
            documents = (*kept, *live)
    if documents is not person.documents or marital is not person.marital_status:
        person = replace(person, documents=documents, marital_status=marital)
    return person, blocked or _NOTHING_BLOCKED, tuple(notices)


def _status_on(
    person: Person,
    family: Family,
    day: date,
    pack: RulePack,
    blocked: Mapping[str, Reason] = _NOTHING_BLOCKED,
    setting: ServiceSetting | None = None,
) -> tuple[Status, tuple[Reason, ...]]:
    principal = family.principal
    period = next((p for p in principal.cover_periods if p.contains(day)), None)
    if period is None:
        if person.is_principal:
            return Status.NOT_ELIGIBLE, (_outside_period(person, day),)
        return Status.NOT_ELIGIBLE, (Reason("PRINCIPAL_NOT_COVERED"),)
    own = _own_conditions(person, pack, setting)
    if person.is_principal and not own:
        return Status.ELIGIBLE, ()
    if not person.is_principal and person.relationship not in pack.dependent_relationships:
        return Status.NOT_ELIGIBLE, (
            Reason("RELATIONSHIP_NOT_COVERED", params=(("relationship", person.relationship),)),
        )
    if person.birth_date is None:
        return Status.UNDETERMINED, (
            Reason("BIRTH_DATE_UNKNOWN", resolve_with=_proof(pack, "birth_certificate")),
        )
    age = age_on(person.birth_date, day)
    if age < 0:
        return Status.NOT_ELIGIBLE, (Reason("NOT_BORN_ON_DATE"),)

    not_met: list[Reason] = []
    unknown: list[Reason] = []

    def weigh(alternatives: Alternatives, from_age: int | None) -> None:
        outcome, reasons = _rule_outcome(alternatives, from_age, person, day, pack, blocked)
        if outcome is _Met.NO:
            not_met.extend(reasons)
        elif outcome is _Met.UNKNOWN:
            unknown.extend(reasons)

    for rule in pack.rules:
        if rule.applies(person.relationship, person.sex, age):
            weigh(rule.any_of, rule.from_age)
    category = pack.categories.get(person.category) if person.category else None
    if category is not None:
        if not category.for_age(age):
            limits = (("from_age", category.from_age), ("to_age", category.to_age))
            not_met.append(
                Reason(
                    CATEGORY_AGE_LIMIT,
                    resolve_with="category_update",
                    params=(
                        ("category", category.code),
                        *((k, str(v)) for k, v in limits if v is not None),
                    ),
                )
            )
        elif category.any_of:
            weigh(category.any_of, category.from_age)
    needed = pack.setting_rules.get(setting) if setting is not None else None
    if needed:
        weigh(needed, None)
    if not_met:
        return Status.NOT_ELIGIBLE, tuple(_unique(not_met + unknown))
    if unknown:
        return Status.UNDETERMINED, tuple(_unique(unknown))
    return Status.ELIGIBLE, ()


def _own_conditions(person: Person, pack: RulePack, setting: ServiceSetting | None) -> bool:
    """Say whether anything beyond the cover period speaks about ``person`` (always so for
    a dependent; for a principal: the pack's rules for principals, a category with
    conditions or an age band, or the setting's conditions)."""
    if not person.is_principal:
        return True
    if setting is not None and pack.setting_rules.get(setting):
        return True
    if person.category and person.category in pack.categories:
        category = pack.categories[person.category]
        if category.any_of or category.from_age is not None or category.to_age is not None:
            return True
    return any(r.relationship == person.relationship for r in pack.rules)


def _rule_outcome(
    alternatives: Alternatives,
    from_age: int | None,
    person: Person,
    day: date,
    pack: RulePack,
    blocked: Mapping[str, Reason],
) -> tuple[_Met, list[Reason]]:
    """Meet a rule (a coverage rule's, a category's, a setting's conditions) through any
    alternative; else explain the most actionable one."""
    best: tuple[tuple[int, int, int], _Met, list[Reason]] | None = None
    for index, alternative in enumerate(alternatives):
        failed: list[tuple[_Met, Reason]] = []
        for cond in alternative:
            if blocked and cond.name in blocked:
                failed.append((_Met.UNKNOWN, blocked[cond.name]))
                continue
            met, reason = _condition(cond, person, day, from_age, pack)
            if met is not _Met.YES and reason is not None:
                failed.append((met, reason))
        if not failed:
            return _Met.YES, []
        # What nothing can put right: a condition that failed with no document to bring. A
        # fact not known (a registry that did not answer) may still turn out either way.
        unresolvable = sum(1 for m, r in failed if r.resolve_with is None and m is _Met.NO)
        rank = (unresolvable, len(failed), index)
        outcome = _Met.NO if any(m is _Met.NO for m, _ in failed) else _Met.UNKNOWN
        if best is None or rank < best[0]:
            best = (rank, outcome, [r for _, r in failed])
    assert best is not None  # a rule always has an alternative (checked on load)
    return best[1], best[2]


def _proof(pack: RulePack, kind: str) -> str | None:
    """``kind`` as the resolving document, if the pack knows such a document."""
    return kind if kind in pack.documents else None


def _condition(
    cond: Condition, person: Person, day: date, from_age: int | None, pack: RulePack
) -> tuple[_Met, Reason | None]:
    name = cond.name
    if name == "no_income":
        if person.has_income is None:
            return _Met.UNKNOWN, Reason("INCOME_UNKNOWN", resolve_with="income_declaration")
        return (_Met.NO, Reason("HAS_INCOME")) if person.has_income else (_Met.YES, None)
    if name == "unmarried":
        if person.marital_status is None:
            return _Met.UNKNOWN, Reason(
                "MARITAL_STATUS_UNKNOWN", resolve_with=_proof(pack, "birth_certificate")
            )
        if person.marital_status == "married":
            return _Met.NO, Reason("MARRIED")
        return _Met.YES, None
    if name == "disabled":
        if person.disabled:
            return _Met.YES, None
        age = str(from_age) if from_age is not None else ""
        return _Met.NO, Reason("AGE_LIMIT_REACHED", params=(("age", age),))
    privilege = pack.privileges.get(name)
    if privilege is not None:
        held = [p for p in person.privileges if p.kind == name]
        if any(p.active_on(day) for p in held):
            return _Met.YES, None
        params: tuple[tuple[str, str], ...] = (("privilege", name),)
        ended = [p.valid_until for p in held if p.valid_until is not None]
        if ended:
            params = (*params, ("expired_on", max(ended).isoformat()))
            return _Met.NO, Reason("PRIVILEGE_EXPIRED", privilege.document, params)
        return _Met.NO, Reason("PRIVILEGE_REQUIRED", privilege.document, params)
    id_format = cond.id_format
    if id_format is not None:
        if pack.national_id.format_of(person.national_id) == id_format:
            return _Met.YES, None
        return _Met.NO, Reason(f"{id_format.upper()}_REQUIRED", f"{id_format}_registration")
    # A document kind: it must be on file and valid on the day.
    on_file = [d for d in person.documents if d.kind == name]
    if any(document_valid_on(d, day, pack) for d in on_file):
        return _Met.YES, None
    prefix = name.upper()
    ends = [document_end(d, pack) for d in on_file]
    lapsed = [end for end in ends if end is not None and end < day]
    if lapsed:
        return _Met.NO, Reason(
            f"{prefix}_EXPIRED",
            resolve_with=name,
            params=(("expired_on", max(lapsed).isoformat()),),
        )
    return _Met.NO, Reason(f"{prefix}_REQUIRED", resolve_with=name)


def _outside_period(person: Person, day: date) -> Reason:
    ended = [p.end for p in person.cover_periods if p.end < day]
    starts = [p.start for p in person.cover_periods if p.start > day]
    params: list[tuple[str, str]] = []
    if ended:
        params.append(("ended_on", max(ended).isoformat()))
    if starts:
        params.append(("starts_on", min(starts).isoformat()))
    return Reason("OUTSIDE_COVER_PERIOD", params=tuple(params))


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:
            seen.add(r.code)
            out.append(r)
    return out


def _changes(person: Person, family: Family, pack: RulePack) -> set[date]:
    """The days on which a fact the rules read about ``person`` changes."""
    one = timedelta(days=1)
    changes: set[date] = set()
    for p in family.principal.cover_periods:
        changes.add(p.start)
        if p.end < date.max:  # open-ended cover never changes at its end
            changes.add(p.end + one)
    for d in person.documents:
        if d.valid_from is not None:
            changes.add(d.valid_from)
        end = document_end(d, pack)
        if end is not None and end < date.max:
            changes.add(end + one)
    for privilege in person.privileges:
        if privilege.valid_until is not None and privilege.valid_until < date.max:
            changes.add(privilege.valid_until + one)
    if person.birth_date is not None:
        changes.update(anniversary(person.birth_date, a) for a in pack.ages_of(person.relationship))
    return changes


def _cover_ended(
    person: Person,
    family: Family,
    day: date,
    pack: RulePack,
    blocked: Mapping[str, Reason],
    setting: ServiceSetting | None = None,
) -> date | None:
    """The last covered day before ``day`` (on which ``person`` is not covered), if any.

    Facts change only on the change days, so the status is constant between two of them:
    walking back from ``day``, the first change day whose eve was covered ends the run.
    """
    one = timedelta(days=1)
    for change in sorted((c for c in _changes(person, family, pack) if c <= day), reverse=True):
        status, _ = _status_on(person, family, change - one, pack, blocked, setting)
        if status is Status.ELIGIBLE:
            return change - one
    return None


def _cover_end(
    person: Person,
    family: Family,
    day: date,
    pack: RulePack,
    blocked: Mapping[str, Reason],
    setting: ServiceSetting | None = None,
) -> date | None:
    """Walk the dates where a fact changes; the day before the first ineligible one is the end.

    None when nothing ends the run: cover without an end (universal cover).
    """
    one = timedelta(days=1)
    if person.is_principal and not _own_conditions(person, pack, setting):
        end = _end_of_cover_run(person, day)
        return None if end == date.max else end
    changes = _changes(person, family, pack)
    for change in sorted(c for c in changes if c > day):
        status, _ = _status_on(person, family, change, pack, blocked, setting)
        if status is not Status.ELIGIBLE:
            return change - one
    return None


def _end_of_cover_run(principal: Person, day: date) -> date:
    """The last day of the unbroken run of cover periods that holds ``day``."""
    end = day
    for p in sorted(principal.cover_periods, key=lambda p: p.start):
        if end == date.max:  # cover without an end: nothing comes after it
            break
        if p.start <= end + timedelta(days=1) and p.end >= end:
            end = p.end
    return end
