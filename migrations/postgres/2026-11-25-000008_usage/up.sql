-- Usage analytics, pre-aggregated: counters per day and per calendar month, so a range reads
-- its whole months from month rows and only its ragged ends from day rows — a year is about a
-- dozen rows per counter, not a scan of a request log. Written in batches by each server.

-- One counter per reseller, environment, tenant, period and metric, qualified by a dimension
-- (the operation of a request, the currency of an order). `tenant` is the codeName, or '*' for
-- the rows that sum every tenant and the requests about none. `period` is 'day' or 'month';
-- `day` is the day, or the month's first day (YYYY-MM-DD, UTC). `amount` is a value in a
-- currency's minor unit (orders), else 0.
CREATE TABLE usage_counters (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    tenant TEXT NOT NULL,
    period TEXT NOT NULL,
    day TEXT NOT NULL,
    metric TEXT NOT NULL,
    dimension TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (reseller_id, environment, tenant, period, day, metric, dimension)
);
-- Which tenants had usage in a range, without reading every tenant's rows.
CREATE INDEX usage_counters_by_day ON usage_counters (reseller_id, environment, period, day, tenant);

-- The users and connections seen using a tenant's API in each day and month: distinct counts
-- over a range cannot be summed from per-period counts.
CREATE TABLE usage_subjects (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    tenant TEXT NOT NULL,
    period TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (reseller_id, environment, tenant, period, day, kind, subject)
);
