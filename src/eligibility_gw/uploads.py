"""Documents sent from a phone: checked, kept with their hash, reviewed by staff, told.

A channel hands over a file for a member the sender's phone may see (Telegram: a member
chosen from buttons; SMS: the one the message names). It is refused when too large or not
an image or a PDF *by its content* (the first bytes, never the name or the type declared),
kept with its SHA-256 (in the store, or the directory ``[uploads]`` names) and queued.
Staff accept it (the document goes on file like one seen at a branch: the next answer
reads it) or reject it with a reason; either way the person is told on the channel they
used, an acceptance with a fresh answer and its tracking code. Every step goes to the
console's access log. Uploads nobody reviewed expire; a rejected or expired upload's file
is deleted after the retention.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import structlog

from eligibility_gw.domain.model import Family, Person
from eligibility_gw.identity import may_learn_about
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.policy.askers import Asker
from eligibility_gw.policy.disclosure import Disclosure, View, disclose
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.casework import AccessEntry, ConsoleStore, DocumentDraft
from eligibility_gw.ports.chatsend import ChatSender, ChatSendError
from eligibility_gw.ports.outbound import SmsSender, SmsSendError
from eligibility_gw.ports.uploads import (
    Upload,
    UploadDecision,
    UploadFiles,
    UploadRecords,
    UploadStatus,
)
from eligibility_gw.settings import UploadSettings
from eligibility_gw.textbudget import fit
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

#: What review outcome SMS are recorded as among outbound messages.
UPLOAD_PURPOSE = "upload_review"
#: How the access log names steps nobody at the console took (never a staff user name:
#: those cannot start with ``@``).
BY_CHANNEL = "@{channel}"
BY_RETENTION = "@retention"
#: Reasons staff may give for a rejection; each is worded to the person in their language.
REJECT_REASONS = ("unreadable", "wrong_document", "expired", "wrong_person", "other")
_ID_BYTES = 8

#: The first bytes of each accepted kind of file.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}


def sniff(content: bytes) -> str | None:
    """The file's type by its first bytes: a JPEG, PNG or WebP image, a PDF; else None."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def extension(content_type: str) -> str:
    """The file name extension of an accepted type."""
    return _EXTENSIONS.get(content_type, "bin")


class UploadRefused(Exception):
    """A file the gateway will not keep; ``problem`` says why (a catalog key's last part)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class UploadGone(Exception):
    """The upload is not (any more) waiting for review, or its person left the registry."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file as a channel received it, and where to tell the sender the outcome."""

    content: bytes
    channel: str
    #: The chat id (Telegram) or the phone (SMS) the outcome goes to.
    reply_to: str
    #: The phone the sender proved.
    phone: str
    language: str


class Notified(enum.StrEnum):
    """What became of telling the person the outcome."""

    SENT = "sent"
    NOT_CONFIGURED = "not_configured"
    NOT_PERMITTED = "not_permitted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Review:
    """A decided upload, the fresh answer given (accepted), and whether the person was told."""

    upload: Upload
    answer: Disclosure | None
    notified: Notified


@dataclass(frozen=True, slots=True)
class PurgeSummary:
    """What one purge did."""

    expired: int
    deleted: int


def _now() -> datetime:
    return datetime.now(UTC)


