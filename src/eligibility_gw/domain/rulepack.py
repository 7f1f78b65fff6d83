"""Rule packs as data: who is covered, on which conditions, and how ids look.

A rule pack is read from a TOML mapping (see ``config/rules/``). Nothing here knows a
country: the engine reads relationships, ages, documents and conditions from the pack.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eligibility_gw.domain.errors import RulePackError
from eligibility_gw.domain.evidence import EvidenceKind
from eligibility_gw.domain.model import ServiceSetting, Sex
from eligibility_gw.domain.national_id import NationalIdFormat

#: Conditions on the person's own facts; every other condition name is a document kind.
FACT_CONDITIONS = frozenset({"no_income", "unmarried", "disabled"})
#: The facts each live registry can answer besides documents.
_REGISTRY_FACTS = {
    EvidenceKind.STUDENT: frozenset[str](),
    EvidenceKind.CIVIL: frozenset({"unmarried"}),
}


class OverlapPolicy(enum.StrEnum):
    """What an inpatient inquiry does when the member also has cover elsewhere."""

    UNDETERMINED = "undetermined"
    FLAG = "flag"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class Condition:
    """One requirement: a fact about the person, or a document valid on the date."""

    name: str

    @property
    def is_document(self) -> bool:
        """Say whether the condition asks for a document."""
        return self.name not in FACT_CONDITIONS


@dataclass(frozen=True, slots=True)
class CoverageRule:
    """Conditions for members of one relationship (and sex), within an age band.

    ``from_age`` is inclusive and ``to_age`` exclusive, in full years. The member meets the
    rule when every condition of at least one alternative in ``any_of`` holds. Every rule
    that applies to a member must be met.
    """

    relationship: str
    any_of: tuple[tuple[Condition, ...], ...]
    sex: Sex | None = None
    from_age: int | None = None
    to_age: int | None = None

    def applies(self, relationship: str, sex: Sex | None, age: int) -> bool:
        """Say whether the rule speaks about such a member."""
        if relationship != self.relationship:
            return False
        if self.sex is not None and sex != self.sex:
            return False
        if self.from_age is not None and age < self.from_age:
            return False
        return self.to_age is None or age < self.to_age


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """A kind of evidence the pack may ask for, and where it is obtained."""

    name: str
    issued_by: str


@dataclass(frozen=True, slots=True)
class EvidencePolicy:
    """The conditions a live registry answers, and what decides when it cannot answer."""

    kind: EvidenceKind
    #: Document kinds the registry's records stand for.
    documents: tuple[str, ...]
    #: Facts about the person it answers instead of the file (the civil one: ``unmarried``).
    facts: tuple[str, ...] = ()
    #: When it cannot answer: documents on file decide, marked as such (true); or undetermined.
    on_file_fallback: bool = False

    @property
    def answers(self) -> tuple[str, ...]:
        """Every condition name the registry answers."""
        return (*self.documents, *self.facts)


@dataclass(frozen=True, slots=True)
class RulePack:
    """Everything the engine needs to decide for one scheme."""

    name: str
    version: str
    title: str
    national_id: NationalIdFormat
    principal_relationship: str
    dependent_relationships: tuple[str, ...]
    rules: tuple[CoverageRule, ...]
    documents: Mapping[str, DocumentKind]
    settings: tuple[ServiceSetting, ...]
    inpatient_overlap: OverlapPolicy
    months_back: int
    phone_region: str
    #: ``ages_of`` per relationship, worked out once when the pack is read.
    change_ages: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: Live registries the pack lets answer for some conditions, by kind.
    evidence: Mapping[EvidenceKind, EvidencePolicy] = field(default_factory=dict)
    #: The registry answering each such condition, by condition name (worked out on load).
    evidence_for: Mapping[str, EvidenceKind] = field(default_factory=dict)
    #: Full years from which a person's own affairs are theirs: a minor's check notices go to
    #: the principal's phone, an adult's only to their own (``[pack] age_of_majority``).
    age_of_majority: int | None = None
    #: Days before cover ends on which a reminder goes out, largest first (``[pack]
    #: reminder_days``; 0 is the last covered day itself). Empty: no reminders.
    reminder_days: tuple[int, ...] = ()
    #: Codes of the other basic insurers a member may also hold cover with (``[other_insurer]
    #: codes``): the registry's ``other_insurer`` column takes one of these or nothing.
    other_insurers: tuple[str, ...] = ()

    @property
    def relationships(self) -> tuple[str, ...]:
        """Every relationship the registry may record under this pack."""
        return (self.principal_relationship, *self.dependent_relationships)

    @property
    def label(self) -> str:
        """``name@version``, as answers record it."""
        return f"{self.name}@{self.version}"

    def ages_of(self, relationship: str) -> tuple[int, ...]:
        """The ages at which a member's conditions may change (computed on load)."""
        ages = self.change_ages.get(relationship)
        return ages if ages is not None else _ages_of(self.rules, relationship)


