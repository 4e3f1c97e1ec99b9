ALTER TABLE webhook_attempts DROP CONSTRAINT webhook_attempts_pkey;
ALTER TABLE webhook_attempts ADD PRIMARY KEY (id);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, attempted_at, id);
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD PRIMARY KEY (id);
CREATE INDEX audit_events_by_reseller ON audit_events (reseller_id, environment, created_at, id);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id);
ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_endpoint_id_fkey
    FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey
    FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_reseller_id_fkey
    FOREIGN KEY (reseller_id) REFERENCES resellers (id) ON DELETE CASCADE;
ALTER TABLE events ADD CONSTRAINT events_reseller_id_fkey
    FOREIGN KEY (reseller_id) REFERENCES resellers (id) ON DELETE CASCADE;
