ALTER TABLE events RENAME COLUMN numbered_after TO sequence;
UPDATE events SET sequence = n.sequence FROM event_numbers n WHERE n.event_id = events.id;
DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM event_numbers n WHERE n.event_id = events.id);
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_id_key UNIQUE (id);
ALTER TABLE events ADD PRIMARY KEY (reseller_id, sequence);
DROP TABLE event_numbers;
