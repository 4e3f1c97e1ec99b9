-- The ids of the three tables every event-producing write appends to become PostgreSQL's
-- 16-byte uuid instead of 37 bytes of TEXT, in the row and in the primary keys that hold them
-- (the attempt log's leads with its endpoint id): each id saved 21 bytes of the write's WAL.
-- SQLite keeps TEXT (storage::sql_types::Uuid reads and writes both).
ALTER TABLE events
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN tenant_id TYPE uuid USING tenant_id::uuid;
ALTER TABLE audit_events ALTER COLUMN id TYPE uuid USING id::uuid;
ALTER TABLE webhook_attempts
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN endpoint_id TYPE uuid USING endpoint_id::uuid,
    ALTER COLUMN delivery_id TYPE uuid USING delivery_id::uuid,
    ALTER COLUMN event_id TYPE uuid USING event_id::uuid;
