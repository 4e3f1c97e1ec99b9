-- PostgreSQL's ids of events, audit_events and webhook_attempts become uuid here; SQLite has
-- no such type and keeps TEXT, which storage::sql_types::Uuid reads and writes.
SELECT 1;
