CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id);
