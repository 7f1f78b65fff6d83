-- Reminders before cover ends: one row per person, last covered day and milestone. The
-- primary key keeps a run repeated the same day, or two runs at once, from sending twice.
CREATE TABLE reminder (
    national_id  TEXT NOT NULL,
    last_day     TEXT NOT NULL,
    milestone    INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    rule         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    language     TEXT NOT NULL,
    run_day      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    claimed_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    reference    TEXT,
    problem      TEXT,
    PRIMARY KEY (national_id, last_day, milestone)
) WITHOUT ROWID;
-- The dashboard counts the reminders sent per run day.
CREATE INDEX reminder_run_day ON reminder (run_day, status);

-- A run reads the registry family by family, in principal order.
CREATE INDEX person_principals ON person (national_id) WHERE principal_id IS NULL;
-- A reminder goes to the chat bound to the phone, when there is one.
CREATE INDEX telegram_binding_phone ON telegram_binding (phone);

-- Documents sent from a phone, waiting for review or reviewed. The file is kept apart
-- (upload_file, or a directory named in the settings) under the same id.
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
    received_at    TEXT NOT NULL,
    decided_at     TEXT,
    decided_by     TEXT,
    kind           TEXT,
    valid_from     TEXT,
    valid_until    TEXT,
    reason         TEXT,
    note           TEXT,
    tracking_code  TEXT,
    notified       TEXT,
    deleted_at     TEXT
) WITHOUT ROWID;
CREATE INDEX upload_status ON upload (status, received_at);
CREATE INDEX upload_person ON upload (national_id, received_at);

CREATE TABLE upload_file (
    upload_id  TEXT PRIMARY KEY,
    content    BLOB NOT NULL
) WITHOUT ROWID;
