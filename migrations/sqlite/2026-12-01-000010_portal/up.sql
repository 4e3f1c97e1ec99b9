-- The tenant portal. Its sessions end when idle as well as when old: each remembers its last
-- request. A session started before this column existed counts as idle since 1970, so it has
-- ended.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
-- Its order list pages newest first, by when an order was placed.
CREATE INDEX orders_by_placed ON orders (tenant_id, created_at, id);
-- What a reseller sets for its tenants' portal, per environment: where "Back to {reseller}"
-- leads, and which of its own origins may frame the portal.
CREATE TABLE reseller_portals (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    return_url TEXT,
    frame_ancestors TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (reseller_id, environment)
);
