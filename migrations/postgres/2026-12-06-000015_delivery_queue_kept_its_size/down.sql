ALTER TABLE webhook_deliveries RESET (vacuum_truncate);
