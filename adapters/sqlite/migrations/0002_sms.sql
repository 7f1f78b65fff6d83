-- SMS channel: messages handed to Twilio with their latest delivery status, every status
-- callback as received, and insured people's reports of checks they did not ask for.
CREATE TABLE sms_outbound (
    message_sid  TEXT PRIMARY KEY,
    to_phone     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    reference    TEXT,
    status       TEXT NOT NULL,
    status_rank  INTEGER NOT NULL,
    error_code   TEXT,
    attempts     INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sms_outbound_to ON sms_outbound (to_phone, purpose, created_at);

-- Callbacks may arrive before the message is recorded: no foreign key.
CREATE TABLE sms_status_event (
    id           INTEGER PRIMARY KEY,
    message_sid  TEXT NOT NULL,
    status       TEXT NOT NULL,
    status_rank  INTEGER NOT NULL,
    error_code   TEXT,
    received_at  TEXT NOT NULL
);
CREATE INDEX sms_status_event_sid ON sms_status_event (message_sid, id);

CREATE TABLE sms_unasked_check_report (
    id             INTEGER PRIMARY KEY,
    phone          TEXT NOT NULL,
    tracking_code  TEXT,
    inbound_sid    TEXT NOT NULL UNIQUE,
    received_at    TEXT NOT NULL
);
CREATE INDEX sms_unasked_check_report_phone ON sms_unasked_check_report (phone, received_at);
