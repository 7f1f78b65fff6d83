-- The other seed countries' schemes (#19): insured categories, privileges, documents of any
-- kind the pack names, what each answer said of them, and the provider registry feed.

-- The insured category's code as the rule pack writes it (zero-padded: 07).
ALTER TABLE person ADD COLUMN category TEXT;

-- Privileges on file per person (a privileged patient served out of turn), until when.
CREATE TABLE privilege (
    person_id    TEXT NOT NULL REFERENCES person (national_id),
    kind         TEXT NOT NULL,
    valid_until  TEXT,
    PRIMARY KEY (person_id, kind)
) WITHOUT ROWID;

-- The registry's documents of kinds without a column of their own (a referral certificate
-- with its issue date): each import replaces a person's; this finds them without a scan.
CREATE INDEX document_registry_other ON document (person_id)
WHERE source = 'registry' AND kind NOT IN ('student_certificate', 'birth_certificate');

-- What an answer said of the member's category and privileges (hashed only when present:
-- rows written before keep the hash they were written with).
ALTER TABLE answer_log ADD COLUMN member_category TEXT;
ALTER TABLE answer_log ADD COLUMN privileges TEXT;

-- The provider registry feed (CNES): when the provider last sent its data, and since when a
-- daily check has found it stale (NULL: not stale).
ALTER TABLE provider ADD COLUMN last_updated TEXT;
ALTER TABLE provider ADD COLUMN stale_since TEXT;
