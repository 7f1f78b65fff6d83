"""Typed keys of the aiohttp application state: each port or service a channel may ask for.

A handler asks for what it needs (``request.config_dict[INQUIRIES]``), never for the whole
gateway. They are set when the gateway opens, before the first request.
"""

from __future__ import annotations

from aiohttp import web

from eligibility_gw.gateway import Gateway
from eligibility_gw.inquiries import Inquiries
from eligibility_gw.keyvalue import RateLimiter
from eligibility_gw.languages import Languages
from eligibility_gw.metrics import CountedDeliveries
from eligibility_gw.ports import Batches, KeyValueStore
from eligibility_gw.ports.casework import ConsoleStore
from eligibility_gw.ports.chats import TelegramBindings
from eligibility_gw.ports.messages import SmsRecords
from eligibility_gw.ports.outbound import SmsSender
from eligibility_gw.ports.reminders import ReminderRecords
from eligibility_gw.settings import Settings
from eligibility_gw.uploads import Uploads

SETTINGS = web.AppKey("settings", Settings)
#: The whole gateway: for the application itself (readiness) and for tests, not for channels.
GATEWAY = web.AppKey("gateway", Gateway)
#: The one door to answers: the inquiry policy around the eligibility service.
INQUIRIES = web.AppKey("inquiries", Inquiries)
#: Short-lived shared state (sessions, de-duplication keys) and the rate limiter over it.
STATE = web.AppKey("state", KeyValueStore)
LIMITER = web.AppKey("limiter", RateLimiter)
#: What channels keep: batch results, SMS records, chat bindings, the call centre's cases.
BATCHES = web.AppKey("batches", Batches)
SMS_RECORDS = web.AppKey("sms_records", SmsRecords)
CHATS = web.AppKey("chats", TelegramBindings)
CASEWORK = web.AppKey("casework", ConsoleStore)
#: Outbound SMS; absent when not configured (``config_dict.get``).
SMS_SENDER = web.AppKey("sms_sender", SmsSender)
#: Documents sent from a phone (receiving, the review queue) and the reminders kept.
UPLOADS = web.AppKey("uploads", Uploads)
REMINDER_RECORDS = web.AppKey("reminder_records", ReminderRecords)
#: Which language each person reads: a phone's choice, the channel's signal, the default.
LANGUAGES = web.AppKey("languages", Languages)


def hand_out(app: web.Application, gateway: Gateway) -> None:
    """Put the gateway's ports and services on ``app``, each under its own key."""
    app[GATEWAY] = gateway
    app[INQUIRIES] = gateway.inquiries
    app[STATE] = gateway.state
    app[LIMITER] = gateway.limiter
    app[BATCHES] = gateway.store.batches
    # Delivery callbacks come through here: the final status of each message is counted.
    app[SMS_RECORDS] = CountedDeliveries(gateway.store.sms)
    app[CHATS] = gateway.store.chats
    app[CASEWORK] = gateway.store.casework
    if gateway.sms_sender is not None:
        app[SMS_SENDER] = gateway.sms_sender
    if gateway.uploads is not None:
        app[UPLOADS] = gateway.uploads
    app[REMINDER_RECORDS] = gateway.store.reminders
    app[LANGUAGES] = gateway.languages or Languages(
        gateway.store.languages, gateway.settings.gateway.languages
    )
