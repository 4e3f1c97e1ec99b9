CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id);
ALTER TABLE webhook_attempts ADD CONSTRAINT webhook_attempts_endpoint_id_fkey
    FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_endpoint_id_fkey
    FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_reseller_id_fkey
    FOREIGN KEY (reseller_id) REFERENCES resellers (id) ON DELETE CASCADE;
ALTER TABLE events ADD CONSTRAINT events_reseller_id_fkey
    FOREIGN KEY (reseller_id) REFERENCES resellers (id) ON DELETE CASCADE;
