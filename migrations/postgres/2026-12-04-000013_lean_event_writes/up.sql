-- An event-producing write inserts into four append-only tables, and a foreign key on each
-- made PostgreSQL lock the referenced reseller or endpoint row for every insert (FOR KEY
-- SHARE): with eight writers of one reseller those locks became multixacts, and the lock and
-- multixact records were about 390 of the 2,700 bytes of WAL a write cost (measured with
-- pg_walinspect on `cargo xtask bench --only webhooks`). Resellers are never deleted, and
-- every row here is written by a use case that holds the reseller or endpoint it names;
-- deleting an endpoint deletes its deliveries and attempts itself (storage::webhook::delete).
ALTER TABLE events DROP CONSTRAINT events_reseller_id_fkey;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_reseller_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_endpoint_id_fkey;
-- The queue holds only what waits, so an endpoint's deliveries are found by reading it:
-- this index cost an entry per delivery, inserted and deleted, for the rare disable.
DROP INDEX webhook_deliveries_by_endpoint;
-- The audit log and the attempt log are read only in their listing order, so that order is
-- their primary key: one index entry per row instead of two (a write adds a row to each).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
DROP INDEX audit_events_by_reseller;
ALTER TABLE audit_events ADD PRIMARY KEY (reseller_id, environment, created_at, id);
ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey;
DROP INDEX webhook_attempts_by_endpoint;
ALTER TABLE webhook_attempts ADD PRIMARY KEY (endpoint_id, attempted_at, id);
