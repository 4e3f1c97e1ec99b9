DROP TABLE tenant_jobs;
ALTER TABLE tenants DROP COLUMN cancellation_effective_at;
ALTER TABLE tenants DROP COLUMN external_id;
ALTER TABLE tenants DROP COLUMN template;
ALTER TABLE tenants DROP COLUMN website;
ALTER TABLE tenants DROP COLUMN contract_length;
ALTER TABLE tenants DROP COLUMN tier;
