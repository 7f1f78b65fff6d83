"""``LANG xx`` by SMS: the phone's language is chosen, kept in the store, and used after.

On a real SQLite file: the choice is the store's, not the process's. Every way of naming a
language (code, regional code, own name with or without diacritics, the word for "language"
of each shipped language) finds it; a language not offered gets the list of those offered.
"""

from __future__ import annotations

import re

import pytest

from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.sms.languages import language_set, languages_offered
from eligibility_gw.channels.sms.settings import SmsSettings
from eligibility_gw.domain.tracking import TrackingCode
from eligibility_gw.languages import Languages
from eligibility_gw.textbudget import is_gsm7, sms_segments
from eligibility_gw.wording import Wording, available_languages
from tests.channels.sms.conftest import MakeSms
from tests.channels.sms.support import REZAEI, STRANGER

SIX = ("en", "fa", "ro", "pt_BR", "pl", "ru")
POPESCU = "+40721000001"  # the principal of the Popescu family under ro-cnas, covered
POPESCU_CNP = "1000000000010"
_CODE = re.compile(r"\b(\d{4})-(\d{4})-(\d{4})\b")
#: SMS alone: the other channels' start-up checks are their own tests' business.
SMS_ONLY = {name: {"enabled": False} for name in ("ussd", "telegram", "console")}


async def test_lang_ro_then_the_cnp_gets_a_romanian_reply_in_one_segment(
    make_sms: MakeSms,
) -> None:
    sms = await make_sms(
        store="sqlite",
        rule_pack="ro-cnas",
        time_zone="Europe/Bucharest",
        languages=("en", "ro"),
        channels=SMS_ONLY,
    )
    ro = Wording("ro")
    chosen = await sms.text(POPESCU, "LANG RO")
    assert chosen.message == language_set(ro)
    assert chosen.segments == 1
    kept = await sms.store.languages.get(POPESCU)
    assert kept is not None
    assert (kept.language, kept.channel) == ("ro", "sms")

    reply = await sms.text(POPESCU, POPESCU_CNP)
    text = reply.message
    assert text is not None
    assert ro.t("short.status.eligible") in text, text
    assert not is_gsm7(text)  # Romanian diacritics: UCS-2
    assert reply.segments == 1, text
    found = _CODE.search(text)
    assert found, text
    record = await sms.store.answers.find(TrackingCode.parse(found.group()))
    assert record is not None
    assert record.draft.national_id == POPESCU_CNP


WAYS = [
    ("LANG ro", "ro"),
    ("lang RO", "ro"),
    ("LANG română", "ro"),
    ("LANG ROMANA", "ro"),
    ("LIMBA romana", "ro"),
    ("limbă Română", "ro"),
    ("LANG pt", "pt_BR"),
    ("LANG pt-BR", "pt_BR"),
    ("LANG pt_br", "pt_BR"),
    ("IDIOMA português", "pt_BR"),
    ("idioma Portugues (Brasil)", "pt_BR"),
    ("JĘZYK pl", "pl"),
    ("JEZYK polski", "pl"),
    ("język Polski", "pl"),
    ("ЯЗЫК ru", "ru"),
    ("язык русский", "ru"),
    ("زبان fa", "fa"),
    ("زبان فارسی", "fa"),
    ("LANGUAGE English", "en"),
    ("  lang   EN ", "en"),
]


@pytest.mark.parametrize(("body", "language"), WAYS, ids=[w[0] for w in WAYS])
async def test_every_way_of_naming_a_language_finds_it(
    make_sms: MakeSms, body: str, language: str
) -> None:
    # Persian first: a choice of English is a change too.
    sms = await make_sms(
        languages=("fa", *[lang for lang in SIX if lang != "fa"]), channels=SMS_ONLY
    )
    reply = await sms.text(REZAEI, body)
    assert reply.message == language_set(Wording(language))
    kept = await sms.store.languages.get(REZAEI)
    assert kept is not None
    assert kept.language == language


LATER = [
    # chosen, a later message in another script, what it is answered with
    ("LANG ru", "HELP", "ru"),
    ("LANG ro", "راهنما", "ro"),
    ("LANG pl", "ПОМОЩЬ", "pl"),
    ("زبان en", "راهنما", "en"),
]


@pytest.mark.parametrize(("choice", "later", "language"), LATER)
async def test_later_messages_in_any_script_are_answered_in_the_choice(
    make_sms: MakeSms, choice: str, later: str, language: str
) -> None:
    sms = await make_sms(store="sqlite", languages=SIX, channels=SMS_ONLY)
    assert (await sms.text(REZAEI, choice)).message == language_set(Wording(language))
    reply = await sms.text(REZAEI, later)
    assert reply.message == replies.help_text(Wording(language))


async def test_without_a_choice_the_script_and_then_the_default_decide(make_sms: MakeSms) -> None:
    sms = await make_sms(languages=("en", "fa", "ru"), channels=SMS_ONLY)
    assert (await sms.text(REZAEI, "HELP")).message == replies.help_text(Wording("en"))
    assert (await sms.text(REZAEI, "راهنما")).message == replies.help_text(Wording("fa"))
    assert (await sms.text(REZAEI, "ПОМОЩЬ")).message == replies.help_text(Wording("ru"))


NOT_CHOSEN = [
    # offered, body, outcome: the list (after "not offered" for a name that is not offered)
    (("en", "ro"), "LANG xx", True),
    (("en", "ro"), "LANG pl", True),
    (("en", "ro"), "JĘZYK polski", True),
    (("en", "ro"), "LANG klingon", True),
    (("en", "ro"), "LANG", False),
    (SIX, "ЯЗЫК", False),
]


@pytest.mark.parametrize(("offered", "body", "unknown"), NOT_CHOSEN)
async def test_an_unknown_or_unoffered_language_gets_the_list(
    make_sms: MakeSms, offered: tuple[str, ...], body: str, unknown: bool
) -> None:
    sms = await make_sms(store="sqlite", languages=offered, channels=SMS_ONLY)
    reply = await sms.text(REZAEI, body)
    text = reply.message
    assert text is not None
    assert reply.segments == 1, text
    w = Wording("ru" if "ЯЗЫК" in body else offered[0])
    assert text == languages_offered(w, Languages(None, offered), unknown=unknown)
    assert (w.t("sms.language.unknown") in text) is unknown
    for code in offered:
        assert code.split("_")[0] in text
    assert "pl" not in text.split() or "pl" in offered
    assert await sms.store.languages.get(REZAEI) is None


async def test_a_phone_not_on_file_keeps_nothing(make_sms: MakeSms) -> None:
    sms = await make_sms(store="sqlite", languages=SIX, channels=SMS_ONLY)
    reply = await sms.text(STRANGER, "LANG pl")
    assert reply.message == replies.not_on_file(Wording("pl"), SmsSettings().hotline)
    assert await sms.store.languages.get(STRANGER) is None
    # ... and is answered in the default language again.
    assert (await sms.text(STRANGER, "HELP")).message == replies.help_text(Wording("en"))


@pytest.mark.parametrize("language", available_languages())
def test_language_replies_fit_one_sms(language: str) -> None:
    w = Wording(language)
    six = Languages(None, SIX)
    texts = [
        language_set(w),
        languages_offered(w, six),
        languages_offered(w, six, unknown=True),
        languages_offered(w, Languages(None, ("en", language))),
        languages_offered(w, Languages(None, ("en", language)), unknown=True),
    ]
    for text in texts:
        assert sms_segments(text) == 1, text
    assert w.t("language.name") in language_set(w)
