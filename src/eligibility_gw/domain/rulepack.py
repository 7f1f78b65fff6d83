"""Rule packs as data: who is covered, on which conditions, and how ids look.

A rule pack is read from a TOML mapping (see ``config/rules/``). Nothing here knows a
country: the engine reads relationships, ages, documents and conditions from the pack.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from eligibility_gw.domain.errors import RulePackError
from eligibility_gw.domain.evidence import EvidenceKind
from eligibility_gw.domain.model import ServiceSetting, Sex
from eligibility_gw.domain.national_id import (
    IdFormat,
    IdScheme,
    NationalIdFormat,
    NationalIdScheme,
    StdnumFormat,
)

#: Conditions on the person's own facts; every other condition name is a document kind, a
#: privilege of the pack, or ``id:FORMAT`` (the member holds an id of that format).
FACT_CONDITIONS = frozenset({"no_income", "unmarried", "disabled"})
#: ``id:cns``: the member's national id is of the format named ``cns``.
ID_CONDITION = "id:"
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
        """Say whether the condition asks for a document (or a privilege, or an id)."""
        return self.name not in FACT_CONDITIONS

    @property
    def id_format(self) -> str | None:
        """The id format an ``id:FORMAT`` condition asks for."""
        return self.name.removeprefix(ID_CONDITION) if self.name.startswith(ID_CONDITION) else None


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
    """A kind of evidence the pack may ask for, and where it is obtained.

    ``valid_for_months``: a document of this kind counts from its issue date (its
    ``valid_from``) for that many months, to the same day of the last month included (a
    referral certificate valid 6 months), beside any valid-until date on file.
    """

    name: str
    issued_by: str
    valid_for_months: int | None = None


@dataclass(frozen=True, slots=True)
class Category:
    """An insured category: its code as printed (zero-padded), who may hold it, and its
    conditions (met through any one alternative; none: no condition), within an age band."""

    code: str
    #: The English name: what readers see when no catalog names ``category.PACK.CODE``.
    name: str
    relationships: tuple[str, ...] = ()
    any_of: tuple[tuple[Condition, ...], ...] = ()
    from_age: int | None = None
    to_age: int | None = None

    def for_age(self, age: int) -> bool:
        """Say whether a member of ``age`` full years may be of this category."""
        if self.from_age is not None and age < self.from_age:
            return False
        return self.to_age is None or age < self.to_age


@dataclass(frozen=True, slots=True)
class Privilege:
    """A privilege a member may hold: what the provider must do, and the document proving it.

    ``instruction`` names the catalog text told to providers (``privilege.instruction.NAME``),
    filled with ``working_days``; ``marker`` is the letter a scheme prints for it (``L``).
    """

    kind: str
    name: str
    instruction: str
    document: str | None = None
    working_days: int | None = None
    marker: str = ""


@dataclass(frozen=True, slots=True)
class ProviderRules:
    """How the pack's providers are identified, and when their registry data goes stale."""

    #: A regular expression every provider id must match (CNES: seven digits); "" for any.
    id_pattern: str = ""
    id_label: str = "provider id"
    #: A provider whose data was last sent longer ago than this is inactive (None: never).
    stale_after_months: int | None = None

    def id_ok(self, provider_id: str) -> bool:
        """Say whether ``provider_id`` is of the pack's form."""
        return not self.id_pattern or re.fullmatch(self.id_pattern, provider_id) is not None


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
    national_id: IdScheme
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
    #: Insured categories by code (``[[category]]``), and the digits codes are padded to.
    categories: Mapping[str, Category] = field(default_factory=dict)
    category_width: int = 2
    #: Privileges a member may hold, by kind (``[privileges.KIND]``).
    privileges: Mapping[str, Privilege] = field(default_factory=dict)
    #: Conditions a service setting adds for every member (``[setting.sanatorium]``).
    setting_rules: Mapping[ServiceSetting, tuple[tuple[Condition, ...], ...]] = field(
        default_factory=dict
    )
    providers: ProviderRules = field(default_factory=ProviderRules)
    #: A principal's cover period may have no end (universal cover): ``cover_end`` empty.
    open_ended_cover: bool = False

    def category_code(self, text: str) -> str | None:
        """The pack's code for ``text`` (``7``, ``07``, ``007`` read alike), or None."""
        text = text.strip()
        code = text.zfill(self.category_width) if text.isdigit() else text.upper()
        if text.isdigit() and code not in self.categories:
            code = str(int(text)).zfill(self.category_width)
        return code if code in self.categories else None

    @property
    def relationships(self) -> tuple[str, ...]:
        """Every relationship the registry may record under this pack."""
        return (self.principal_relationship, *self.dependent_relationships)

    @property
    def label(self) -> str:
        """``name@version``, as answers record it."""
        return f"{self.name}@{self.version}"

    def condition_names(self) -> set[str]:
        """Every condition a rule, a category or a service setting of the pack names."""
        groups = [r.any_of for r in self.rules]
        groups += [c.any_of for c in self.categories.values()]
        groups += list(self.setting_rules.values())
        return {c.name for alternatives in groups for alt in alternatives for c in alt}

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


