DROP TABLE integration_links;
DROP TABLE integrations;
ALTER TABLE tenant_tokens DROP COLUMN permissions;
ALTER TABLE resellers DROP COLUMN public_integrations;
