-- Call-centre console: staff accounts, disputes and their histories, phone corrections and
-- the log of staff look-ups. Documents seen at a branch go to `document` (source 'branch').
CREATE TABLE console_staff (
    username       TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    password_hash  TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    changed_at     TIMESTAMPTZ
);

CREATE TABLE console_dispute (
    code             TEXT PRIMARY KEY,
    national_id      TEXT NOT NULL,
    tracking_code    TEXT,
    caller_channel   TEXT NOT NULL,
    caller_phone     TEXT,
    language         TEXT NOT NULL,
    summary          TEXT NOT NULL,
    status           TEXT NOT NULL
        CHECK (status IN ('received', 'in_progress', 'resolved', 'rejected', 'closed')),
    opened_by        TEXT NOT NULL,
    opened_at        TIMESTAMPTZ NOT NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    resolution_code  TEXT,
    sms_status       TEXT,
    sms_message_sid  TEXT
);
CREATE INDEX console_dispute_person ON console_dispute (national_id, opened_at);
CREATE INDEX console_dispute_status ON console_dispute (status, due_at);

CREATE TABLE console_dispute_event (
    id           BIGSERIAL PRIMARY KEY,
    code         TEXT NOT NULL REFERENCES console_dispute (code),
    at           TIMESTAMPTZ NOT NULL,
    staff        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    text         TEXT NOT NULL
);
CREATE INDEX console_dispute_event_code ON console_dispute_event (code, id);

CREATE TABLE console_phone_change (
    id           BIGSERIAL PRIMARY KEY,
    national_id  TEXT NOT NULL REFERENCES person (national_id),
    old_phone    TEXT,
    new_phone    TEXT NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL,
    reason       TEXT NOT NULL
);
CREATE INDEX console_phone_change_person ON console_phone_change (national_id, id);

CREATE TABLE console_access (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    staff        TEXT NOT NULL,
    national_id  TEXT NOT NULL,
    action       TEXT NOT NULL
);
CREATE INDEX console_access_at ON console_access (at);
CREATE INDEX console_access_staff ON console_access (staff, at);
CREATE INDEX console_access_person ON console_access (national_id, at);

-- The dashboard counts the answers of the last days: a range of creation times (UTC ISO
-- text, compared byte by byte).
CREATE INDEX answer_log_created ON answer_log (created_at COLLATE "C");
