"""Every text a person reads: message catalogs (gettext .po through Babel) and formatting.

Channels format one channel-neutral answer through a ``Wording``, so a reason reads the
same on the web, by SMS, over USSD and in Telegram.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from datetime import date
from importlib import resources

import jdatetime
from babel.messages.pofile import read_po

from eligibility_gw.domain.errors import EligibilityError
from eligibility_gw.domain.model import Reason, Status

FALLBACK_LANGUAGE = "en"
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
#: Languages whose dates are shown in the Solar Hijri calendar, with native digits.
_SOLAR_HIJRI = frozenset({"fa"})
_RTL = frozenset({"fa", "ar", "he", "ur", "ps"})


@functools.cache
def catalogs() -> Mapping[str, Mapping[str, str]]:
    """Every shipped catalog as ``{language: {message id: text}}``, read once.

    A language is shipped when it has ``messages.po``; its other ``.po`` files (one per part,
    e.g. ``portal.po``, ids prefixed by the part's name) are merged into it.
    """
    found: dict[str, dict[str, str]] = {}
    root = resources.files("eligibility_gw.locale")
    for folder in root.iterdir():
        messages = folder.joinpath("LC_MESSAGES")
        if not messages.joinpath("messages.po").is_file():
            continue
        parts = sorted(
            (po for po in messages.iterdir() if po.name.endswith(".po")),
            key=lambda po: (po.name != "messages.po", po.name),
        )
        merged: dict[str, str] = {}
        for po in parts:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=folder.name)
            merged.update({str(m.id): str(m.string) for m in catalog if m.id and m.string})
        found[folder.name] = merged
    return found


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

    @property
    def rtl(self) -> bool:
        """Say whether the language is written right to left."""
        return self.language in _RTL

    def has(self, key: str) -> bool:
        """Say whether a message exists in this language or the fallback."""
        return key in self._own or key in self._fallback

    def t(self, key: str, **params: object) -> str:
        """The message ``key`` with its ``{fields}`` filled."""
        text = self._own.get(key) or self._fallback.get(key) or key
        if not params:
            return text
        return text.format_map(_Lenient({k: str(v) for k, v in params.items()}))

    def digits(self, text: str) -> str:
        """Write digits the way this language's readers do."""
        return text.translate(_PERSIAN_DIGITS) if self.language in _SOLAR_HIJRI else text

    def date(self, day: date) -> str:
        """A date for this language: ISO 8601, or Solar Hijri with native digits.

        ``date.max`` is no date but the end of cover without an end (universal cover): "—".
        """
        if day == date.max:
            return "—"
        if self.language in _SOLAR_HIJRI:
            return _solar_hijri(day)
        return day.isoformat()

    def status(self, status: Status) -> str:
        """The status in words."""
        return self.t(f"status.{status.value}")

    def relationship(self, relationship: str) -> str:
        """A relationship in words."""
        return self.t(f"relationship.{relationship}")

    def document(self, kind: str) -> str:
        """A document kind in words."""
        key = f"document.{kind}"
        return self.t(key) if self.has(key) else kind.replace("_", " ")

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
            return self.t(self._dated(key, params), **params)
        if reason.resolve_with and reason.code.endswith("_EXPIRED"):
            return self.t(
                self._dated("reason.DOCUMENT_EXPIRED", params),
                document=self.document(reason.resolve_with),
                **params,
            )
        if reason.resolve_with and reason.code.endswith("_REQUIRED"):
            return self.t("reason.DOCUMENT_REQUIRED", document=self.document(reason.resolve_with))
        return reason.code

    def _dated(self, key: str, params: dict[str, str]) -> str:
        """``key``, or its ``.undated`` form when a date it names was withheld."""
        text = self._own.get(key) or self._fallback.get(key) or ""
        missing = placeholders(text) - set(params) - {"document"}
        undated = f"{key}.undated"
        return undated if missing and self.has(undated) else key

    def _short_reason(self, reason: Reason, params: dict[str, str]) -> str:
        key = f"short.reason.{reason.code}"
        if self.has(key):
            return self.t(self._dated(key, params), **params)
        if reason.resolve_with and reason.code.endswith("_EXPIRED"):
            document = self.document(reason.resolve_with)
            return self.t(
                self._dated("short.reason.DOCUMENT_EXPIRED", params), document=document, **params
            )
        if reason.resolve_with and reason.code.endswith("_REQUIRED"):
            document = self.document(reason.resolve_with)
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
        if problem and self.has(f"error.{error.code}.{problem}"):
            return self.t(f"error.{error.code}.{problem}", **_fmt(self, params))
        return self.t(f"error.{error.code}", **_fmt(self, params))


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
def _solar_hijri(day: date) -> str:
    """``day`` as yyyy/mm/dd of the Solar Hijri calendar, in Persian digits.

    Cached: jdatetime consults the process locale on every conversion, and answers name the
    same few dates (today, the service date) again and again.
    """
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}".translate(_PERSIAN_DIGITS)
