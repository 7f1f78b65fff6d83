-- Registry order: upsert_rows gives each new person max(position) + 1. Without an index that
-- max is a scan of the whole person table for every row written (re-imports included), so an
-- import slowed down with the square of the registry's size: a million rows would have taken
-- about half a day, a re-import about a day. With the index, the max is one index lookup.
CREATE INDEX person_position ON person (position);
