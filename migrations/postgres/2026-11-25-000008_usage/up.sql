-- Usage analytics, pre-aggregated per UTC day: a query over a year sums a few rows per tenant
-- and day instead of scanning a request log. Written in batches by each server process.

-- One counter per reseller, environment, day, tenant, metric and dimension (the operation of
-- a request, the currency of an order). `tenant` is the codeName, '' for a reseller's
-- requests about no tenant. `amount` is a value in a currency's minor unit (orders), else 0.
CREATE TABLE usage_counters (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    day TEXT NOT NULL,
    tenant TEXT NOT NULL,
    metric TEXT NOT NULL,
    dimension TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (reseller_id, environment, day, tenant, metric, dimension)
);
CREATE INDEX usage_counters_by_tenant ON usage_counters (reseller_id, environment, tenant, day);

-- The users and connections seen using a tenant's API each day: distinct counts over a range
-- cannot be summed from daily counts.
CREATE TABLE usage_subjects (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    day TEXT NOT NULL,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (reseller_id, environment, day, tenant, kind, subject)
);
CREATE INDEX usage_subjects_by_tenant ON usage_subjects (reseller_id, environment, tenant, day);
