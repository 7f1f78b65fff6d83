-- The phone the registry file gave at the last import. A phone corrected at the console
-- stands against a re-import whose file still has this number (the registry has not
-- changed its mind since); it is the base of that three-way comparison.
ALTER TABLE person ADD COLUMN registry_phone TEXT;
UPDATE person SET registry_phone = phone;
-- A correction still on file replaced the registry's number: its first change's old one.
UPDATE person p SET registry_phone = (
    SELECT c.old_phone FROM console_phone_change c
    WHERE c.national_id = p.national_id ORDER BY c.id LIMIT 1
)
WHERE p.phone = (
    SELECT c.new_phone FROM console_phone_change c
    WHERE c.national_id = p.national_id ORDER BY c.id DESC LIMIT 1
);
-- The hotline finds a person by family name and birth date (names compare in the process).
CREATE INDEX person_birth ON person (birth_date);
-- Each import batch looks up the documents seen at a branch for its persons.
CREATE INDEX document_branch ON document (person_id) WHERE source = 'branch';
