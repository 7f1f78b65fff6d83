"""Documents sent to the bot: for whom (a member chosen from buttons), fetched, queued.

A linked chat sends a photo or a PDF of a certificate at any time, or first says ``/document``
and picks the member. With one member to choose from there is no question; with several the
file waits in the chat's session (its Telegram file id only) until a member is tapped. The
file is fetched from the Bot API only then, within the size limit, and handed to the core's
``Uploads``, which checks its content, keeps it with its hash and queues it for staff.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from eligibility_gw.channels.telegram.keyboards import (
    MemberButton,
    Tap,
    family_page,
    member_token,
    pages,
)
from eligibility_gw.channels.telegram.settings import TelegramSettings
from eligibility_gw.channels.telegram.turns import Outgoing, Turn
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.identity import PhoneIdentity
from eligibility_gw.inquiries import Inquiries, Member
from eligibility_gw.keyvalue import Sessions
from eligibility_gw.ports.chats import Binding
from eligibility_gw.uploads import Incoming, UploadRefused, Uploads
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

CHANNEL = "telegram"
#: Session keys of the upload flow: the member chosen first, the file sent first.
FOR = "upload_for"
FILE = "upload_file"
KEYS = (FOR, FILE)
#: What a refused file is told, by the core's reason (literal ids: the catalog test reads them).
REFUSALS = {
    "too_large": "telegram.upload.too_large",
    "type": "telegram.upload.type",
    "empty": "telegram.upload.type",
    "off": "telegram.upload.off",
    "not_permitted": "telegram.family.gone",
}
#: What a document sent as a file may declare itself as, before it is fetched (its content
#: decides after).
_DECLARED = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


@dataclass(frozen=True, slots=True)
class SentFile:
    """A photo or a file sent in the chat: its Telegram file id and the size declared."""

    file_id: str
    size: int | None
    photo: bool
    mime_type: str | None = None


class FileUnavailable(Exception):
    """The Bot API did not hand the file over."""


class FileFetcher(Protocol):
    """Fetch a file sent to the bot."""

    async def fetch(self, file_id: str, limit: int) -> bytes:
        """The file's bytes; ``UploadRefused("too_large")`` past ``limit``,
        ``FileUnavailable`` when the Bot API does not give it."""


class ChatState(Protocol):
    """What the flow reads and changes of the chat (``conversation._Chat``)."""

    @property
    def w(self) -> Wording:
        """The chat's wording."""

    @property
    def binding(self) -> Binding | None:
        """The phone the chat proved."""

    @property
    def session(self) -> dict[str, Any]:
        """The chat's session."""

    @property
    def key(self) -> str:
        """The session's key."""


Visible = tuple[Member, Person, Family]


