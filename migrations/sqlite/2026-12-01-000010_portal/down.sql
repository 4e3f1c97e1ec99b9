DROP TABLE reseller_portals;
DROP INDEX orders_by_placed;
ALTER TABLE sessions DROP COLUMN last_seen_at;
