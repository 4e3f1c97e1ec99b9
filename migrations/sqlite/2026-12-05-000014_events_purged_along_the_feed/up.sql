-- Events past their retention are found by walking each reseller's feed from its oldest
-- event (storage::event::purge): this index cost every event-producing write an entry, about
-- 100 of the 2,200–2,500 bytes of WAL a write cost on PostgreSQL (`cargo xtask bench --only
-- webhooks`), for a job that runs every ten minutes.
DROP INDEX events_by_age;
