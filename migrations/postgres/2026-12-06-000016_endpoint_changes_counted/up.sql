-- How many times the reseller's webhook endpoints changed: an event-producing write reads it
-- from the statement that takes its sequence numbers and reads the endpoints again only when
-- it moved (storage::known_endpoints), instead of on every append.
ALTER TABLE event_sequences ADD COLUMN endpoints_version BIGINT NOT NULL DEFAULT 0;
