-- The audit log: every write of either surface — who (principal and credential), what, which
-- tenant, when, request id and outcome.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    tenant TEXT,
    actor_type TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    surface TEXT NOT NULL,
    operation TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_by_reseller ON audit_events (reseller_id, environment, created_at, id);
