-- The other seed countries' schemes (#19): the same as SQLite's 0010.

ALTER TABLE person ADD COLUMN category TEXT;

CREATE TABLE privilege (
    person_id    TEXT NOT NULL REFERENCES person (national_id),
    kind         TEXT NOT NULL,
    valid_until  DATE,
    PRIMARY KEY (person_id, kind)
);

CREATE INDEX document_registry_other ON document (person_id)
WHERE source = 'registry' AND kind NOT IN ('student_certificate', 'birth_certificate');

ALTER TABLE answer_log ADD COLUMN member_category TEXT;
ALTER TABLE answer_log ADD COLUMN privileges TEXT;

ALTER TABLE provider ADD COLUMN last_updated DATE;
ALTER TABLE provider ADD COLUMN stale_since DATE;
