CREATE TABLE events_numbered_together (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    sequence BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    environment TEXT NOT NULL,
    event_type TEXT NOT NULL,
    tenant_id TEXT,
    tenant_code_name TEXT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    handed_off BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (reseller_id, sequence)
);
INSERT INTO events_numbered_together (reseller_id, sequence, id, environment, event_type,
    tenant_id, tenant_code_name, payload, created_at, handed_off)
    SELECT e.reseller_id, n.sequence, e.id, e.environment, e.event_type, e.tenant_id,
        e.tenant_code_name, e.payload, e.created_at, e.handed_off
    FROM events e JOIN event_numbers n ON n.event_id = e.id;
DROP TABLE events;
ALTER TABLE events_numbered_together RENAME TO events;
DROP TABLE event_numbers;
