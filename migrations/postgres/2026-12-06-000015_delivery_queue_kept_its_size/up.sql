-- The delivery queue grows and empties all day: VACUUM truncating its empty tail only made
-- the next burst extend the file again (`IO/DataFileExtend` waits in pg_stat_activity), and
-- to truncate, VACUUM waits up to five seconds for an exclusive lock that every claim and
-- every recorded outcome holds against it (`Timeout/VacuumTruncate`, seen during
-- `cargo xtask bench --only webhooks`). The space stays the table's for the next burst.
ALTER TABLE webhook_deliveries SET (vacuum_truncate = false);
