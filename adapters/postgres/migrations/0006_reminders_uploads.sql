-- Reminders and documents sent from a phone: the same tables as SQLite's 0009.

-- One row per person, last covered day and milestone: the primary key keeps a run repeated
-- the same day, or runs of several processes at once, from sending a reminder twice.
CREATE TABLE reminder (
    national_id  TEXT NOT NULL,
    last_day     DATE NOT NULL,
    milestone    INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    rule         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    language     TEXT NOT NULL,
    run_day      DATE NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    claimed_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL,
    reference    TEXT,
    problem      TEXT,
    PRIMARY KEY (national_id, last_day, milestone)
);
CREATE INDEX reminder_run_day ON reminder (run_day, status);

CREATE INDEX person_principals ON person (national_id) WHERE principal_id IS NULL;
CREATE INDEX telegram_binding_phone ON telegram_binding (phone);

CREATE TABLE upload (
    upload_id      TEXT PRIMARY KEY,
    national_id    TEXT NOT NULL,
    channel        TEXT NOT NULL,
    reply_to       TEXT NOT NULL,
    phone          TEXT NOT NULL,
    language       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    status         TEXT NOT NULL
        CHECK (status IN ('pending', 'accepted', 'rejected', 'expired')),
    received_at    TIMESTAMPTZ NOT NULL,
    decided_at     TIMESTAMPTZ,
    decided_by     TEXT,
    kind           TEXT,
    valid_from     DATE,
    valid_until    DATE,
    reason         TEXT,
    note           TEXT,
    tracking_code  TEXT,
    notified       TEXT,
    deleted_at     TIMESTAMPTZ
);
CREATE INDEX upload_status ON upload (status, received_at);
CREATE INDEX upload_person ON upload (national_id, received_at);

CREATE TABLE upload_file (
    upload_id  TEXT PRIMARY KEY,
    content    BYTEA NOT NULL
);
