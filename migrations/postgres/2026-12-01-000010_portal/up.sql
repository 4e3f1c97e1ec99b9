-- The tenant portal. Its sessions end when idle as well as when old: each remembers its last
-- request. A session started before this column existed counts as idle since 1970, so it has
-- ended.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
-- Its order list pages newest first, by when an order was placed.
CREATE INDEX orders_by_placed ON orders (tenant_id, created_at, id);