def _ages_of(rules: tuple[CoverageRule, ...], relationship: str) -> tuple[int, ...]:
    ages: set[int] = set()
    for r in rules:
        if r.relationship == relationship:
            ages.update(a for a in (r.from_age, r.to_age) if a is not None)
    return tuple(sorted(ages))


def _req(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise RulePackError(f"{where}: missing '{key}'")
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RulePackError(f"{where}: '{key}' must be {kind.__name__}")
    return value


def _opt_int(table: Mapping[str, Any], key: str, where: str) -> int | None:
    if key not in table:
        return None
    return int(_req(table, key, int, where))


def _int_list(table: Mapping[str, Any], key: str, where: str) -> tuple[int, ...]:
    values = _req(table, key, list, where)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise RulePackError(f"{where}: '{key}' must list integers")
    return tuple(values)


def _reminder_days(pack: Mapping[str, Any]) -> tuple[int, ...]:
    """``[pack] reminder_days``: distinct whole days, none negative, largest first."""
    if "reminder_days" not in pack:
        return ()
    days = _int_list(pack, "reminder_days", "pack")
    if any(d < 0 for d in days):
        raise RulePackError("pack: 'reminder_days' must not be negative")
    if len(set(days)) != len(days):
        raise RulePackError("pack: 'reminder_days' lists a day twice")
    return tuple(sorted(days, reverse=True))


def _parse_evidence(
    table: Any, documents: Mapping[str, DocumentKind]
) -> dict[EvidenceKind, EvidencePolicy]:
    if not isinstance(table, dict):
        raise RulePackError("evidence: expected one table per registry, [evidence.KIND]")
    policies: dict[EvidenceKind, EvidencePolicy] = {}
    answered: dict[str, EvidenceKind] = {}
    for name, entry in table.items():
        where = f"evidence.{name}"
        try:
            kind = EvidenceKind(name)
        except ValueError as exc:
            known = ", ".join(k.value for k in EvidenceKind)
            raise RulePackError(f"{where}: unknown registry; known: {known}") from exc
        if not isinstance(entry, dict):
            raise RulePackError(f"{where}: expected a table")
        unknown = set(entry) - {"answers", "on_file_fallback"}
        if unknown:
            raise RulePackError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        names = _req(entry, "answers", list, where)
        if not names or not all(isinstance(n, str) for n in names):
            raise RulePackError(f"{where}: 'answers' must list condition names")
        facts = _REGISTRY_FACTS[kind]
        for n in names:
            if n not in documents and n not in facts:
                raise RulePackError(f"{where}: it cannot answer '{n}'")
            if n in answered:
                raise RulePackError(f"{where}: '{n}' is answered by [evidence.{answered[n]}] too")
            answered[n] = kind
        policies[kind] = EvidencePolicy(
            kind=kind,
            documents=tuple(n for n in names if n in documents),
            facts=tuple(n for n in names if n in facts),
            on_file_fallback=_req(entry, "on_file_fallback", bool, where),
        )
    return policies


def _parse_other_insurers(table: Any) -> tuple[str, ...]:
    if not isinstance(table, dict):
        raise RulePackError("other_insurer: expected a table with 'codes'")
    unknown = set(table) - {"codes"}
    if unknown:
        raise RulePackError(f"other_insurer: unknown key(s) {', '.join(sorted(unknown))}")
    codes = _req(table, "codes", list, "other_insurer")
    for code in codes:
        if not (isinstance(code, str) and code and code.isprintable()):
            raise RulePackError("other_insurer: 'codes' must list printable codes")
        if code != code.strip():
            raise RulePackError(f"other_insurer: code {code!r} has spaces around it")
    if len({c.upper() for c in codes}) != len(codes):
        raise RulePackError("other_insurer: a code is listed twice")
    return tuple(codes)


def parse_rule_pack(data: Mapping[str, Any]) -> RulePack:
    """Build a rule pack from its TOML mapping, refusing anything inconsistent."""
    pack = _req(data, "pack", dict, "rule pack")
    nid = _req(data, "national_id", dict, "rule pack")
    rel = _req(data, "relationships", dict, "rule pack")
    service = data.get("service", {})
    docs_table = data.get("documents", {})

    national_id = NationalIdFormat(
        label=str(nid.get("label", "national id")),
        length=_req(nid, "length", int, "national_id"),
        weights=_int_list(nid, "weights", "national_id"),
        modulus=_req(nid, "modulus", int, "national_id"),
        remainder_to_digit=_int_list(nid, "remainder_to_digit", "national_id"),
        pad_to_length_from=_opt_int(nid, "pad_to_length_from", "national_id"),
        reject_repeated_digits=bool(nid.get("reject_repeated_digits", False)),
        example=str(nid.get("example", "")),
    )
    documents = {
        name: DocumentKind(name=name, issued_by=str(_req(d, "issued_by", str, f"documents.{name}")))
        for name, d in docs_table.items()
    }
    principal = _req(rel, "principal", str, "relationships")
    dependents = tuple(_req(rel, "dependents", list, "relationships"))
    if principal in dependents:
        raise RulePackError(f"relationships: {principal!r} is the principal, not a dependent")

    rules: list[CoverageRule] = []
    for i, r in enumerate(data.get("coverage", [])):
        where = f"coverage[{i}]"
        relationship = _req(r, "relationship", str, where)
        if relationship not in dependents:
            raise RulePackError(f"{where}: relationship '{relationship}' is not a dependent one")
        if "require" in r and "any_of" in r:
            raise RulePackError(f"{where}: use 'require' or 'any_of', not both")
        raw_alts = [r["require"]] if "require" in r else r.get("any_of", [])
        alternatives: list[tuple[Condition, ...]] = []
        for alt in raw_alts:
            conds = []
            for name in alt:
                if name not in FACT_CONDITIONS and name not in documents:
                    raise RulePackError(f"{where}: unknown condition or document '{name}'")
                conds.append(Condition(name))
            if not conds:
                raise RulePackError(f"{where}: an alternative without conditions")
            alternatives.append(tuple(conds))
        if not alternatives:
            raise RulePackError(f"{where}: no conditions")
        sex = r.get("sex")
        try:
            rule_sex = Sex(sex) if sex else None
        except ValueError as exc:
            raise RulePackError(f"{where}: {exc}") from exc
        rules.append(
            CoverageRule(
                relationship=relationship,
                any_of=tuple(alternatives),
                sex=rule_sex,
                from_age=_opt_int(r, "from_age", where),
                to_age=_opt_int(r, "to_age", where),
            )
        )
    try:
        settings = tuple(ServiceSetting(s) for s in service.get("settings", ["outpatient"]))
        overlap = OverlapPolicy(service.get("inpatient_overlap", "ignore"))
    except ValueError as exc:
        raise RulePackError(f"service: {exc}") from exc
    months_back = _opt_int(service, "months_back", "service")
    majority = _opt_int(pack, "age_of_majority", "pack")
    evidence = _parse_evidence(data.get("evidence", {}), documents)
    return RulePack(
        name=_req(pack, "name", str, "pack"),
        version=_req(pack, "version", str, "pack"),
        title=str(pack.get("title", "")),
        national_id=national_id,
        principal_relationship=principal,
        dependent_relationships=dependents,
        rules=tuple(rules),
        documents=documents,
        settings=settings,
        inpatient_overlap=overlap,
        months_back=12 if months_back is None else months_back,
        phone_region=str(pack.get("phone_region", "ZZ")),
        change_ages={rel: _ages_of(tuple(rules), rel) for rel in dependents},
        evidence=evidence,
        evidence_for={n: kind for kind, p in evidence.items() for n in p.answers},
        age_of_majority=majority,
        reminder_days=_reminder_days(pack),
        other_insurers=_parse_other_insurers(data.get("other_insurer", {"codes": []})),
    )
