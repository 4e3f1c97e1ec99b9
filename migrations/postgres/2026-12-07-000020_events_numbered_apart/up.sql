-- An event's place in its reseller's feed moves to a narrow table of its own, so a number can
-- be given to an event after the event commits (storage::event, the sequencer): the event row
-- is written once, and numbering it later adds a row of 64 bytes instead of rewriting the
-- event. Readers see an event once it has a number; the feed is read in that table's order.
CREATE TABLE event_numbers (
    reseller_id uuid NOT NULL,
    sequence BIGINT NOT NULL,
    event_id uuid NOT NULL,
    PRIMARY KEY (reseller_id, sequence)
);
INSERT INTO event_numbers (reseller_id, sequence, event_id)
    SELECT reseller_id::uuid, sequence, id FROM events;
-- The event is found by its id. `numbered_after` is the last number of its reseller's feed
-- committed before the event was written: its own number is the first one after it that
-- names it, which is how an event found by id learns its number without an index on
-- event_numbers.event_id (an entry, and its WAL, for every event).
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events DROP CONSTRAINT events_id_key;
ALTER TABLE events ADD PRIMARY KEY (id);
ALTER TABLE events RENAME COLUMN sequence TO numbered_after;
UPDATE events SET numbered_after = numbered_after - 1;
