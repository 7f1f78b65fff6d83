-- A provider's own history of checks, and stored batch results for download.
CREATE INDEX answer_log_asker ON answer_log (asker_kind, asker_id, seq);

CREATE TABLE inquiry_batch (
    batch_id     TEXT PRIMARY KEY,
    provider_id  TEXT NOT NULL REFERENCES provider (provider_id),
    created_at   TEXT NOT NULL,
    item_count   INTEGER NOT NULL,
    results      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX inquiry_batch_provider ON inquiry_batch (provider_id, created_at);
