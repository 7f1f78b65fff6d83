"""Keyboards: the contact button, the main menu, family pages and languages, with their data.

Callback data travels through Telegram and back and can be forged by a modified client: it
never holds a national id, only a keyed digest the handler matches against the members the
phone may see anyway, and it fits Telegram's 64 bytes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram.constants import InlineKeyboardButtonLimit

from eligibility_gw.wording import Wording

MAX_CALLBACK_BYTES: int = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
_TOKEN_HEX = 12


class Action(enum.StrEnum):
    """What a menu button or a command asks for."""

    COVER = "cover"
    FAMILY = "family"
    CHECK = "check"
    CODE = "code"
    LANGUAGE = "language"
    FORGET = "forget"
    HELP = "help"
    START = "start"
    #: ``/document``: send a document for review (a photo or a PDF sent at any time does too).
    DOCUMENT = "document"


#: The main menu's buttons, in reading order; CHECK is shown to providers' phones only.
MENU: tuple[Action, ...] = (
    Action.COVER,
    Action.FAMILY,
    Action.CHECK,
    Action.CODE,
    Action.LANGUAGE,
    Action.FORGET,
)


class Tap(enum.StrEnum):
    """The kinds of inline button data."""

    MEMBER = "m"
    PAGE = "p"
    LANGUAGE = "l"
    #: A member chosen as the one a document is for, and a page of that list.
    UPLOAD = "u"
    UPLOAD_PAGE = "v"


def callback(kind: Tap, value: str) -> str:
    """Button data ``kind:value``; refuse data Telegram would refuse."""
    data = f"{kind.value}:{value}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes")
    return data


def parse_callback(data: str) -> tuple[Tap, str] | None:
    """The kind and value of button data; None for data this bot never made."""
    kind, sep, value = data.partition(":")
    if not sep or not value or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    try:
        return Tap(kind), value
    except ValueError:
        return None


def member_token(key: bytes, national_id: str) -> str:
    """A short keyed stand-in for a member's national id in button data."""
    return hmac.new(key, national_id.encode("utf-8"), hashlib.sha256).hexdigest()[:_TOKEN_HEX]


def menu_label(w: Wording, action: Action) -> str:
    """The text of a menu button."""
    return w.t(f"telegram.menu.{action.value}")


def action_of(text: str, wordings: Iterable[Wording]) -> Action | None:
    """The menu action whose button reads ``text`` in any of the languages."""
    typed = text.strip()
    for w in wordings:
        for action in MENU:
            if typed == menu_label(w, action):
                return action
    return None


def main_menu(w: Wording, provider: bool, insured: bool) -> ReplyKeyboardMarkup:
    """The reply keyboard of a linked chat: only the buttons this phone can use."""
    shown = [
        a
        for a in MENU
        if (a is not Action.CHECK or provider)
        and (a not in (Action.COVER, Action.FAMILY) or insured)
    ]
    labels = [menu_label(w, a) for a in shown]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def contact_keyboard(w: Wording) -> ReplyKeyboardMarkup:
    """One button that shares the user's own phone number."""
    button = KeyboardButton(w.t("telegram.button.share_phone"), request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


@dataclass(frozen=True, slots=True)
class MemberButton:
    """A family member as a button: the label shown and the token sent back."""

    label: str
    token: str


def pages(count: int, page_size: int) -> int:
    """How many pages ``count`` entries take (at least one)."""
    return max(1, -(-count // page_size))


def family_page(
    w: Wording,
    members: Sequence[MemberButton],
    page: int,
    page_size: int,
    tap: Tap = Tap.MEMBER,
    page_tap: Tap = Tap.PAGE,
) -> InlineKeyboardMarkup:
    """One page of member buttons, one a row, with previous/next under them.

    ``tap`` and ``page_tap`` say what the buttons are for: an answer (the default) or the
    member a document is for.
    """
    last = pages(len(members), page_size) - 1
    page = min(max(page, 0), last)
    shown = members[page * page_size : (page + 1) * page_size]
    rows = [[InlineKeyboardButton(m.label, callback_data=callback(tap, m.token))] for m in shown]
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                w.t("telegram.button.previous"), callback_data=callback(page_tap, str(page - 1))
            )
        )
    if page < last:
        nav.append(
            InlineKeyboardButton(
                w.t("telegram.button.next"), callback_data=callback(page_tap, str(page + 1))
            )
        )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def language_keyboard(languages: Sequence[str]) -> InlineKeyboardMarkup:
    """One button per language, each named in its own language."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    Wording(code).t("language.name"), callback_data=callback(Tap.LANGUAGE, code)
                )
            ]
            for code in languages
        ]
    )