def _weighted(nid: Mapping[str, Any], where: str) -> NationalIdFormat:
    leading = nid.get("leading_digits", [])
    if not isinstance(leading, list) or not all(isinstance(d, str) for d in leading):
        raise RulePackError(f"{where}: 'leading_digits' must list digits as strings")
    return NationalIdFormat(
        label=str(nid.get("label", "national id")),
        length=_req(nid, "length", int, where),
        weights=_int_list(nid, "weights", where),
        modulus=_req(nid, "modulus", int, where),
        remainder_to_digit=_int_list(nid, "remainder_to_digit", where),
        pad_to_length_from=_opt_int(nid, "pad_to_length_from", where),
        reject_repeated_digits=bool(nid.get("reject_repeated_digits", False)),
        example=str(nid.get("example", "")),
        name=str(nid.get("name", "national_id")),
        check_length=_opt_int(nid, "check_length", where) or 1,
        leading_digits=tuple(leading),
    )


def _id_format(nid: Mapping[str, Any], where: str) -> IdFormat:
    """One format: python-stdnum's (``stdnum = "pl.pesel"``) or weights-as-data."""
    if "stdnum" in nid:
        fmt = StdnumFormat(
            label=str(nid.get("label", "national id")),
            module=_req(nid, "stdnum", str, where),
            length=_req(nid, "length", int, where),
            example=str(nid.get("example", "")),
            name=str(nid.get("name", "national_id")),
            reject_repeated_digits=bool(nid.get("reject_repeated_digits", False)),
        )
        if fmt.example and not fmt.is_valid(fmt.example):
            raise RulePackError(f"{where}: the example {fmt.example} is not valid")
        return fmt
    return _weighted(nid, where)


def _parse_national_id(nid: Mapping[str, Any]) -> IdFormat | NationalIdScheme:
    """``[national_id]``: one format, or ``[[national_id.format]]`` tables under one label."""
    if "format" not in nid:
        return _id_format(nid, "national_id")
    tables = _req(nid, "format", list, "national_id")
    formats = []
    for i, table in enumerate(tables):
        where = f"national_id.format[{i}]"
        if not isinstance(table, dict) or "name" not in table:
            raise RulePackError(f"{where}: a table with a 'name'")
        formats.append(_id_format(table, where))
    return NationalIdScheme(label=str(nid.get("label", "national id")), formats=tuple(formats))


def _conditions(
    table: Mapping[str, Any], where: str, known: Callable[[str], bool], optional: bool = False
) -> tuple[tuple[Condition, ...], ...]:
    """``require = [...]`` or ``any_of = [[...], ...]``, each name checked by ``known``."""
    if "require" in table and "any_of" in table:
        raise RulePackError(f"{where}: use 'require' or 'any_of', not both")
    raw_alts = [table["require"]] if "require" in table else table.get("any_of", [])
    if not isinstance(raw_alts, list):
        raise RulePackError(f"{where}: 'any_of' must list lists of conditions")
    alternatives: list[tuple[Condition, ...]] = []
    for alt in raw_alts:
        if not isinstance(alt, list):
            raise RulePackError(f"{where}: 'any_of' must list lists of conditions")
        conds = []
        for name in alt:
            if not isinstance(name, str) or not known(name):
                raise RulePackError(f"{where}: unknown condition or document '{name}'")
            conds.append(Condition(name))
        if not conds:
            raise RulePackError(f"{where}: an alternative without conditions")
        alternatives.append(tuple(conds))
    if not alternatives and not optional:
        raise RulePackError(f"{where}: no conditions")
    return tuple(alternatives)


