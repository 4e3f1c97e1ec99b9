DROP FUNCTION tenantry_require_key(text, timestamp, text, text, text, text, text, bigint, boolean, timestamp);
