-- A delivery that the write hands to its own process's webhook workers is no longer a row of
-- the queue: the event row is its durable record, and its attempt (or the retry it queues) is
-- logged once it is made. What a process stopped before recording is found by a sweep
-- (storage::webhook::sweep), which reads each active endpoint's events after the last one
-- it swept. An endpoint starts swept through the events appended before it existed.
ALTER TABLE webhook_endpoints ADD COLUMN swept_through BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_endpoints SET swept_through = COALESCE(
    (SELECT last_value FROM event_sequences WHERE event_sequences.reseller_id = webhook_endpoints.reseller_id), 0);
-- Whether the event's deliveries were handed off (then they have no queue row): the sweep
-- checks only those.
ALTER TABLE events ADD COLUMN handed_off BOOLEAN NOT NULL DEFAULT false;
