-- An event's place in its reseller's feed moves to a narrow table of its own (see the
-- PostgreSQL migration: there a number can be given after the event commits). SQLite numbers
-- each event in its writing transaction, as before, and keeps the same two tables.
CREATE TABLE event_numbers (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    sequence BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (reseller_id, sequence)
);
INSERT INTO event_numbers (reseller_id, sequence, event_id)
    SELECT reseller_id, sequence, id FROM events;
CREATE TABLE events_numbered_apart (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    numbered_after BIGINT NOT NULL,
    environment TEXT NOT NULL,
    event_type TEXT NOT NULL,
    tenant_id TEXT,
    tenant_code_name TEXT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    handed_off BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO events_numbered_apart (id, reseller_id, numbered_after, environment, event_type,
    tenant_id, tenant_code_name, payload, created_at, handed_off)
    SELECT id, reseller_id, sequence - 1, environment, event_type, tenant_id, tenant_code_name,
        payload, created_at, handed_off FROM events;
DROP TABLE events;
ALTER TABLE events_numbered_apart RENAME TO events;
