"""The console's texts: every id the code and templates use has words in every language."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from eligibility_gw.channels.console.casework import CALLER_CHANNELS, LIST_FILTERS
from eligibility_gw.channels.console.lookup import QueryKind
from eligibility_gw.channels.console.rendering import CONSOLE
from eligibility_gw.channels.console.resolution import SmsOutcome
from eligibility_gw.channels.console.views import TWILIO_STATUSES
from eligibility_gw.channels.pages.frame import KIT_TEXTS
from eligibility_gw.domain.disputes import OUTCOMES, DisputeAction, DisputeStatus
from eligibility_gw.domain.model import ServiceSetting
from eligibility_gw.ports.casework import EventKind, Role
from eligibility_gw.wording import available_languages, catalogs, placeholders, plural_catalogs

LANGUAGES = available_languages()
_ID = re.compile(r"""['"](console\.[a-z_.]*[a-z_])['"]""")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
#: Persian texts that are names or acronyms, the same in every language.
_SAME_IN_PERSIAN = {"console.channel.web", "console.channel.fhir"}


def _sources() -> list[str]:
    root = resources.files("eligibility_gw.channels.console")
    found = []
    for entry in root.iterdir():
        if entry.name.endswith(".py"):
            found.append(entry.read_text("utf-8"))
    for entry in root.joinpath("templates").iterdir():
        found.append(entry.read_text("utf-8"))
    return found


def used_ids() -> set[str]:
    """Every literal ``console.`` message id in the code and the templates."""
    ids = {m for text in _sources() for m in _ID.findall(text)}
    return {i for i in ids if not i.endswith(".css")}


def family_ids() -> set[str]:
    """The ids built from a prefix and a value (statuses, actions, channels...)."""
    ids = {f"console.dispute.status.{s.value}" for s in DisputeStatus}
    ids |= {f"console.dispute.action.{a.value}" for a in DisputeAction}
    ids |= {f"console.sms.{s.value}" for s in OUTCOMES}
    ids |= {f"console.sms.state.{s.value}" for s in SmsOutcome}
    ids |= {f"console.sms.twilio.{s}" for s in TWILIO_STATUSES}
    ids |= {f"console.caller.{c}" for c in CALLER_CHANNELS}
    ids |= {f"console.disputes.filter.{f}" for f in LIST_FILTERS}
    ids |= {f"console.role.{r.value}" for r in Role}
    ids |= {f"console.event.{k.value}" for k in EventKind}
    ids |= {f"console.search.kind.{k.value}" for k in QueryKind}
    ids |= {f"console.document.state.{s}" for s in ("valid", "lapsed", "not_yet")}
    ids |= {f"console.document.source.{s}" for s in ("registry", "branch")}
    actions = ("search", "record", "family", "dispute", "reports")
    ids |= {f"console.access.action.{a}" for a in actions}
    ids |= {f"console.setting.{s.value}" for s in ServiceSetting}
    ids |= {f"console.person.saved.{s}" for s in ("document", "phone")}
    ids |= {CONSOLE.text(piece) for piece in KIT_TEXTS}  # the page kit's, in the console's words
    return ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_id_in_use_has_words(language: str) -> None:
    cats = catalogs()
    wanted = used_ids() | family_ids()
    assert len(wanted) > 150
    plurals = plural_catalogs()[language]
    missing = sorted(i for i in wanted if i not in cats[language] and i not in plurals)
    assert not missing


def test_no_console_message_is_left_unused() -> None:
    shipped = {k for k in (*catalogs()["en"], *plural_catalogs()["en"]) if k.startswith("console.")}
    channels = {k for k in shipped if k.startswith(("console.channel.", "console.asker."))}
    unused = shipped - used_ids() - family_ids() - channels
    assert not unused


def test_persian_has_every_console_text_in_persian_with_the_same_fields() -> None:
    cats = catalogs()
    for key, english in cats["en"].items():
        if not key.startswith("console."):
            continue
        persian = cats["fa"][key]
        assert placeholders(persian) == placeholders(english), key
        if key not in _SAME_IN_PERSIAN and english != persian:
            assert _ARABIC_SCRIPT.search(persian), key
