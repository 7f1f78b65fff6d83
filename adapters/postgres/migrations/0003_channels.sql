-- SMS and Telegram channels: the same tables as SQLite's 0002_sms and 0004_telegram.

-- Messages handed to Twilio with their latest delivery status.
CREATE TABLE sms_outbound (
    message_sid  TEXT PRIMARY KEY,
    to_phone     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    reference    TEXT,
    status       TEXT NOT NULL,
    status_rank  INTEGER NOT NULL,
    error_code   TEXT,
    attempts     INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sms_outbound_to ON sms_outbound (to_phone, purpose, created_at);

-- Every status callback as received. Callbacks may arrive before the message is recorded:
-- no foreign key.
CREATE TABLE sms_status_event (
    id           BIGSERIAL PRIMARY KEY,
    message_sid  TEXT NOT NULL,
    status       TEXT NOT NULL,
    status_rank  INTEGER NOT NULL,
    error_code   TEXT,
    received_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sms_status_event_sid ON sms_status_event (message_sid, id);

-- Insured people's reports of checks they did not ask for, once per inbound message.
CREATE TABLE sms_unasked_check_report (
    id             BIGSERIAL PRIMARY KEY,
    phone          TEXT NOT NULL,
    tracking_code  TEXT,
    inbound_sid    TEXT NOT NULL UNIQUE,
    received_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sms_unasked_check_report_phone ON sms_unasked_check_report (phone, received_at);

-- The phone a private chat proved by sharing the sender's own contact. Only what answering
-- needs: no names, no usernames, no message texts. Telegram ids exceed 32 bits.
CREATE TABLE telegram_binding (
    chat_id   BIGINT PRIMARY KEY,
    user_id   BIGINT NOT NULL,
    phone     TEXT NOT NULL,
    language  TEXT NOT NULL,
    bound_at  TIMESTAMPTZ NOT NULL
);