class Documents:
    """The upload flow of one bot."""

    def __init__(
        self,
        settings: TelegramSettings,
        inquiries: Inquiries,
        sessions: Sessions,
        member_key: bytes,
        uploads: Uploads | None,
        files: FileFetcher | None,
    ) -> None:
        self.settings = settings
        self.inquiries = inquiries
        self.sessions = sessions
        self.member_key = member_key
        self.uploads = uploads
        self.files = files

    def _off(self, w: Wording) -> Turn | None:
        if self.uploads is None or self.files is None or not self.uploads.enabled:
            return Turn("upload_off", (Outgoing(w.t("telegram.upload.off")),))
        return None

    def _buttons(self, w: Wording, visible: list[Visible]) -> list[MemberButton]:
        return [
            MemberButton(
                f"{m.given_name} ({w.relationship(m.relationship)})",
                member_token(self.member_key, m.national_id),
            )
            for m, _, _ in visible
        ]

    def _keyboard(self, w: Wording, visible: list[Visible], page: int = 0) -> Any:
        return family_page(
            w, self._buttons(w, visible), page, self.settings.page_size, Tap.UPLOAD, Tap.UPLOAD_PAGE
        )

    async def _save(self, chat: ChatState) -> None:
        await self.sessions.save(chat.key, chat.session)

    async def _visible(self, identity: PhoneIdentity) -> list[Visible]:
        return await self.inquiries.members(identity)

    def _none(self, w: Wording) -> Turn:
        hotline = w.digits(self.settings.hotline)
        return Turn("refused_not_insured", (Outgoing(w.t("telegram.cover.none", hotline=hotline)),))

    # -- the entry points ---------------------------------------------------------------------

    async def start(self, chat: ChatState, identity: PhoneIdentity) -> Turn:
        """``/document``: choose the member first (or be asked for the file at once)."""
        w = chat.w
        if off := self._off(w):
            return off
        visible = await self._visible(identity)
        if not visible:
            return self._none(w)
        if len(visible) == 1:
            return await self._expect(chat, visible[0])
        return Turn(
            "upload_choose", (Outgoing(w.t("telegram.upload.choose"), self._keyboard(w, visible)),)
        )

    async def received(self, chat: ChatState, identity: PhoneIdentity, sent: SentFile) -> Turn:
        """A photo or file: for the member chosen before, the only one, or ask whose."""
        w = chat.w
        if off := self._off(w):
            return off
        assert self.uploads is not None
        refused = self._declared(w, sent)
        if refused is not None:
            return refused
        visible = await self._visible(identity)
        if not visible:
            return self._none(w)
        chosen = chat.session.pop(FOR, None)
        member = self._find(visible, chosen) if isinstance(chosen, str) else None
        if member is None and len(visible) == 1:
            member = visible[0]
        if member is None:
            chat.session[FILE] = {"id": sent.file_id, "size": sent.size}
            await self._save(chat)
            keyboard = self._keyboard(w, visible)
            return Turn("upload_whose", (Outgoing(w.t("telegram.upload.choose"), keyboard),))
        await self._save_or_drop(chat)
        return await self._take(chat, member, sent.file_id)

    async def chosen(self, chat: ChatState, identity: PhoneIdentity, token: str) -> Turn:
        """A member tapped: the waiting file is theirs, or the next one will be."""
        w = chat.w
        if off := self._off(w):
            return off
        member = self._find(await self._visible(identity), token)
        if member is None:  # not (or no longer) one this phone may see; forged data too
            return Turn("member_gone", (Outgoing(w.t("telegram.family.gone")),))
        waiting = chat.session.pop(FILE, None)
        if not isinstance(waiting, dict) or not isinstance(waiting.get("id"), str):
            return await self._expect(chat, member)
        await self._save_or_drop(chat)
        return await self._take(chat, member, waiting["id"])

    async def page(self, chat: ChatState, identity: PhoneIdentity, value: str) -> Turn:
        """Another page of the members to choose from."""
        w = chat.w
        visible = await self._visible(identity)
        count = pages(len(visible), self.settings.page_size)
        page = min(int(value), count - 1) if value.isascii() and value.isdigit() else 0
        notice = w.t(
            "telegram.family.page", page=w.digits(str(page + 1)), pages=w.digits(str(count))
        )
        return Turn("upload_page", notice=notice, new_buttons=self._keyboard(w, visible, page))

    # -- inside ---------------------------------------------------------------------------------

    def _declared(self, w: Wording, sent: SentFile) -> Turn | None:
        """Refuse at once what the file says it is: too large, or not an image or a PDF."""
        assert self.uploads is not None
        try:
            self.uploads.check_size(sent.size)
        except UploadRefused as refused:
            return self._refused(w, refused)
        if not sent.photo and sent.mime_type not in _DECLARED:
            return self._refused(w, UploadRefused("type"))
        return None

    def _refused(self, w: Wording, refused: UploadRefused) -> Turn:
        assert self.uploads is not None
        key = REFUSALS.get(refused.problem, "telegram.upload.type")
        text = w.t(key, megabytes=w.digits(str(self.uploads.max_megabytes)))
        log.info("telegram_upload_refused", problem=refused.problem)
        return Turn(f"upload_refused_{refused.problem}", (Outgoing(text),))

    def _find(self, visible: list[Visible], token: str | None) -> Visible | None:
        if not token:
            return None
        for entry in visible:
            if hmac.compare_digest(member_token(self.member_key, entry[0].national_id), token):
                return entry
        return None

    async def _expect(self, chat: ChatState, member: Visible) -> Turn:
        chat.session[FOR] = member_token(self.member_key, member[0].national_id)
        await self._save(chat)
        text = chat.w.t("telegram.upload.prompt", name=member[0].given_name)
        return Turn("upload_prompt", (Outgoing(text),))

    async def _save_or_drop(self, chat: ChatState) -> None:
        if chat.session:
            await self._save(chat)
        else:
            await self.sessions.drop(chat.key)

    async def _take(self, chat: ChatState, member: Visible, file_id: str) -> Turn:
        """Fetch the file and queue it for ``member``."""
        assert self.uploads is not None
        assert self.files is not None
        assert chat.binding is not None
        w = chat.w
        entry, person, family = member
        try:
            content = await self.files.fetch(file_id, self.uploads.settings.max_bytes)
            upload = await self.uploads.receive(
                person,
                family,
                Incoming(
                    content, CHANNEL, str(chat.binding.chat_id), chat.binding.phone, w.language
                ),
            )
        except UploadRefused as refused:
            return self._refused(w, refused)
        except FileUnavailable:
            log.warning("telegram_upload_unfetched")
            return Turn("upload_unfetched", (Outgoing(w.t("telegram.upload.failed")),))
        text = w.t(
            "telegram.upload.received",
            name=entry.given_name,
            reference=w.digits(upload.upload_id[:8]),
        )
        return Turn("upload_received", (Outgoing(text),))
