"""``LANG xx`` by SMS: keep the phone's language (the core decides which), and say so in it.

The choice is the phone's on every channel (USSD, Telegram): the core keeps it. A phone the
registry does not know has nothing kept about it: it is told, in the language it asked for,
that it is not on file. A code or name not offered gets the list of those offered.
"""

from __future__ import annotations

from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.sms.commands import CHANNEL, Reply
from eligibility_gw.channels.sms.grammar import ChooseLanguage
from eligibility_gw.identity import PhoneIdentity
from eligibility_gw.languages import Languages
from eligibility_gw.textbudget import clip, fit
from eligibility_gw.wording import Wording


def typed_code(languages: Languages, language: str) -> str:
    """The shortest code a person can send for ``language`` (``pt`` for ``pt_BR``)."""
    base = language.split("_", maxsplit=1)[0]
    return base if languages.read(base) == language else language.replace("_", "-")


def language_set(w: Wording) -> str:
    """The confirmation, in the language chosen."""
    return clip(w.t("sms.language.set", name=w.t("language.name")))


def languages_offered(w: Wording, languages: Languages, unknown: bool = False) -> str:
    """The languages offered and how to choose one (after "not offered" when ``unknown``):
    with each language's own name where that fits one SMS, else the codes alone."""
    codes = [(typed_code(languages, code), name) for code, name in languages.names()]
    others = [
        typed
        for (typed, _), code in zip(codes, languages.offered, strict=True)
        if code != w.language
    ]
    example = (others or [codes[0][0]])[0]
    named = ", ".join(f"{code} {name}" for code, name in codes)
    bare = ", ".join(code for code, _ in codes)
    offered = [
        w.t("sms.language.offered", languages=text, example=example) for text in (named, bare)
    ]
    lead = w.t("sms.language.unknown")
    if unknown:
        return fit([f"{lead} {offered[0]}", f"{lead} {offered[1]}", offered[1]])
    return fit(offered)


async def choose_language(
    languages: Languages,
    identity: PhoneIdentity,
    command: ChooseLanguage,
    w: Wording,
    hotline: str,
) -> Reply:
    """The reply to ``LANG xx``; the choice kept for a phone on file."""
    wanted = languages.read(command.language) if command.language else None
    if wanted is None:
        if not command.language:
            return Reply(languages_offered(w, languages), "language_list")
        return Reply(languages_offered(w, languages, unknown=True), "language_unknown")
    chosen = Wording(wanted)
    if not identity.is_known:
        # Nothing is kept about a phone the registry does not know.
        return Reply(replies.not_on_file(chosen, hotline), "language_not_kept")
    await languages.choose(identity.phone, wanted, CHANNEL)
    return Reply(language_set(chosen), "language_set")
