"""Documents sent by MMS: for whom (the one member, or the one the text names), fetched, queued.

A phone on file for insured people sends a picture (or a PDF) of a certificate. With one
member to choose from the picture is theirs; otherwise the text of the message names the
member, by national id or first name, among those the phone may see. The medium is fetched
from Twilio (``media``) and handed to the core's ``Uploads``, which checks its content,
keeps it with its hash and queues it for staff; the reply says it was received.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from eligibility_gw.channels.sms.commands import Reply
from eligibility_gw.channels.sms.media import MediaRef, MediaUnavailable, fetch_media
from eligibility_gw.domain.digits import compact_number
from eligibility_gw.domain.errors import InvalidInput
from eligibility_gw.domain.model import Family, Person
from eligibility_gw.identity import PhoneIdentity
from eligibility_gw.inquiries import Inquiries, Member
from eligibility_gw.textbudget import fit
from eligibility_gw.uploads import Incoming, UploadRefused, Uploads
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

CHANNEL = "sms"
Visible = tuple[Member, Person, Family]
#: What a refused file is told (literal ids, each a message of ``sms.po``).
REFUSALS = {
    "too_large": "sms.upload.too_large",
    "type": "sms.upload.type",
    "empty": "sms.upload.type",
    "off": "sms.upload.off",
    "not_permitted": "sms.upload.whose",
}


@dataclass(frozen=True, slots=True)
class MediaAccess:
    """What fetching a medium takes: the Twilio account, its API, a time limit."""

    account_sid: str
    auth_token: str
    api_base_url: str
    timeout: float


def chosen_member(
    inquiries: Inquiries, visible: list[Visible], body: str
) -> tuple[Visible | None, bool]:
    """The member the text names (by national id or first name), or the only one; and
    whether the text named somebody this phone may not see (or nobody it could match)."""
    words = body.split()
    for word in words:
        digits = compact_number(word)
        if digits.isascii() and digits.isdigit() and len(digits) >= 8:
            try:
                national_id = inquiries.normalise_id(digits)
            except InvalidInput:
                return None, True
            found = [v for v in visible if v[0].national_id == national_id]
            return (found[0], False) if found else (None, True)
    names = {w.casefold() for w in words}
    by_name = [v for v in visible if v[0].given_name.casefold() in names]
    if len(by_name) == 1:
        return by_name[0], False
    if len(visible) == 1:
        return visible[0], False
    return None, bool(words)


def _whose(w: Wording, visible: list[Visible]) -> str:
    names = w.t("sms.list_sep").join(v[0].given_name for v in visible)
    return fit([w.t("sms.upload.whose", names=names), w.t("sms.upload.whose", names="")])


def _refused(w: Wording, uploads: Uploads, problem: str) -> Reply:
    key = REFUSALS.get(problem, "sms.upload.type")
    text = w.t(key, megabytes=w.digits(str(uploads.max_megabytes)), names="")
    log.info("sms_upload_refused", problem=problem)
    return Reply(fit([text]), f"upload_refused_{problem}")


async def receive_document(
    inquiries: Inquiries,
    uploads: Uploads | None,
    access: MediaAccess,
    identity: PhoneIdentity,
    body: str,
    media: MediaRef,
    w: Wording,
    hotline: str,
) -> Reply:
    """Queue the MMS's first medium for the member it is for; the reply in words."""
    if uploads is None or not uploads.enabled:
        return Reply(w.t("sms.upload.off"), "upload_off")
    visible = await inquiries.members(identity)
    if not visible:
        text = w.t("sms.not_on_file", hotline=w.digits(hotline))
        return Reply(text, "upload_refused_not_insured")
    member, unmatched = chosen_member(inquiries, visible, body)
    if member is None:
        log.info("sms_upload_whose", named=unmatched, members=len(visible))
        return Reply(_whose(w, visible), "upload_whose")
    entry, person, family = member
    try:
        content = await fetch_media(
            media,
            account_sid=access.account_sid,
            auth_token=access.auth_token,
            api_base_url=access.api_base_url,
            limit=uploads.settings.max_bytes,
            within=access.timeout,
        )
        upload = await uploads.receive(
            person, family, Incoming(content, CHANNEL, identity.phone, identity.phone, w.language)
        )
    except UploadRefused as refused:
        return _refused(w, uploads, refused.problem)
    except MediaUnavailable as exc:
        log.warning("sms_upload_unfetched", problem=str(exc))
        return Reply(w.t("sms.upload.failed"), "upload_unfetched")
    text = w.t(
        "sms.upload.received", name=entry.given_name, reference=w.digits(upload.upload_id[:8])
    )
    return Reply(fit([text]), "upload_received")