def _parse_documents(table: Any) -> dict[str, DocumentKind]:
    if not isinstance(table, dict):
        raise RulePackError("documents: expected one table per document kind")
    documents = {}
    for name, d in table.items():
        where = f"documents.{name}"
        if not isinstance(d, dict):
            raise RulePackError(f"{where}: expected a table")
        unknown = set(d) - {"issued_by", "valid_for_months"}
        if unknown:
            raise RulePackError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        months = _opt_int(d, "valid_for_months", where)
        if months is not None and months <= 0:
            raise RulePackError(f"{where}: 'valid_for_months' must be positive")
        documents[name] = DocumentKind(
            name=name, issued_by=str(_req(d, "issued_by", str, where)), valid_for_months=months
        )
    return documents


def _parse_privileges(table: Any, documents: Mapping[str, DocumentKind]) -> dict[str, Privilege]:
    if not isinstance(table, dict):
        raise RulePackError("privileges: expected one table per privilege, [privileges.KIND]")
    found = {}
    for kind, p in table.items():
        where = f"privileges.{kind}"
        if not isinstance(p, dict):
            raise RulePackError(f"{where}: expected a table")
        unknown = set(p) - {"name", "instruction", "document", "working_days", "marker"}
        if unknown:
            raise RulePackError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if kind in documents or kind in FACT_CONDITIONS:
            raise RulePackError(f"{where}: a document or a fact has that name already")
        document = p.get("document")
        if document is not None and document not in documents:
            raise RulePackError(f"{where}: unknown document '{document}'")
        found[kind] = Privilege(
            kind=kind,
            name=str(_req(p, "name", str, where)),
            instruction=str(_req(p, "instruction", str, where)),
            document=document,
            working_days=_opt_int(p, "working_days", where),
            marker=str(p.get("marker", "")),
        )
    return found


def _parse_categories(
    data: Mapping[str, Any],
    relationships: tuple[str, ...],
    known: Callable[[str], bool],
) -> tuple[dict[str, Category], int]:
    form = data.get("category_format", {})
    if not isinstance(form, dict):
        raise RulePackError("category_format: expected a table")
    width = _opt_int(form, "width", "category_format") or 2
    entries = data.get("category", [])
    if not isinstance(entries, list):
        raise RulePackError("category: expected [[category]] tables")
    found: dict[str, Category] = {}
    for i, c in enumerate(entries):
        where = f"category[{i}]"
        if not isinstance(c, dict):
            raise RulePackError(f"{where}: expected a table")
        unknown = set(c) - {
            "code",
            "name",
            "relationships",
            "require",
            "any_of",
            "from_age",
            "to_age",
        }
        if unknown:
            raise RulePackError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        raw = c.get("code")
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip():
            raise RulePackError(f"{where}: 'code' must be a number or a short text")
        text = str(raw).strip()
        code = text.zfill(width) if text.isdigit() else text.upper()
        if code in found:
            raise RulePackError(f"{where}: code {code} is listed twice")
        rels = c.get("relationships", [])
        if not isinstance(rels, list) or any(r not in relationships for r in rels):
            raise RulePackError(f"{where}: 'relationships' must list the pack's relationships")
        found[code] = Category(
            code=code,
            name=str(_req(c, "name", str, where)),
            relationships=tuple(rels),
            any_of=_conditions(c, where, known, optional=True),
            from_age=_opt_int(c, "from_age", where),
            to_age=_opt_int(c, "to_age", where),
        )
    return found, width


