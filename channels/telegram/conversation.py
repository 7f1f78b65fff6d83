"""What the bot answers to each update, and to whom: the channel's side of the conversation.

Nothing personal is said before the chat has proved a phone by sharing the sender's own
contact. Then the phone asks through the inquiry policy (``Inquiries``) as what it is: a
provider's phone as that provider, a phone on file for insured people as those people. The
policy decides what each may learn and how often, and counts every channel together; this
module turns updates into inquiries, and refusals and answers into messages.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove

from eligibility_gw.channels.telegram.answers import answer_text, split_message
from eligibility_gw.channels.telegram.documents import KEYS as UPLOAD_KEYS
from eligibility_gw.channels.telegram.documents import Documents, FileFetcher, SentFile
from eligibility_gw.channels.telegram.keyboards import (
    Action,
    MemberButton,
    Tap,
    action_of,
    contact_keyboard,
    family_page,
    language_keyboard,
    main_menu,
    member_token,
    pages,
    parse_callback,
)
from eligibility_gw.channels.telegram.settings import TelegramSettings
from eligibility_gw.channels.telegram.turns import Outgoing, ReplyMarkup, Turn
from eligibility_gw.domain.digits import compact_number
from eligibility_gw.domain.errors import (
    EligibilityError,
    InvalidInput,
    NotPermitted,
    ProviderInactive,
    QuotaExceeded,
    Refused,
)
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.domain.tracking import TRACKING_CODE_LENGTH, TrackingCode
from eligibility_gw.identity import PhoneIdentity
from eligibility_gw.inquiries import Inquiries, Member
from eligibility_gw.keyvalue import RateLimiter, Sessions
from eligibility_gw.languages import Languages
from eligibility_gw.phones import InvalidPhone, normalise_phone
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure
from eligibility_gw.policy.standing import is_stale_now
from eligibility_gw.ports import KeyValueStore, StoreUnavailable
from eligibility_gw.ports.chats import Binding, TelegramBindings
from eligibility_gw.textinput import parse_date
from eligibility_gw.uploads import Uploads
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

CHANNEL = "telegram"
#: A member an insured phone may ask about, with the person and family ``Inquiries`` found.
Visible = tuple[Member, Person, Family]


@dataclass(frozen=True, slots=True)
class Sender:
    """Where an update comes from: the chat, the Telegram user, their app's language."""

    chat_id: int
    user_id: int
    language_code: str | None
    private: bool = True


