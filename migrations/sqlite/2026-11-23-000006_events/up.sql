-- Lifecycle events (a transactional outbox: appended in the transaction of the change) and
-- the webhook endpoints, deliveries and attempts that carry them to resellers.

-- One row per reseller; taking the next value locks the row until the writing transaction
-- commits, so for one reseller sequence order is commit order and the feed has no gaps.
CREATE TABLE event_sequences (
    reseller_id TEXT PRIMARY KEY REFERENCES resellers (id) ON DELETE CASCADE,
    last_value BIGINT NOT NULL
);

-- No foreign key to tenants: a tenant.deleted event outlives its tenant.
CREATE TABLE events (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    sequence BIGINT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    environment TEXT NOT NULL,
    event_type TEXT NOT NULL,
    tenant_id TEXT,
    tenant_code_name TEXT,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (reseller_id, sequence)
);
CREATE INDEX events_by_age ON events (created_at);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TIMESTAMP,
    failing_since TIMESTAMP,
    disabled_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_by_reseller ON webhook_endpoints (reseller_id, environment);

-- One row per (endpoint, event) to deliver; a resend adds another. `next_attempt_at` is also
-- the lease: a worker that claims a delivery moves it forward, so a worker that dies
-- mid-delivery leaves it to be claimed again (at least once, never lost).
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    reseller_id TEXT NOT NULL,
    event_sequence BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id);

CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    response TEXT NOT NULL
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, attempted_at, id);
