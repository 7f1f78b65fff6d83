-- Registry: persons, family links, cover periods, evidence documents.
CREATE TABLE person (
    national_id     TEXT PRIMARY KEY,
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    birth_date      DATE,
    sex             TEXT CHECK (sex IN ('M', 'F')),
    phone           TEXT,
    relationship    TEXT NOT NULL,
    principal_id    TEXT REFERENCES person (national_id) DEFERRABLE INITIALLY DEFERRED,
    marital_status  TEXT,
    disabled        BOOLEAN,
    has_income      BOOLEAN,
    other_insurer   TEXT,
    position        BIGSERIAL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX person_principal ON person (principal_id) WHERE principal_id IS NOT NULL;
CREATE INDEX person_phone ON person (phone) WHERE phone IS NOT NULL;

CREATE TABLE cover_period (
    person_id   TEXT NOT NULL REFERENCES person (national_id),
    start_date  DATE NOT NULL,
    end_date    DATE NOT NULL,
    source      TEXT NOT NULL DEFAULT 'registry',
    PRIMARY KEY (person_id, start_date)
);

CREATE TABLE document (
    id           BIGSERIAL PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES person (national_id),
    kind         TEXT NOT NULL,
    valid_from   DATE,
    valid_until  DATE,
    source       TEXT NOT NULL,
    recorded_by  TEXT,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    note         TEXT
);
CREATE INDEX document_person ON document (person_id);
CREATE UNIQUE INDEX document_registry ON document (person_id, kind) WHERE source = 'registry';

CREATE TABLE provider (
    provider_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    phone              TEXT,
    key_hash           TEXT NOT NULL UNIQUE,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         TIMESTAMPTZ NOT NULL,
    status_changed_at  TIMESTAMPTZ
);
CREATE INDEX provider_phone ON provider (phone) WHERE phone IS NOT NULL;

-- The append-only answer log, chained by hash. The chain head row serialises writers of
-- every process: a batch locks it, appends, and moves it.
CREATE TABLE answer_log (
    seq                  BIGINT PRIMARY KEY,
    tracking_code        TEXT NOT NULL UNIQUE,
    created_at           TEXT NOT NULL,
    channel              TEXT NOT NULL,
    asker_kind           TEXT NOT NULL,
    asker_id             TEXT NOT NULL,
    national_id          TEXT NOT NULL,
    service_date         DATE NOT NULL,
    setting              TEXT NOT NULL,
    status               TEXT NOT NULL,
    reasons              TEXT NOT NULL,
    cover_end            DATE,
    rule_pack            TEXT NOT NULL,
    rule_pack_version    TEXT NOT NULL,
    member_relationship  TEXT,
    member_masked        TEXT,
    principal_id         TEXT,
    prev_hash            TEXT NOT NULL,
    row_hash             TEXT NOT NULL
);
CREATE INDEX answer_log_person ON answer_log (national_id, seq);
CREATE INDEX answer_log_asker ON answer_log (asker_kind, asker_id, seq);

CREATE TABLE answer_chain_head (
    id        BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    seq       BIGINT NOT NULL,
    row_hash  TEXT NOT NULL
);
INSERT INTO answer_chain_head VALUES (TRUE, 0, repeat('0', 64));

CREATE FUNCTION answer_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'answer_log is append-only'; END $$;
CREATE TRIGGER answer_log_no_update BEFORE UPDATE OR DELETE ON answer_log
FOR EACH ROW EXECUTE FUNCTION answer_log_append_only();

CREATE TABLE inquiry_batch (
    batch_id     TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES provider (provider_id),
    created_at   TIMESTAMPTZ NOT NULL,
    item_count   INTEGER NOT NULL,
    results      TEXT NOT NULL
);
CREATE INDEX inquiry_batch_provider ON inquiry_batch (provider_id, created_at);
