"""Every text a person reads: message catalogs (gettext .po through Babel) and formatting.

Channels format one channel-neutral answer through a ``Wording``, so a reason reads the
same on the web, by SMS, over USSD and in Telegram.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence
from datetime import date
from importlib import resources

import jdatetime
from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.plural import PluralRule

from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import Reason, Status

FALLBACK_LANGUAGE = "en"
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: Languages whose dates are shown in the Solar Hijri calendar, with native digits.
_SOLAR_HIJRI = frozenset({"fa"})
_RTL = frozenset({"fa", "ar", "he", "ur", "ps"})
#: Languages whose dates stay ISO 8601 (2026-11-23): English is read the world over, and
#: 11/03/2026 means March to some readers and November to others; ISO means one day to all.
_ISO_DATES = frozenset({"en"})
#: CLDR plural categories in the order gettext numbers a message's forms (msgstr[0], [1]…).
_PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")
#: Counts whose categories name a language's forms (every category whole numbers can take).
_PLURAL_PROBES = (*range(1000), 1_000_000, 2_000_000, 10**9)
#: First Strong Isolate … Pop Directional Isolate: left-to-right text inside a right-to-left
#: SMS keeps its order (a tracking code, a Latin name) without markup.
FSI, PDI = "\u2068", "\u2069"


@functools.cache
def catalog_files() -> Mapping[str, Mapping[str, Catalog]]:
    """Every shipped ``.po`` file as ``{language: {domain: Catalog}}``, read once.

    A language is shipped when it has ``messages.po``; its other ``.po`` files (one per part,
    e.g. ``portal.po``, ids prefixed by the part's name) are merged into it by ``catalogs``.
    """
    found: dict[str, dict[str, Catalog]] = {}
    root = resources.files("eligibility_gw.locale")
    for folder in root.iterdir():
        messages = folder.joinpath("LC_MESSAGES")
        if not messages.joinpath("messages.po").is_file():
            continue
        parts = sorted(
            (po for po in messages.iterdir() if po.name.endswith(".po")),
            key=lambda po: (po.name != "messages.po", po.name),
        )
        domains: dict[str, Catalog] = {}
        for po in parts:
            with po.open("rb") as fh:
                domains[po.name.removesuffix(".po")] = read_po(fh, locale=folder.name)
        found[folder.name] = domains
    return found


@functools.cache
def catalogs() -> Mapping[str, Mapping[str, str]]:
    """Every shipped catalog as ``{language: {message id: text}}`` (plural entries apart)."""
    found: dict[str, dict[str, str]] = {}
    for language, domains in catalog_files().items():
        merged: dict[str, str] = {}
        for catalog in domains.values():
            merged.update(
                {
                    m.id: m.string
                    for m in catalog
                    if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
                }
            )
        found[language] = merged
    return found


@functools.cache
def plural_catalogs() -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    """Every ``msgid_plural`` entry as ``{language: {message id: (form 0, form 1, …)}}``.

    Forms are in gettext's order (the catalog's ``Plural-Forms`` header); ``plural_form``
    says which one a count takes. An entry with an empty form is left out: the fallback's
    forms are used instead (and the catalog test fails).
    """
    found: dict[str, dict[str, tuple[str, ...]]] = {}
    for language, domains in catalog_files().items():
        merged: dict[str, tuple[str, ...]] = {}
        for catalog in domains.values():
            for m in catalog:
                if isinstance(m.id, tuple) and isinstance(m.string, tuple | list):
                    forms = tuple(str(f) for f in m.string)
                    if forms and all(forms):
                        merged[str(m.id[0])] = forms
        found[language] = merged
    return found


@functools.cache
def _plural_rule(language: str) -> PluralRule:
    return Locale.parse(language).plural_form


@functools.cache
def plural_categories(language: str) -> tuple[str, ...]:
    """The CLDR plural categories whole counts take in ``language``, in gettext's order:
    one catalog form each (en: one, other; pl and ru: one, few, many)."""
    rule = _plural_rule(language)
    taken = {rule(n) for n in _PLURAL_PROBES}
    return tuple(c for c in _PLURAL_ORDER if c in taken)


@functools.lru_cache(maxsize=4096)
def plural_form(language: str, count: int) -> int:
    """Which form (``msgstr[i]``) a count takes in ``language``, by Babel's plural rules."""
    return plural_categories(language).index(_plural_rule(language)(abs(count)))


