-- The XAPP subscription lifecycle: a tenant's subscription fields, its scheduled cancellation,
-- and the jobs that run after a request returns (provisioning) or at a date (cancellation).
ALTER TABLE tenants ADD COLUMN tier TEXT;
ALTER TABLE tenants ADD COLUMN contract_length BIGINT;
ALTER TABLE tenants ADD COLUMN website TEXT;
ALTER TABLE tenants ADD COLUMN template TEXT;
ALTER TABLE tenants ADD COLUMN external_id TEXT;
ALTER TABLE tenants ADD COLUMN cancellation_effective_at TIMESTAMP;

-- One row per job to run; a job runs in the transaction that deletes its row, so it acts once
-- even with several processes, and a process that dies mid-job leaves it to run again.
CREATE TABLE tenant_jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tenant_jobs_due ON tenant_jobs (due_at);
CREATE INDEX tenant_jobs_by_tenant ON tenant_jobs (tenant_id, kind);
