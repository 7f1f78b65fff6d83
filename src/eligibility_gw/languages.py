"""Which language a person reads: one decision, made here for every channel.

The order is the same everywhere: the language the person's phone chose (SMS ``LANG ro``,
the USSD language menu, Telegram's language buttons), while the deployment offers it; then
what the channel tells of the person (Telegram's ``language_code``, the script of an SMS
body, an ``Accept-Language`` header); then the deployment's default (the first of
``[gateway] languages``). Channels hand in their signal and word their replies in what comes
back; they never decide on their own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.languages import LanguagePreference, LanguagePreferences
from eligibility_gw.wording import FALLBACK_LANGUAGE, Wording, shipped_language

log = structlog.get_logger(__name__)

#: How many entries of an ``Accept-Language`` header are read (the rest are ignored).
MAX_ACCEPT_ENTRIES = 20
_Q = re.compile(r"^q=(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")
_NOT_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """``text`` as names are compared: case, accents and punctuation left out.

    ``Română``, ``ROMANA`` and ``romana`` fold alike, and so do ``JĘZYK`` and ``jezyk``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", bare).split())


def offered_languages(configured: Sequence[str]) -> tuple[str, ...]:
    """The shipped catalogs ``[gateway] languages`` names, in its order (``pt-BR`` is
    ``pt_BR``); English when it names none that is shipped."""
    found: list[str] = []
    for tag in configured:
        language = shipped_language(tag)
        if language is not None and language not in found:
            found.append(language)
    return tuple(found) or (FALLBACK_LANGUAGE,)


def _ranked(header: str) -> list[tuple[float, str]]:
    """The tags of an ``Accept-Language`` header with their weights, in the header's order."""
    ranked: list[tuple[float, str]] = []
    for part in header.split(",")[:MAX_ACCEPT_ENTRIES]:
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0]
        if not tag:
            continue
        q = 1.0
        for parameter in pieces[1:]:
            compact = parameter.replace(" ", "").lower()
            if compact.startswith("q="):
                q = float(compact[2:]) if _Q.match(compact) else 0.0
        ranked.append((q, tag))
    return ranked


class Languages:
    """The languages a deployment offers, and the one each person reads."""

    def __init__(self, preferences: LanguagePreferences | None, configured: Sequence[str]) -> None:
        self.preferences = preferences
        self.offered = offered_languages(configured)
        self._by_code = dict.fromkeys(self.offered)
        self._by_name: dict[str, str] = {}
        for language in self.offered:
            name = fold(Wording(language).t("language.name"))
            for key in (name, name.split(" ", maxsplit=1)[0]):
                self._by_name.setdefault(key, language)

    @property
    def default(self) -> str:
        """The language of people whose language is not known."""
        return self.offered[0]

    def offered_tag(self, tag: str | None) -> str | None:
        """The offered language a tag names (``pt-BR``, ``pt_br``, ``pt``, ``fa-IR``), if any."""
        if not tag or not tag.strip():
            return None
        return shipped_language(tag, self._by_code)

    def read(self, text: str) -> str | None:
        """The offered language a person wrote: a code (``ro``, ``pt-BR``) or its own name
        (``română``, ``ROMANA``, ``Português``); None when it names none offered."""
        folded = fold(text)
        if not folded:
            return None
        code = folded.replace(" ", "_")
        if re.fullmatch(r"[a-z]{2,3}(?:_[a-z0-9]{2,8})?", code):
            found = self.offered_tag(code)
            if found is not None:
                return found
        return self._by_name.get(folded)

    def names(self) -> list[tuple[str, str]]:
        """Each offered language's code and its name in itself, in the deployment's order."""
        return [(language, Wording(language).t("language.name")) for language in self.offered]

    def signalled(self, signal: str | None) -> str:
        """What the channel tells of the person when offered, else the default."""
        return self.offered_tag(signal) or self.default

    def negotiate(self, header: str) -> str:
        """The best offered language of an ``Accept-Language`` header (RFC 9110 §12.5.4).

        Tags are weighed by ``q`` (0 refuses, a malformed weight counts as 0), ties go to
        the earlier tag; a regional tag finds its regional catalog or the base language
        (``pt-BR``, ``pt`` find ``pt_BR``; ``en-GB`` finds ``en``); ``*`` stands for any
        offered language the header does not name. Nothing acceptable: the default.
        """
        ranked = _ranked(header)
        named = {self.offered_tag(tag) for _, tag in ranked if tag != "*"}
        best: tuple[float, int, str] | None = None
        for position, (q, tag) in enumerate(ranked):
            if q <= 0:
                continue
            if tag == "*":
                others = [lang for lang in self.offered if lang not in named]
                language = others[0] if others else None
            else:
                language = self.offered_tag(tag)
            if language is not None and (best is None or (-q, position) < best[:2]):
                best = (-q, position, language)
        return best[2] if best is not None else self.default

    async def preferred(self, phone: str | None) -> str | None:
        """The language the phone chose, while it is offered; None otherwise.

        A store that cannot answer leaves the choice to the channel's signal: a language is
        never worth an answer the person would otherwise get.
        """
        if phone is None or self.preferences is None:
            return None
        try:
            found = await self.preferences.get(phone)
        except StoreUnavailable as exc:
            log.warning("language_preference_unavailable", problem=exc.problem)
            return None
        if found is None:
            return None
        return self.offered_tag(found.language)

    async def for_phone(self, phone: str | None, signal: str | None = None) -> str:
        """The language to answer ``phone`` in: its choice > ``signal`` > the default."""
        return await self.preferred(phone) or self.signalled(signal)

    async def choose(self, phone: str, language: str, channel: str) -> str | None:
        """Keep ``language`` (a code or a name) for ``phone``; the offered language kept, or
        None when it names none offered (nothing is kept then)."""
        found = self.read(language)
        if found is None:
            return None
        if self.preferences is not None:
            await self.preferences.set(LanguagePreference(phone, found, channel, datetime.now(UTC)))
        log.info("language_chosen", channel=channel, language=found)
        return found
