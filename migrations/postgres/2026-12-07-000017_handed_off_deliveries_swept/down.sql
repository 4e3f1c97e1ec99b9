ALTER TABLE webhook_endpoints DROP COLUMN swept_through;
