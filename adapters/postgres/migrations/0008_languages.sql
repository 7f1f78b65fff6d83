-- The language each phone chose (#20): the same as SQLite's 0011.
CREATE TABLE language_preference (
    phone      TEXT PRIMARY KEY,
    language   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    chosen_at  TIMESTAMPTZ NOT NULL
);
