-- The queue holds only what waits, so an endpoint's deliveries are found by reading it:
-- this index cost an entry per delivery, inserted and deleted, for the rare disable. (The
-- foreign keys PostgreSQL dropped here stay: SQLite checks them without locking or logging
-- anything, and dropping one would mean rebuilding the table.)
DROP INDEX webhook_deliveries_by_endpoint;