def available_languages() -> tuple[str, ...]:
    """Languages a catalog is shipped for."""
    return tuple(sorted(catalogs()))


def shipped_language(tag: str, shipped: Mapping[str, object] | None = None) -> str | None:
    """The shipped catalog a language tag asks for: ``pt-BR``, ``pt_br`` and ``pt`` find
    ``pt_BR``; ``fa-IR`` finds ``fa``; None when no catalog of that language is shipped."""
    cats = catalogs() if shipped is None else shipped
    parts = tag.strip().replace("-", "_").split("_")
    base = parts[0].lower()
    if len(parts) > 1 and f"{base}_{parts[1].upper()}" in cats:
        return f"{base}_{parts[1].upper()}"
    if base in cats:
        return base
    regional = sorted(c for c in cats if c.split("_", maxsplit=1)[0] == base)
    return regional[0] if regional else None


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields a message uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Wording:
    """The texts and formats of one language, falling back to English, then to the key."""

    def __init__(self, language: str) -> None:
        cats = catalogs()
        self.language = shipped_language(language, cats) or FALLBACK_LANGUAGE
        self._own = cats.get(self.language, {})
        self._fallback = cats.get(FALLBACK_LANGUAGE, {})
        plurals = plural_catalogs()
        self._own_plurals = plurals.get(self.language, {})
        self._fallback_plurals = plurals.get(FALLBACK_LANGUAGE, {})

    @property
    def rtl(self) -> bool:
        """Say whether the language is written right to left."""
        return self.language in _RTL

    @property
    def solar_hijri(self) -> bool:
        """Say whether this language's dates are in the Solar Hijri calendar."""
        return self.language in _SOLAR_HIJRI

    def has(self, key: str) -> bool:
        """Say whether a message (plain or plural) exists in this language or the fallback."""
        return (
            key in self._own
            or key in self._fallback
            or key in self._own_plurals
            or key in self._fallback_plurals
        )

    def n(self, key: str, count: int, /, **params: object) -> str:
        """The plural message ``key`` in the form ``count`` takes, ``{count}`` filled (a
        ``count`` parameter given writes it otherwise, e.g. "50+").

        A plain message of that id serves every count (a catalog not yet plural).
        """
        if key in self._own_plurals:
            forms, language = self._own_plurals[key], self.language
        elif key in self._fallback_plurals and key not in self._own:
            forms, language = self._fallback_plurals[key], FALLBACK_LANGUAGE
        else:
            return self.t(key, **{"count": self.number(count), **params})
        text = forms[min(plural_form(language, count), len(forms) - 1)]
        filled = {"count": self.number(count), **{k: str(v) for k, v in params.items()}}
        return text.format_map(_Lenient(filled))

    def _most_general(self, key: str) -> str | None:
        """A plural message asked for without a count: its last (most general) form."""
        forms = self._own_plurals.get(key) or self._fallback_plurals.get(key)
        return forms[-1] if forms else None

    def lengths(self, lengths: Sequence[int]) -> str:
        """Several lengths an id may have, as this language lists alternatives ("11 or 15")."""
        shown = [self.number(n) for n in lengths]
        return shown[0] if len(shown) == 1 else format_list(shown, "or", self.language)

    def listing(self, items: Sequence[str]) -> str:
        """Items as this language lists them ("A, B and C"), through Babel."""
        return format_list(list(items), "standard", self.language) if items else ""

    def number(self, value: int | float) -> str:
        """A number the way this language writes it, through Babel (``12,345``, ``12.345``,
        ``12 345``, ``۱۲٬۳۴۵``). Where the locale groups with a no-break space, a plain one:
        it keeps a Polish SMS in GSM-7.
        """
        return self.digits(_decimal(value, self.language))

    def isolate(self, text: str) -> str:
        """``text`` kept left to right inside a right-to-left message (U+2068 … U+2069).

        Only where it helps: in a right-to-left language, around text with Latin letters
        or several digit groups (``1234-5678-9012``), which the reader's phone would
        otherwise lay out backwards; elsewhere ``text`` unchanged.
        """
        if not self.rtl or not text or text.startswith(FSI):
            return text
        latin = any("a" <= ch.lower() <= "z" for ch in text)
        grouped = any(ch in "-/." for ch in text) and any(ch.isdigit() for ch in text)
        return f"{FSI}{text}{PDI}" if latin or grouped else text

    def t(self, key: str, **params: object) -> str:
        """The message ``key`` with its ``{fields}`` filled."""
        text = self._own.get(key) or self._fallback.get(key) or self._most_general(key) or key
        if not params:
            return text
        return text.format_map(_Lenient({k: str(v) for k, v in params.items()}))

    def digits(self, text: str) -> str:
        """Write digits the way this language's readers do."""
        return text.translate(_PERSIAN_DIGITS) if self.language in _SOLAR_HIJRI else text

    def date(self, day: date) -> str:
        """A date for this language, through Babel: its locale's short form (23.11.2026,
        23/11/2026), ISO 8601 in English, Solar Hijri with native digits in Persian.

        Only for people to read: machine fields (JSON, FHIR, CSV) stay ISO 8601.
        ``date.max`` is no date but the end of cover without an end (universal cover): "—".
        """
        if day == date.max:
            return "—"
        if self.language in _SOLAR_HIJRI:
            return _solar_hijri(day)
        if self.language in _ISO_DATES:
            return day.isoformat()
        return _local_date(day, self.language)

    def status(self, status: Status) -> str:
        """The status in words."""
        return self.t(f"status.{status.value}")

    def relationship(self, relationship: str) -> str:
        """A relationship in words."""
        return self.t(f"relationship.{relationship}")

    def document(self, kind: str, short: bool = False) -> str:
        """A document kind in words; ``short``: the compact form phones need, where the
        catalog has one (``short.document.<kind>``)."""
        if short and self.has(f"short.document.{kind}"):
            return self.t(f"short.document.{kind}")
        key = f"document.{kind}"
        return self.t(key) if self.has(key) else kind.replace("_", " ")

    def relationship_short(self, relationship: str) -> str:
        """A relationship in the compact form phones need (``short.relationship.<r>``)."""
        key = f"short.relationship.{relationship}"
        return self.t(key) if self.has(key) else self.relationship(relationship)

    def _param(self, name: str, value: str) -> str:
        if name.endswith("_on"):
            return self.date(date.fromisoformat(value))
        if name == "registry":
            return self.t(f"registry.{value}") if self.has(f"registry.{value}") else value
        if name == "privilege":
            key = f"privilege.{value}"
            return self.t(key) if self.has(key) else value.replace("_", " ")
        return self.digits(value) if value.isdigit() else value

    def reason(self, reason: Reason, short: bool = False) -> str:
        """Why, in words: the reason's own message, or the generic one for its document.

        ``short`` gives the compact form phones need (SMS, USSD): a few words, no full stop.
        """
        params = {k: self._param(k, v) for k, v in reason.params}
        if short:
            return self._short_reason(reason, params)
        if reason.code == "OUTSIDE_COVER_PERIOD":
            parts = [self.t("reason.OUTSIDE_COVER_PERIOD")]
            if "ended_on" in params:
                parts.append(self.t("reason.OUTSIDE_COVER_PERIOD.ended", **params))
            if "starts_on" in params:
                parts.append(self.t("reason.OUTSIDE_COVER_PERIOD.starts", **params))
            return " ".join(parts)
        key = f"reason.{reason.code}"
        if self.has(key):
            return self._say(self._dated(key, params), reason, params)
        if reason.resolve_with and reason.code.endswith("_EXPIRED"):
            return self.t(
                self._dated("reason.DOCUMENT_EXPIRED", params),
                document=self.document(reason.resolve_with),
                **params,
            )
        if reason.resolve_with and reason.code.endswith("_REQUIRED"):
            return self.t("reason.DOCUMENT_REQUIRED", document=self.document(reason.resolve_with))
        return reason.code

    def _say(self, key: str, reason: Reason, params: dict[str, str]) -> str:
        """``key`` filled; a plural message in the form the reason's age (or count) takes."""
        if key in self._own_plurals or key in self._fallback_plurals:
            raw = dict(reason.params)
            counted = next((raw[k] for k in ("age", "count") if raw.get(k, "").isdigit()), None)
            if counted is not None:
                return self.n(key, int(counted), **params)
        return self.t(key, **params)

    def _dated(self, key: str, params: dict[str, str]) -> str:
        """``key``, or its ``.undated`` form when a date it names was withheld."""
        text = self._own.get(key) or self._fallback.get(key) or ""
        missing = placeholders(text) - set(params) - {"document"}
        undated = f"{key}.undated"
        return undated if missing and self.has(undated) else key

    def _short_reason(self, reason: Reason, params: dict[str, str]) -> str:
        key = f"short.reason.{reason.code}"
        if self.has(key):
            return self._say(self._dated(key, params), reason, params)
        if reason.resolve_with and reason.code.endswith("_EXPIRED"):
            document = self.document(reason.resolve_with, short=True)
            return self.t(
                self._dated("short.reason.DOCUMENT_EXPIRED", params), document=document, **params
            )
        if reason.resolve_with and reason.code.endswith("_REQUIRED"):
            document = self.document(reason.resolve_with, short=True)
            return self.t("short.reason.DOCUMENT_REQUIRED", document=document)
        return reason.code

    def resolve(self, reason: Reason, issued_by: str | None = None) -> str | None:
        """What the person should bring, and where; None when nothing can be brought."""
        kind = reason.resolve_with
        if kind is None:
            return None
        branch = self.t("issuer.branch")
        special = f"resolve.{kind}"
        if self.has(special):
            return self.t(special, branch=branch)
        issuer = self.t(f"issuer.{issued_by}") if issued_by else branch
        return self.t(
            "resolve.document", document=self.document(kind), issuer=issuer, branch=branch
        )

    def error(self, error: EligibilityError, **extra: object) -> str:
        """A refusal in words."""
        params = {**error.params, **extra}
        problem = params.get("problem")
        key = f"error.{error.code}"
        if problem and self.has(f"{key}.{problem}"):
            key = f"{key}.{problem}"
        if isinstance(params.get("lengths"), str):  # "11 / 15" from the core: "11 or 15"
            given = [int(n) for n in str(params["lengths"]).split("/") if n.strip().isdigit()]
            if given:
                params["lengths"] = self.lengths(given)
        counted = next((params[k] for k in _COUNTED if isinstance(params.get(k), int)), None)
        if isinstance(counted, int) and (key in self._own_plurals or key in self._fallback_plurals):
            return self.n(key, counted, **_fmt(self, params))
        return self.t(key, **_fmt(self, params))


#: The parameter a plural error message counts by, the first an error has.
_COUNTED = ("count", "minutes", "length", "seconds", "days", "months")


def _fmt(w: Wording, params: Mapping[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in params.items():
        if isinstance(v, date):
            out[k] = w.date(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            out[k] = w.digits(str(v))
        else:
            out[k] = v
    return out


class _Lenient(dict[str, str]):
    """Leave unknown fields visible rather than failing on a translator's typo."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@functools.lru_cache(maxsize=4096)
def _local_date(day: date, language: str) -> str:
    """``day`` in the locale's short form (CLDR), with a four-digit year."""
    return format_date(day, format="short", locale=language)


@functools.lru_cache(maxsize=4096)
def _decimal(value: int | float, language: str) -> str:
    text = format_decimal(value, locale=language, numbering_system="default")
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@functools.lru_cache(maxsize=4096)
def _solar_hijri(day: date) -> str:
    """``day`` as yyyy/mm/dd of the Solar Hijri calendar, in Persian digits.

    Cached: jdatetime consults the process locale on every conversion, and answers name the
    same few dates (today, the service date) again and again.
    """
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}".translate(_PERSIAN_DIGITS)
