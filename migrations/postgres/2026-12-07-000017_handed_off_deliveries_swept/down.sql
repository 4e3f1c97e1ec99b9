ALTER TABLE webhook_endpoints DROP COLUMN swept_through;
ALTER TABLE events DROP COLUMN handed_off;