@dataclass(frozen=True, slots=True)
class Command:
    """A command (``/start``) or the menu button standing for it."""

    action: Action


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A contact sent to the bot: ``user_id`` is the Telegram user the number belongs to."""

    user_id: int | None
    phone_number: str


@dataclass(frozen=True, slots=True)
class Text:
    """Typed text (or a menu button's label)."""

    text: str


@dataclass(frozen=True, slots=True)
class ButtonTap:
    """An inline button tapped: its callback data."""

    data: str


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Anything else: a photo, a sticker, an unknown command."""


Event = Command | SharedContact | Text | ButtonTap | SentFile | Unsupported
__all__ = ["Conversation", "Event", "Outgoing", "ReplyMarkup", "SentFile", "Turn"]


@dataclass(slots=True)
class _Chat:
    """What answering one update knows about its chat."""

    sender: Sender
    w: Wording
    binding: Binding | None
    session: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.sender.chat_id)


def contact_phone(raw: str, region: str) -> str:
    """E.164 of a shared contact's number (Telegram sends it with or without the ``+``)."""
    text = raw.strip().replace(" ", "")
    if text.isascii() and text.isdigit():
        text = "+" + text
    return normalise_phone(text, region)


def _sender_kind(identity: PhoneIdentity) -> str:
    if identity.provider is not None:
        return "provider"
    return "insured" if identity.is_insured else "unknown"


class Conversation:
    """Answer updates: one entry point, ``handle``, for every kind of update.

    It holds only what it asks through: the inquiry policy, the chat bindings, the shared
    short-lived state (sessions) and the rate limiter over it (the per-sender flood guard).
    """

    def __init__(
        self,
        settings: TelegramSettings,
        inquiries: Inquiries,
        bindings: TelegramBindings,
        state: KeyValueStore,
        limiter: RateLimiter,
        member_key: bytes,
        languages: Sequence[str],
        uploads: Uploads | None = None,
        files: FileFetcher | None = None,
        preferences: Languages | None = None,
    ) -> None:
        self.settings = settings
        self.inquiries = inquiries
        self.bindings = bindings
        self.limiter = limiter
        self.member_key = member_key
        #: Which language each person reads: the core decides (a phone's choice on any
        #: channel, else the app's ``language_code``, else the default).
        self.core = preferences or Languages(None, languages)
        self.languages: tuple[str, ...] = self.core.offered
        self.wordings = tuple(Wording(lang) for lang in self.languages)
        self.sessions = Sessions(state, CHANNEL, settings.pending_seconds)
        #: Documents sent from the chat for review (photos, PDFs).
        self.documents = Documents(settings, inquiries, self.sessions, member_key, uploads, files)

    # -- languages ----------------------------------------------------------------------

    def language_for(self, language_code: str | None) -> str:
        """The offered language closest to a Telegram ``language_code`` (``fa``, ``en-US``,
        ``pt-br``), else the default."""
        return self.core.signalled(language_code)

    async def bound_language(self, binding: Binding) -> str:
        """A bound chat's language: the phone's choice (made on any channel), else the
        chat's own."""
        return await self.core.for_phone(binding.phone, binding.language)

    async def language_of(self, sender: Sender) -> str:
        """The chat's language, reading the binding when it can (for error messages)."""
        try:
            binding = await self.bindings.get(sender.chat_id)
        except StoreUnavailable:  # the store may be what failed: the app's language then
            binding = None
        if binding is not None and binding.user_id == sender.user_id:
            return await self.bound_language(binding)
        return self.language_for(sender.language_code)

    # -- the entry point ------------------------------------------------------------------

    async def handle(self, sender: Sender, event: Event) -> Turn:
        """The answer to one update; a refusal or an outage is answered in words too."""
        w = Wording(self.language_for(sender.language_code))
        chat: _Chat | None = None
        try:
            chat = await self._chat(sender)
            w = chat.w
            limited = await self._sender_limited(chat)
            if limited is not None:
                turn = limited
            elif not sender.private:  # anyone in a group could use a linked chat
                turn = Turn("refused_not_private", (Outgoing(w.t("telegram.private_only")),))
            else:
                turn = await self._dispatch(chat, event)
                w = chat.w  # a language chosen in this turn words what follows
        except (EligibilityError, StoreUnavailable) as exc:
            turn = self._refusal(w, exc)
        log.info(
            "telegram_answered",
            update_kind=type(event).__name__,
            outcome=turn.outcome,
            language=w.language,
            linked=chat is not None and chat.binding is not None,
            tracking_codes=list(turn.tracking_codes),
        )
        return turn

    def _refusal(self, w: Wording, exc: EligibilityError | StoreUnavailable) -> Turn:
        """A refusal of the policy, bad input or an outage, in the chat's words.

        The same text goes in the note of a tapped button, so its spinner says it too.
        """
        outcome, text = self._refusal_words(w, exc)
        return Turn(outcome, (Outgoing(text),), notice=text)

    def _refusal_words(
        self, w: Wording, exc: EligibilityError | StoreUnavailable
    ) -> tuple[str, str]:
        if isinstance(exc, StoreUnavailable):
            log.warning("telegram_store_unavailable", problem=exc.problem)
            return "unavailable", w.t("telegram.unavailable", hotline=self._hotline(w))
        if isinstance(exc, QuotaExceeded):
            # Counted by the policy for every channel together: a provider's Telegram and
            # API checks of one person share one budget.
            log.warning("telegram_quota_exceeded", scope=exc.scope)
            return f"rate_limited_{exc.scope}", w.error(exc)
        if isinstance(exc, ProviderInactive):
            if exc.params.get("problem") == "stale":  # when its data was sent, and what to do
                return "refused_provider_stale", w.error(exc)
            return "refused_provider_inactive", w.t("telegram.provider_inactive")
        if isinstance(exc, NotPermitted):
            # Worded alike whether the person exists or not.
            return "refused_not_on_file", w.error(exc)
        return f"refused_{exc.code.lower()}", w.error(exc)

    async def _chat(self, sender: Sender) -> _Chat:
        binding = await self.bindings.get(sender.chat_id) if sender.private else None
        if binding is not None and binding.user_id != sender.user_id:
            binding = None  # someone else in the chat: not who proved the phone
        session = await self.sessions.load(str(sender.chat_id)) or {}
        if binding is not None:
            language = await self.bound_language(binding)
        else:
            chosen = session.get("language")
            language = (
                chosen if chosen in self.languages else self.language_for(sender.language_code)
            )
        return _Chat(sender, Wording(language), binding, session)

    async def _sender_limited(self, chat: _Chat) -> Turn | None:
        """The transport's flood guard: updates per phone (or unlinked chat), not answers."""
        s = self.settings
        subject = chat.binding.phone if chat.binding else f"chat:{chat.sender.chat_id}"
        hit = await self.limiter.hit(
            "telegram-sender", subject, s.updates_per_sender, s.rate_window_seconds
        )
        if hit.allowed:
            return None
        log.warning("telegram_rate_limited", scope="sender", count=hit.count)
        minutes = max(1, -(-hit.retry_after // 60))
        text = chat.w.n(
            "telegram.rate_limited.sender", minutes, minutes=chat.w.digits(str(minutes))
        )
        if hit.count == hit.limit + 1:
            return Turn("rate_limited_sender", (Outgoing(text),), notice=text)
        # Said once per window; after that only a tapped button gets a note, so a flood of
        # messages is not answered message for message.
        return Turn("rate_limited_sender", notice=text)

    async def _dispatch(self, chat: _Chat, event: Event) -> Turn:
        if isinstance(event, SharedContact):
            return await self._contact(chat, event)
        if isinstance(event, ButtonTap):
            return await self._tap(chat, event.data)
        if isinstance(event, SentFile):
            if chat.binding is None:
                return self._need_phone(chat)
            identity = await self.inquiries.identify(chat.binding.phone)
            return await self.documents.received(chat, identity, event)
        action: Action | None = None
        if isinstance(event, Command):
            action = event.action
        elif isinstance(event, Text):
            action = action_of(event.text, self.wordings)
        if action is not None:
            await self._clear_pending(chat)
        if action is Action.START:
            return await self._start(chat)
        if action is Action.LANGUAGE:
            return self._choose_language(chat)
        if action is Action.FORGET:
            return await self._forget(chat)
        if chat.binding is None:
            return self._need_phone(chat)  # no personal answer before the phone is proved
        identity = await self.inquiries.identify(chat.binding.phone)
        if action is Action.COVER:
            return await self._cover(chat, identity)
        if action is Action.FAMILY:
            return await self._family(chat, identity)
        if action is Action.CHECK:
            return await self._check(chat, identity)
        if action is Action.CODE:
            return await self._code(chat)
        if action is Action.DOCUMENT:
            return await self.documents.start(chat, identity)
        if isinstance(event, Text) and action is None:
            return await self._typed(chat, identity, event.text)
        return self._help(chat, identity, "help" if action is Action.HELP else "unsupported")

    # -- before and around the binding ------------------------------------------------------

    async def _start(self, chat: _Chat) -> Turn:
        w = chat.w
        greeting = w.t("telegram.greeting")
        if chat.binding is None:
            text = f"{greeting}\n\n{w.t('telegram.share_phone')}"
            return Turn("greeted", (Outgoing(text, contact_keyboard(w)),))
        identity = await self.inquiries.identify(chat.binding.phone)
        text = f"{greeting}\n\n{w.t('telegram.menu.prompt')}"
        return Turn("greeted_linked", (Outgoing(text, self._menu(w, identity)),))

    def _need_phone(self, chat: _Chat) -> Turn:
        w = chat.w
        return Turn(
            "refused_not_linked", (Outgoing(w.t("telegram.need_phone"), contact_keyboard(w)),)
        )

    async def _contact(self, chat: _Chat, event: SharedContact) -> Turn:
        w = chat.w
        sender = chat.sender
        if event.user_id is None or event.user_id != sender.user_id:
            log.warning("telegram_contact_refused", reason="not_own")
            text = w.t("telegram.contact.not_own")
            return Turn("refused_contact_not_own", (Outgoing(text, contact_keyboard(w)),))
        try:
            phone = contact_phone(event.phone_number, self.inquiries.pack.phone_region)
        except InvalidPhone:
            log.warning("telegram_contact_refused", reason="unreadable")
            text = w.t("telegram.contact.unreadable")
            return Turn("refused_contact_unreadable", (Outgoing(text, contact_keyboard(w)),))
        identity = await self.inquiries.identify(phone)
        if not identity.is_known:
            # Nothing is kept about a phone the registry does not know.
            log.info("telegram_contact_refused", reason="not_on_file")
            text = w.t("telegram.contact.not_on_file", hotline=self._hotline(w))
            return Turn("refused_not_on_file", (Outgoing(text, ReplyKeyboardRemove()),))
        chosen = chat.session.get("language")
        if chosen in self.languages:  # chosen in this chat before the phone: the phone's now
            await self.core.choose(phone, str(chosen), CHANNEL)
        else:  # a first contact: the phone's choice from another channel, else the app's
            w = chat.w = Wording(await self.core.for_phone(phone, w.language))
        binding = Binding(sender.chat_id, sender.user_id, phone, w.language, datetime.now(UTC))
        await self.bindings.bind(binding)
        chat.binding = binding
        await self.sessions.drop(chat.key)  # the language now lives in the binding
        log.info("telegram_linked", sender_kind=_sender_kind(identity))
        menu = self._menu(w, identity)
        return Turn("linked", (Outgoing(w.t("telegram.contact.bound"), menu),))

    def _choose_language(self, chat: _Chat) -> Turn:
        text = chat.w.t("telegram.language.choose")
        return Turn("language_menu", (Outgoing(text, language_keyboard(self.languages)),))

    async def _set_language(self, chat: _Chat, language: str) -> Turn:
        if language not in self.languages:
            return self._choose_language(chat)
        w = Wording(language)
        if chat.binding is not None:
            await self.bindings.set_language(chat.sender.chat_id, language)
            await self.core.choose(chat.binding.phone, language, CHANNEL)
            identity = await self.inquiries.identify(chat.binding.phone)
            said = Outgoing(w.t("telegram.language.set"), self._menu(w, identity))
        else:
            chat.session["language"] = language
            await self.sessions.save(chat.key, chat.session)
            text = f"{w.t('telegram.language.set')}\n\n{w.t('telegram.share_phone')}"
            said = Outgoing(text, contact_keyboard(w))
        chat.w = w
        return Turn("language_set", (said,), notice=w.t("language.name"))

    async def _forget(self, chat: _Chat) -> Turn:
        had = await self.bindings.forget(chat.sender.chat_id)
        await self.sessions.drop(chat.key)
        log.info("telegram_forgotten", was_linked=had)
        chat.binding = None
        text = chat.w.t("telegram.forget.done")
        return Turn("forgotten", (Outgoing(text, ReplyKeyboardRemove()),))

    # -- button taps ----------------------------------------------------------------------

    async def _tap(self, chat: _Chat, data: str) -> Turn:
        parsed = parse_callback(data)
        if parsed is None:
            log.warning("telegram_tap_unknown")
            return Turn("tap_unknown", notice=chat.w.t("telegram.family.gone"))
        kind, value = parsed
        if kind is Tap.LANGUAGE:
            return await self._set_language(chat, value)
        if chat.binding is None:
            return self._need_phone(chat)
        identity = await self.inquiries.identify(chat.binding.phone)
        if kind is Tap.PAGE:
            return await self._family_page(chat, identity, value)
        if kind is Tap.UPLOAD:
            return await self.documents.chosen(chat, identity, value)
        if kind is Tap.UPLOAD_PAGE:
            return await self.documents.page(chat, identity, value)
        return await self._member(chat, identity, value)

    # -- insured people ---------------------------------------------------------------------

    def _insured(self, identity: PhoneIdentity) -> Asker:
        """The phone asking as the insured people it is on file for (proved by the contact)."""
        return Asker.for_insured(CHANNEL, identity.phone)

    async def _cover(self, chat: _Chat, identity: PhoneIdentity) -> Turn:
        """Answer about each person the phone is on file for themself (not their family)."""
        w = chat.w
        own = [
            (person, family)
            for member, person, family in await self._visible(identity)
            if member.own
        ]
        if not own:
            return Turn("refused_not_insured", (self._not_insured(w),))
        asker = self._insured(identity)
        texts: list[str] = []
        codes: list[str] = []
        for person, family in own:
            try:
                shown = await self.inquiries.ask_member(asker, person, family)
            except (Refused, StoreUnavailable) as exc:
                if not texts:
                    raise
                # Those answered so far are logged under their codes: show them, and why
                # the rest is missing.
                texts.append(self._refusal_words(w, exc)[1])
                break
            texts.append(answer_text(shown, w, self.inquiries.pack))
            codes.append(shown.tracking_code.digits)
        return Turn(
            "answered_cover", self._messages("\n\n".join(texts)), tracking_codes=tuple(codes)
        )

    async def _visible(self, identity: PhoneIdentity) -> list[Visible]:
        """Everyone this phone may ask about, family by family (nothing is logged)."""
        return await self.inquiries.members(identity)

    def _buttons(self, w: Wording, visible: list[Visible]) -> list[MemberButton]:
        return [
            MemberButton(
                f"{m.given_name} ({w.relationship(m.relationship)})",
                member_token(self.member_key, m.national_id),
            )
            for m, _, _ in visible
        ]

    async def _family(self, chat: _Chat, identity: PhoneIdentity) -> Turn:
        w = chat.w
        visible = await self._visible(identity)
        if not visible:
            return Turn("refused_not_insured", (self._not_insured(w),))
        keyboard = family_page(w, self._buttons(w, visible), 0, self.settings.page_size)
        return Turn("family_menu", (Outgoing(w.t("telegram.family.choose"), keyboard),))

    async def _family_page(self, chat: _Chat, identity: PhoneIdentity, value: str) -> Turn:
        w = chat.w
        visible = await self._visible(identity)
        size = self.settings.page_size
        count = pages(len(visible), size)
        page = min(int(value), count - 1) if value.isascii() and value.isdigit() else 0
        keyboard = family_page(w, self._buttons(w, visible), page, size)
        notice = w.t(
            "telegram.family.page", page=w.digits(str(page + 1)), pages=w.digits(str(count))
        )
        return Turn("family_page", notice=notice, new_buttons=keyboard)

    async def _member(self, chat: _Chat, identity: PhoneIdentity, token: str) -> Turn:
        w = chat.w
        for member, person, family in await self._visible(identity):
            if not hmac.compare_digest(member_token(self.member_key, member.national_id), token):
                continue
            shown = await self.inquiries.ask_member(self._insured(identity), person, family)
            return Turn(
                "answered_member",
                self._messages(answer_text(shown, w, self.inquiries.pack)),
                tracking_codes=(shown.tracking_code.digits,),
            )
        # Not (or no longer) one of the people this phone may see; forged data lands here too.
        return Turn("member_gone", (Outgoing(w.t("telegram.family.gone")),))

    # -- providers and codes ------------------------------------------------------------------

    def _provider_refusal(self, w: Wording, identity: PhoneIdentity) -> Turn | None:
        """Before offering to check: the menu's reading of the phone, not the policy's word
        (``Inquiries.ask`` refuses a deactivated provider itself)."""
        provider = identity.provider
        if provider is None:
            return Turn("refused_not_provider", (Outgoing(w.t("telegram.check.providers_only")),))
        if is_stale_now(provider):
            stale = w.error(self.inquiries.inactive(provider))
            return Turn("refused_provider_stale", (Outgoing(stale),))
        if not provider.active:
            return Turn("refused_provider_inactive", (Outgoing(w.t("telegram.provider_inactive")),))
        return None

    async def _check(self, chat: _Chat, identity: PhoneIdentity) -> Turn:
        if refusal := self._provider_refusal(chat.w, identity):
            return refusal
        await self._await(chat, "national_id")
        return Turn("asked_national_id", (Outgoing(chat.w.t("telegram.check.prompt")),))

    async def _code(self, chat: _Chat) -> Turn:
        await self._await(chat, "code")
        return Turn("asked_code", (Outgoing(chat.w.t("telegram.code.prompt")),))

    async def _typed(self, chat: _Chat, identity: PhoneIdentity, text: str) -> Turn:
        awaiting = chat.session.get("awaiting")
        words = text.split()
        first = compact_number(words[0]) if words else ""
        numeric = first.isascii() and first.isdigit()
        if awaiting == "national_id" or (
            awaiting is None
            and numeric
            and identity.provider is not None
            and len(first) != TRACKING_CODE_LENGTH
        ):
            return await self._ask(chat, identity, text)
        if awaiting == "code" or (
            awaiting is None and numeric and len(first) == TRACKING_CODE_LENGTH
        ):
            return await self._verify(chat, identity, text)
        return self._help(chat, identity, "help")

    async def _ask(self, chat: _Chat, identity: PhoneIdentity, text: str) -> Turn:
        w = chat.w
        provider = identity.provider
        if provider is None:
            await self._clear_pending(chat)
            return Turn("refused_not_provider", (Outgoing(w.t("telegram.check.providers_only")),))
        raw_id, *rest = text.split(maxsplit=1) or [""]
        try:
            # The id first: of two mistakes, the one in the id is named.
            national_id = self.inquiries.normalise_id(raw_id)
            day = parse_date(rest[0]) if rest else None
            shown = await self.inquiries.ask(
                Asker.for_provider(CHANNEL, provider), national_id, day
            )
        except InvalidInput as exc:  # still waiting: the provider may correct it
            return Turn(f"refused_{exc.code.lower()}", (Outgoing(w.error(exc)),))
        except Refused:
            await self._clear_pending(chat)
            raise
        await self._clear_pending(chat)
        return Turn(
            "answered_provider",
            self._messages(answer_text(shown, w, self.inquiries.pack)),
            tracking_codes=(shown.tracking_code.digits,),
        )

    async def _verify(self, chat: _Chat, identity: PhoneIdentity, text: str) -> Turn:
        w = chat.w
        try:
            code = TrackingCode.parse(text)
        except InvalidInput as exc:  # still waiting: the person may correct a typo
            return Turn("refused_invalid_tracking_code", (Outgoing(w.error(exc)),))
        await self._clear_pending(chat)
        shown = await self._recorded(identity, code)
        if shown is None:
            # The same words whether the code exists or not: codes are not to be probed.
            return Turn("code_unknown", (Outgoing(w.t("error.TRACKING_CODE_UNKNOWN")),))
        return Turn(
            "recorded",
            self._messages(answer_text(shown, w, self.inquiries.pack)),
            tracking_codes=(code.digits,),
        )

    async def _recorded(self, identity: PhoneIdentity, code: TrackingCode) -> Disclosure | None:
        """An answer this phone was given: as its provider, else as the insured people."""
        askers = [self._insured(identity)]
        if identity.provider is not None:
            askers.insert(0, Asker.for_provider(CHANNEL, identity.provider))
        for asker in askers:
            shown = await self.inquiries.recorded(asker, code)
            if shown is not None:
                return shown
        return None

    # -- helpers ----------------------------------------------------------------------------

    def _menu(self, w: Wording, identity: PhoneIdentity) -> ReplyKeyboardMarkup:
        return main_menu(w, provider=identity.provider is not None, insured=identity.is_insured)

    def _help(self, chat: _Chat, identity: PhoneIdentity, outcome: str) -> Turn:
        w = chat.w
        text = w.t("telegram.help")
        if outcome == "unsupported":
            text = f"{w.t('telegram.unsupported')} {text}"
        return Turn(outcome, (Outgoing(text, self._menu(w, identity)),))

    def _hotline(self, w: Wording) -> str:
        return w.digits(self.settings.hotline)

    def _not_insured(self, w: Wording) -> Outgoing:
        return Outgoing(w.t("telegram.cover.none", hotline=self._hotline(w)))

    def _messages(self, text: str) -> tuple[Outgoing, ...]:
        return tuple(Outgoing(part) for part in split_message(text))

    async def _await(self, chat: _Chat, what: str) -> None:
        chat.session["awaiting"] = what
        await self.sessions.save(chat.key, chat.session)

    async def _clear_pending(self, chat: _Chat) -> None:
        dropped = [chat.session.pop(k, None) for k in ("awaiting", *UPLOAD_KEYS)]
        if all(d is None for d in dropped):
            return
        if chat.session:
            await self.sessions.save(chat.key, chat.session)
        else:
            await self.sessions.drop(chat.key)
