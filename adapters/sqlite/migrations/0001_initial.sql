-- Registry: persons, family links, cover periods, evidence documents.
CREATE TABLE person (
    national_id     TEXT PRIMARY KEY,
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    birth_date      TEXT,
    sex             TEXT CHECK (sex IN ('M', 'F')),
    phone           TEXT,
    relationship    TEXT NOT NULL,
    principal_id    TEXT REFERENCES person (national_id) DEFERRABLE INITIALLY DEFERRED,
    marital_status  TEXT,
    disabled        INTEGER,
    has_income      INTEGER,
    other_insurer   TEXT,
    position        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX person_principal ON person (principal_id) WHERE principal_id IS NOT NULL;
CREATE INDEX person_phone ON person (phone) WHERE phone IS NOT NULL;

CREATE TABLE cover_period (
    person_id   TEXT NOT NULL REFERENCES person (national_id),
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT 'registry',
    PRIMARY KEY (person_id, start_date)
) WITHOUT ROWID;

-- Evidence on file. One registry document per kind and person; documents recorded at a
-- branch keep who, when and why.
CREATE TABLE document (
    id           INTEGER PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES person (national_id),
    kind         TEXT NOT NULL,
    valid_from   TEXT,
    valid_until  TEXT,
    source       TEXT NOT NULL,
    recorded_by  TEXT,
    recorded_at  TEXT NOT NULL,
    note         TEXT
);
CREATE INDEX document_person ON document (person_id);
CREATE UNIQUE INDEX document_registry ON document (person_id, kind) WHERE source = 'registry';

-- Providers; the API key is kept only as its SHA-256.
CREATE TABLE provider (
    provider_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    phone              TEXT,
    key_hash           TEXT NOT NULL UNIQUE,
    active             INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL,
    status_changed_at  TEXT
) WITHOUT ROWID;
CREATE INDEX provider_phone ON provider (phone) WHERE phone IS NOT NULL;

-- The append-only answer log, chained by hash.
CREATE TABLE answer_log (
    seq                  INTEGER PRIMARY KEY,
    tracking_code        TEXT NOT NULL UNIQUE,
    created_at           TEXT NOT NULL,
    channel              TEXT NOT NULL,
    asker_kind           TEXT NOT NULL,
    asker_id             TEXT NOT NULL,
    national_id          TEXT NOT NULL,
    service_date         TEXT NOT NULL,
    setting              TEXT NOT NULL,
    status               TEXT NOT NULL,
    reasons              TEXT NOT NULL,
    cover_end            TEXT,
    rule_pack            TEXT NOT NULL,
    rule_pack_version    TEXT NOT NULL,
    member_relationship  TEXT,
    member_masked        TEXT,
    principal_id         TEXT,
    prev_hash            TEXT NOT NULL,
    row_hash             TEXT NOT NULL
);
CREATE INDEX answer_log_person ON answer_log (national_id, seq);

CREATE TRIGGER answer_log_no_update BEFORE UPDATE ON answer_log
BEGIN SELECT RAISE(ABORT, 'answer_log is append-only'); END;
CREATE TRIGGER answer_log_no_delete BEFORE DELETE ON answer_log
BEGIN SELECT RAISE(ABORT, 'answer_log is append-only'); END;