class Uploads:
    """Receive, keep, review and tell: the one door to documents sent from a phone."""

    def __init__(
        self,
        settings: UploadSettings,
        records: UploadRecords,
        files: UploadFiles,
        inquiries: Inquiries,
        casework: ConsoleStore,
        sms: SmsSender | None = None,
        chats: ChatSender | None = None,
        tz: tzinfo = UTC,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.settings = settings
        self.records = records
        self._files = files
        self._inquiries = inquiries
        self._casework = casework
        self._sms = sms
        self._chats = chats
        self._tz = tz
        self._clock = clock

    @property
    def enabled(self) -> bool:
        """Say whether documents may be sent at all."""
        return self.settings.enabled

    def check_size(self, size: int | None) -> None:
        """Refuse a file its channel already says is too large (before fetching it)."""
        if not self.enabled:
            raise UploadRefused("off")
        if size is not None and size > self.settings.max_bytes:
            raise UploadRefused("too_large")

    @property
    def max_megabytes(self) -> int:
        """The size limit in whole megabytes, as people are told it."""
        return max(1, self.settings.max_bytes // (1024 * 1024))

    # -- receiving ------------------------------------------------------------------------

    async def receive(self, person: Person, family: Family, incoming: Incoming) -> Upload:
        """Check, keep and queue a file for ``person``; ``UploadRefused`` when it may not be.

        The same file sent again for the same person while the first waits is that upload.
        """
        self.check_size(len(incoming.content))
        if not incoming.content:
            raise UploadRefused("empty")
        kind = sniff(incoming.content)
        if kind is None or kind not in self.settings.content_types:
            raise UploadRefused("type")
        if not may_learn_about(incoming.phone, family, person):
            raise UploadRefused("not_permitted")
        digest = hashlib.sha256(incoming.content).hexdigest()
        same = await self.records.pending_like(person.national_id, digest)
        if same is not None:
            log.info("upload_repeated", upload_id=same.upload_id, channel=incoming.channel)
            return same
        at = self._clock()
        for _ in range(4):
            upload = Upload(
                upload_id=secrets.token_hex(_ID_BYTES),
                national_id=person.national_id,
                channel=incoming.channel,
                reply_to=incoming.reply_to,
                phone=incoming.phone,
                language=incoming.language,
                content_type=kind,
                size=len(incoming.content),
                sha256=digest,
                status=UploadStatus.PENDING,
                received_at=at,
            )
            # The file first: a record in the queue always has its file.
            await self._files.put_file(upload.upload_id, incoming.content)
            if await self.records.add_upload(upload):
                break
            await self._files.delete_file(upload.upload_id)  # an id drawn twice: draw again
        else:
            raise StoreUnavailable("no free upload id")
        await self._access(
            BY_CHANNEL.format(channel=incoming.channel), person.national_id, "upload_received", at
        )
        log.info(
            "upload_received",
            upload_id=upload.upload_id,
            channel=incoming.channel,
            content_type=kind,
            size=upload.size,
            sha256=digest,
        )
        return upload

    # -- the queue ------------------------------------------------------------------------

    async def pending(self, limit: int = 50, offset: int = 0) -> list[Upload]:
        """The uploads waiting for review, oldest first."""
        return await self.records.list_uploads([UploadStatus.PENDING], limit, offset)

    async def count_pending(self) -> int:
        """How many uploads wait for review."""
        return await self.records.count_uploads([UploadStatus.PENDING])

    async def get(self, upload_id: str) -> Upload | None:
        """One upload by id."""
        return await self.records.get_upload(upload_id)

    async def content(self, upload_id: str) -> bytes | None:
        """The file of an upload; None once deleted. For staff only (the console)."""
        return await self._files.get_file(upload_id)

    async def about(self, national_id: str, limit: int = 20) -> list[Upload]:
        """The uploads for one person, newest first."""
        return await self.records.uploads_about(national_id, limit)

    # -- review ---------------------------------------------------------------------------

    async def accept(
        self,
        upload_id: str,
        staff: str,
        kind: str,
        valid_from: date | None,
        valid_until: date | None,
    ) -> Review:
        """Put the document on file (like one seen at a branch) and tell the person, with a
        fresh answer. ``UploadGone`` when it no longer waits, or its person is gone."""
        if kind not in self._inquiries.pack.documents:
            raise ValueError(f"unknown document kind {kind!r}")
        at = self._clock()
        decision = UploadDecision(
            UploadStatus.ACCEPTED,
            staff,
            at,
            kind=kind,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        upload = await self.records.decide_upload(upload_id, decision)
        if upload is None:
            raise UploadGone(upload_id)
        note = f"upload {upload.upload_id} ({upload.channel}, sha256 {upload.sha256[:16]})"
        try:
            stored = await self._casework.record_document(
                DocumentDraft(upload.national_id, kind, valid_from, valid_until, staff, at, note)
            )
        except BaseException:
            await self.records.reopen_upload(upload_id, UploadStatus.ACCEPTED)
            raise
        if not stored:
            await self.records.reopen_upload(upload_id, UploadStatus.ACCEPTED)
            raise UploadGone(upload_id)
        await self._access(staff, upload.national_id, "upload_accepted", at)
        log.info("upload_accepted", upload_id=upload.upload_id, kind=kind, staff=staff)
        answer, notified = await self._tell_accepted(upload)
        code = answer.tracking_code.digits if answer is not None else None
        await self.records.record_notice(upload.upload_id, code, notified.value)
        return Review(upload, answer, notified)

    async def reject(self, upload_id: str, staff: str, reason: str, note: str) -> Review:
        """Refuse the document with a reason, and tell the person why in their words."""
        if reason not in REJECT_REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        at = self._clock()
        decision = UploadDecision(
            UploadStatus.REJECTED, staff, at, reason=reason, note=note or None
        )
        upload = await self.records.decide_upload(upload_id, decision)
        if upload is None:
            raise UploadGone(upload_id)
        await self._access(staff, upload.national_id, "upload_rejected", at)
        log.info("upload_rejected", upload_id=upload.upload_id, reason=reason, staff=staff)
        notified = await self._tell_rejected(upload)
        await self.records.record_notice(upload.upload_id, None, notified.value)
        return Review(upload, None, notified)

    # -- telling the person ---------------------------------------------------------------

    async def _family(self, upload: Upload) -> tuple[Person, Family] | None:
        family = await self._inquiries.service.find_family(upload.national_id)
        person = family.member(upload.national_id) if family else None
        if family is None or person is None:
            return None
        return person, family

    async def _tell_accepted(self, upload: Upload) -> tuple[Disclosure | None, Notified]:
        """A fresh answer, given to the phone that sent the document (so that its tracking
        code is theirs to quote), not counted against its quota: it is our message."""
        found = await self._family(upload)
        if found is None or not may_learn_about(upload.phone, found[1], found[0]):
            log.warning("upload_outcome_not_permitted", upload_id=upload.upload_id)
            return None, Notified.NOT_PERMITTED
        person, family = found
        service = self._inquiries.service
        asker = Asker.for_insured(upload.channel, upload.phone)
        answer = await service.decide_for(person, family, asker, service.today())
        shown = disclose(answer.record, View.INSURED, person, answer.decision)
        w = Wording(upload.language)
        document = w.document(upload.kind or "")
        code = w.t("short.label.code", code=w.digits(shown.tracking_code.grouped()))
        status = status_text(w, shown)
        variants = [
            w.t("upload.accepted", document=document, name=n, status=status, code=code)
            for n in (shown.member_name or person.given_name, person.given_name)
        ]
        return shown, await self._send(upload, variants)

    async def _tell_rejected(self, upload: Upload) -> Notified:
        found = await self._family(upload)
        if found is None or not may_learn_about(upload.phone, found[1], found[0]):
            return Notified.NOT_PERMITTED
        person, _ = found
        w = Wording(upload.language)
        why = w.t(f"upload.reason.{upload.reason}")
        when = w.date(upload.received_at.astimezone(self._tz).date())
        variants = [
            w.t("upload.rejected", name=n, date=when, reason=why)
            for n in (f"{person.given_name} {person.family_name}", person.given_name)
        ]
        return await self._send(upload, variants)

    async def _send(self, upload: Upload, variants: list[str]) -> Notified:
        try:
            if upload.channel == "telegram":
                if self._chats is None:
                    return Notified.NOT_CONFIGURED
                await self._chats.send(int(upload.reply_to), variants[0])
            else:
                if self._sms is None or not self._sms.ready:
                    return Notified.NOT_CONFIGURED
                await self._sms.send(
                    upload.reply_to, fit(variants), UPLOAD_PURPOSE, upload.upload_id
                )
        except (ChatSendError, SmsSendError, ValueError) as exc:
            log.warning("upload_outcome_not_sent", channel=upload.channel, error=type(exc).__name__)
            return Notified.FAILED
        return Notified.SENT

    # -- retention ------------------------------------------------------------------------

    async def purge(self, now: datetime | None = None) -> PurgeSummary:
        """Expire uploads nobody reviewed in ``review_days``; delete the files of rejected
        and expired uploads decided more than ``retention_days`` ago."""
        at = now or self._clock()
        s = self.settings
        expired = await self.records.expire_uploads(at - timedelta(days=s.review_days), at)
        for u in expired:
            await self._access(BY_RETENTION, u.national_id, "upload_expired", at)
        deletable = await self.records.deletable_uploads(at - timedelta(days=s.retention_days))
        for u in deletable:
            await self._files.delete_file(u.upload_id)
            await self.records.mark_deleted(u.upload_id, at)
            await self._access(BY_RETENTION, u.national_id, "upload_deleted", at)
        log.info("uploads_purged", expired=len(expired), deleted=len(deletable))
        return PurgeSummary(len(expired), len(deletable))

    async def _access(self, who: str, national_id: str, action: str, at: datetime) -> None:
        await self._casework.log_access([AccessEntry(who, national_id, at, action)])


def status_text(w: Wording, shown: Disclosure) -> str:
    """Today's status in a few words, with the last covered day ahead or behind."""
    status = w.t(f"short.status.{shown.status.value}")
    if shown.cover_end is not None:
        return f"{status} {w.t('short.label.until', date=w.date(shown.cover_end))}"
    if shown.cover_ended is not None:
        return f"{status} {w.t('short.label.ended', date=w.date(shown.cover_ended))}"
    return status
