-- PostgreSQL gets tenantry_require_key here; on SQLite (in process) the check is the key's
-- lookup itself (storage::reseller::KeyCheck::holds).
SELECT 1;