def _parse_setting_rules(
    table: Any, settings: tuple[ServiceSetting, ...], known: Callable[[str], bool]
) -> dict[ServiceSetting, tuple[tuple[Condition, ...], ...]]:
    if not isinstance(table, dict):
        raise RulePackError("setting: expected one table per service setting, [setting.NAME]")
    found = {}
    for name, entry in table.items():
        where = f"setting.{name}"
        try:
            setting = ServiceSetting(name)
        except ValueError as exc:
            raise RulePackError(f"{where}: unknown service setting") from exc
        if setting not in settings:
            raise RulePackError(f"{where}: not one of [service] settings")
        if not isinstance(entry, dict):
            raise RulePackError(f"{where}: expected a table")
        found[setting] = _conditions(entry, where, known)
    return found


def _parse_providers(table: Any) -> ProviderRules:
    if not isinstance(table, dict):
        raise RulePackError("providers: expected a table")
    unknown = set(table) - {"id_pattern", "id_label", "stale_after_months"}
    if unknown:
        raise RulePackError(f"providers: unknown key(s) {', '.join(sorted(unknown))}")
    pattern = str(table.get("id_pattern", ""))
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RulePackError(f"providers: 'id_pattern' is not a regular expression: {exc}") from exc
    months = _opt_int(table, "stale_after_months", "providers")
    if months is not None and months <= 0:
        raise RulePackError("providers: 'stale_after_months' must be positive")
    return ProviderRules(
        id_pattern=pattern,
        id_label=str(table.get("id_label", "provider id")),
        stale_after_months=months,
    )


def parse_rule_pack(data: Mapping[str, Any]) -> RulePack:
    """Build a rule pack from its TOML mapping, refusing anything inconsistent."""
    pack = _req(data, "pack", dict, "rule pack")
    nid = _req(data, "national_id", dict, "rule pack")
    rel = _req(data, "relationships", dict, "rule pack")
    service = data.get("service", {})

    national_id = _parse_national_id(nid)
    documents = _parse_documents(data.get("documents", {}))
    privileges = _parse_privileges(data.get("privileges", {}), documents)
    id_formats = {
        f.name
        for f in (
            national_id.formats if isinstance(national_id, NationalIdScheme) else (national_id,)
        )
    }

    def known(name: str) -> bool:
        if name.startswith(ID_CONDITION):
            return name.removeprefix(ID_CONDITION) in id_formats
        return name in FACT_CONDITIONS or name in documents or name in privileges

    principal = _req(rel, "principal", str, "relationships")
    dependents = tuple(_req(rel, "dependents", list, "relationships"))
    if principal in dependents:
        raise RulePackError(f"relationships: {principal!r} is the principal, not a dependent")

    rules: list[CoverageRule] = []
    for i, r in enumerate(data.get("coverage", [])):
        where = f"coverage[{i}]"
        relationship = _req(r, "relationship", str, where)
        if relationship not in dependents and relationship != principal:
            raise RulePackError(f"{where}: relationship '{relationship}' is not the pack's")
        alternatives = _conditions(r, where, known)
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
    categories, width = _parse_categories(data, (principal, *dependents), known)
    all_relationships = (principal, *dependents)
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
        change_ages={
            rel: _with_category_ages(
                _ages_of(tuple(rules), rel),
                (c for c in categories.values() if not c.relationships or rel in c.relationships),
            )
            for rel in all_relationships
        },
        evidence=evidence,
        evidence_for={n: kind for kind, p in evidence.items() for n in p.answers},
        age_of_majority=majority,
        reminder_days=_reminder_days(pack),
        other_insurers=_parse_other_insurers(data.get("other_insurer", {"codes": []})),
        categories=categories,
        category_width=width,
        privileges=privileges,
        setting_rules=_parse_setting_rules(data.get("setting", {}), settings, known),
        providers=_parse_providers(data.get("providers", {})),
        open_ended_cover=bool(rel.get("open_ended_cover", False)),
    )


def _with_category_ages(ages: tuple[int, ...], categories: Iterable[Category]) -> tuple[int, ...]:
    """A relationship's change ages and the age limits of the categories its members may
    hold (a category's band may end while the relationship's rules go on)."""
    found = set(ages)
    for c in categories:
        found.update(a for a in (c.from_age, c.to_age) if a is not None)
    return tuple(sorted(found))
