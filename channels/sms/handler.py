"""Twilio's webhooks: an inbound SMS answered with TwiML, and outbound status callbacks.

Every request is checked against Twilio's signature first (403 otherwise); a redelivered
``MessageSid`` gets the stored reply. A NO to one of the gateway's check notices is recorded
whatever else the phone sent; every other message counts against the sender's budget (a
flood guard of the channel: the quotas of answers are the core's). Bad input gets a 4xx or a
reply in words, never a traceback.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from twilio.twiml.messaging_response import MessagingResponse

from eligibility_gw.appkeys import INQUIRIES, LANGUAGES, LIMITER, SMS_RECORDS, STATE, UPLOADS
from eligibility_gw.channels.sms import replies
from eligibility_gw.channels.sms.commands import Reply, Sender, answer_command
from eligibility_gw.channels.sms.documents import MediaAccess, receive_document
from eligibility_gw.channels.sms.grammar import (
    ChooseLanguage,
    DenyCheck,
    Keywords,
    parse,
    script_language,
    sender_language,
)
from eligibility_gw.channels.sms.languages import choose_language
from eligibility_gw.channels.sms.media import MediaRef, media_of
from eligibility_gw.channels.sms.settings import SmsSettings
from eligibility_gw.channels.sms.signature import public_url, signature_problem
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.keyvalue import Deduplicator, RateLimiter
from eligibility_gw.languages import Languages
from eligibility_gw.logs import where
from eligibility_gw.phones import InvalidPhone, normalise_phone
from eligibility_gw.ports import StoreUnavailable
from eligibility_gw.ports.messages import StatusEvent
from eligibility_gw.shedding import BusyResponder
from eligibility_gw.uploads import Uploads
from eligibility_gw.wording import Wording

log = structlog.get_logger(__name__)

TWIML = "text/xml"
PREFIX_INBOUND = "/channels/sms/twilio"
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_STATUS = re.compile(r"^[a-z_]{1,32}$")
_ERROR_CODE = re.compile(r"^\d{1,10}$")
#: How long a redelivery waits for the first delivery's reply before answering nothing.
_REDELIVERY_WAIT = 5.0


@dataclass(frozen=True)
class SmsChannel:
    """The channel's settings and what its webhooks need besides the gateway's ports."""

    settings: SmsSettings
    auth_token: str | None
    keywords: Keywords
    public_base_url: str
    default_language: str
    #: The Twilio account whose MMS media are fetched (``[twilio]``), and its API.
    account_sid: str = ""
    api_base_url: str = ""

    def media_access(self) -> MediaAccess:
        """What fetching an MMS medium takes: within part of the time to answer."""
        timeout = self.settings.reply_timeout_ms / 1000 * 0.6
        return MediaAccess(self.account_sid, self.auth_token or "", self.api_base_url, timeout)


SMS_CHANNEL = web.AppKey("sms_channel", SmsChannel)


def twiml(text: str | None) -> str:
    """A TwiML reply: one message, or ``<Response/>`` for none."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


def _xml(body: str) -> web.Response:
    return web.Response(text=body, content_type=TWIML, charset="utf-8")


async def _signed_form(request: web.Request, channel: SmsChannel) -> MultiDictProxy[str]:
    """The posted fields, once the signature over all of them and the public URL holds."""
    try:
        posted = await request.post()
    except (ValueError, LookupError):  # undecodable bytes, an unknown charset, broken multipart
        raise web.HTTPBadRequest(text="unreadable form") from None
    fields = [(k, v) for k, v in posted.items() if isinstance(v, str)]
    if len(fields) != len(posted):
        raise web.HTTPBadRequest(text="only text fields are accepted")
    form = MultiDictProxy(MultiDict(fields))
    if channel.auth_token is None:
        log.error("sms_signature_unverifiable", reason="no auth token in the environment")
        raise web.HTTPServiceUnavailable(text="SMS channel not configured")
    url = public_url(channel.public_base_url, request)
    problem = signature_problem(channel.auth_token, url, form, request)
    if problem is not None:
        # Never the fields (the body, the phones are personal data): only how many came.
        log.warning("sms_signature_rejected", problem=problem, fields=len(form))
        raise web.HTTPForbidden(text="invalid signature")
    return form


def _field(form: MultiDictProxy[str], name: str) -> str:
    values = form.getall(name, [])
    if len(values) != 1 or not values[0]:
        raise web.HTTPBadRequest(text=f"expected one {name}")
    return values[0]


