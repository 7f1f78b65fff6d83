-- Telegram channel: the phone a private chat proved by sharing the sender's own contact.
-- Only what answering needs: no names, no usernames, no message texts.
CREATE TABLE telegram_binding (
    chat_id   INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL,
    phone     TEXT NOT NULL,
    language  TEXT NOT NULL,
    bound_at  TEXT NOT NULL
);
