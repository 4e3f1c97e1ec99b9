ALTER TABLE event_sequences DROP COLUMN endpoints_version;