async def inbound(request: web.Request) -> web.Response:
    """``POST /channels/sms/twilio``: answer an SMS."""
    channel = request.app[SMS_CHANNEL]
    form = await _signed_form(request, channel)
    sid = _field(form, "MessageSid")
    if not _SID.match(sid):
        raise web.HTTPBadRequest(text="malformed MessageSid")
    raw_from = _field(form, "From")
    body = form.get("Body", "")
    media = media_of(form)
    structlog.contextvars.bind_contextvars(channel="sms", message_sid=sid)
    dedup = Deduplicator(request.config_dict[STATE], "sms", channel.settings.dedup_seconds)
    if not await dedup.claim(sid):
        log.info("sms_redelivered")
        return _xml(await _earlier_reply(dedup, sid))
    inquiries = request.config_dict[INQUIRIES]
    limiter = request.config_dict[LIMITER]
    try:
        async with asyncio.timeout(channel.settings.reply_timeout_ms / 1000):
            reply = await _reply(
                inquiries,
                limiter,
                channel,
                raw_from,
                sid,
                body,
                media,
                request.config_dict.get(UPLOADS),
                request.config_dict[LANGUAGES],
            )
    except Exception as exc:  # the person gets words and Twilio a 200, never a traceback
        await dedup.release(sid)
        log.error("sms_failed", error=type(exc).__name__, at=where(exc.__traceback__))
        w = Wording(sender_language(body, channel.default_language))
        return _xml(twiml(replies.unavailable(w)))
    xml = twiml(reply.text)
    await dedup.store_reply(sid, xml)
    log.info("sms_answered", outcome=reply.outcome, answers=len(reply.tracking_codes))
    return _xml(xml)


async def _earlier_reply(dedup: Deduplicator, sid: str) -> str:
    """The reply given to the first delivery; nothing when it is still being answered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _REDELIVERY_WAIT
    while True:
        stored = await dedup.reply_of(sid)
        if stored is not None:
            return stored
        if loop.time() >= deadline:
            return twiml(None)
        await asyncio.sleep(0.05)


async def _reply(
    inquiries: Inquiries,
    limiter: RateLimiter,
    channel: SmsChannel,
    raw_from: str,
    sid: str,
    body: str,
    media: MediaRef | None = None,
    uploads: Uploads | None = None,
    languages: Languages | None = None,
) -> Reply:
    w = Wording(sender_language(body, channel.default_language))
    try:
        phone = normalise_phone(raw_from, inquiries.pack.phone_region)
    except InvalidPhone:
        log.info("sms_sender_unreadable")
        return Reply(None, "sender_unreadable")
    if languages is not None:  # the phone's choice, else the body's script, else the default
        w = Wording(await languages.for_phone(phone, script_language(body)))
    s = channel.settings
    command = parse(body, channel.keywords)
    try:
        # A NO is the person's answer to a message of ours: never swallowed by the flood guard.
        if (
            isinstance(command, DenyCheck)
            and await inquiries.report_unasked_check(phone, sid) is not None
        ):
            return Reply(replies.thanks_for_report(w, s.hotline), "reported_unasked_check")
        hit = await limiter.hit("sms-sender", phone, s.inquiries_per_sender, s.rate_window_seconds)
        if not hit.allowed:
            log.warning("sms_rate_limited", scope="sender", phone=phone, count=hit.count)
            # Say so once per window; then stay silent rather than pay for a reply to each.
            text = (
                replies.rate_limited(w, "sender", hit.retry_after)
                if hit.count == hit.limit + 1
                else None
            )
            return Reply(text, "rate_limited_sender")
        identity = await inquiries.identify(phone)
        log.info(
            "sms_received",
            command=type(command).__name__,
            language=w.language,
            phone=phone,
            sender_kind="provider"
            if identity.provider
            else "insured"
            if identity.is_insured
            else "unknown",
        )
        if isinstance(command, ChooseLanguage) and languages is not None and media is None:
            return await choose_language(languages, identity, command, w, s.hotline)
        if media is not None:  # an MMS: a document for review, whatever its text says
            return await receive_document(
                inquiries, uploads, channel.media_access(), identity, body, media, w, s.hotline
            )
        return await answer_command(inquiries, s.hotline, Sender(identity), command, w)
    except StoreUnavailable as exc:
        log.warning("sms_store_unavailable", problem=exc.problem)
        return Reply(replies.unavailable(w), "unavailable")


def busy_responder(channel: SmsChannel) -> BusyResponder:
    """What a shed request gets: TwiML "busy, send again" to a signed SMS, else 503."""

    async def respond(request: web.Request, retry_after: int) -> web.StreamResponse:
        if request.path != PREFIX_INBOUND:
            return web.Response(status=503, headers={"Retry-After": str(retry_after)})
        form = await _signed_form(request, channel)
        w = Wording(sender_language(form.get("Body", ""), channel.default_language))
        return _xml(twiml(replies.busy(w)))

    return respond


async def status_callback(request: web.Request) -> web.Response:
    """``POST /channels/sms/twilio/status``: record a delivery status of an outbound SMS."""
    channel = request.app[SMS_CHANNEL]
    form = await _signed_form(request, channel)
    sid = _field(form, "MessageSid")
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    error_code = form.get("ErrorCode") or None
    if not _SID.match(sid) or not _STATUS.match(status):
        raise web.HTTPBadRequest(text="expected MessageSid and MessageStatus")
    if error_code is not None and not _ERROR_CODE.match(error_code):
        raise web.HTTPBadRequest(text="malformed ErrorCode")
    event = StatusEvent(sid, status, error_code, datetime.now(UTC))
    try:
        known = await request.config_dict[SMS_RECORDS].record_status(event)
    except StoreUnavailable as exc:
        log.error("sms_status_not_recorded", problem=exc.problem)
        raise web.HTTPServiceUnavailable(text="try again") from None
    log.info("sms_status", message_sid=sid, status=status, error_code=error_code, known=known)
    return web.Response(status=204)
