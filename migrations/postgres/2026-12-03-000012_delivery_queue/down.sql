DROP INDEX webhook_deliveries_due;
ALTER TABLE webhook_deliveries ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
