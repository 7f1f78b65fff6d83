-- An answer for a service period keeps the period's last day; service_date is its first.
-- NULL for an answer about one day (every row written before periods were answered).
ALTER TABLE answer_log ADD COLUMN service_until DATE;
