-- The language each phone chose (#20): SMS LANG, the USSD language menu or Telegram's
-- language buttons; every channel that knows the phone answers in it. Only the phone, the
-- language, the channel it was chosen on and when.
CREATE TABLE language_preference (
    phone      TEXT PRIMARY KEY,
    language   TEXT NOT NULL,
    channel    TEXT NOT NULL,
    chosen_at  TEXT NOT NULL
) WITHOUT ROWID;
