ALTER TABLE events
    ALTER COLUMN id TYPE TEXT USING id::text,
    ALTER COLUMN tenant_id TYPE TEXT USING tenant_id::text;
ALTER TABLE audit_events ALTER COLUMN id TYPE TEXT USING id::text;
ALTER TABLE webhook_attempts
    ALTER COLUMN id TYPE TEXT USING id::text,
    ALTER COLUMN endpoint_id TYPE TEXT USING endpoint_id::text,
    ALTER COLUMN delivery_id TYPE TEXT USING delivery_id::text,
    ALTER COLUMN event_id TYPE TEXT USING event_id::text;
