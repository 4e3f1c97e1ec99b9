-- A write acting on a reseller key its process remembers begins with this check
-- (storage::reseller::KeyCheck), sent with BEGIN: it raises unless the key is unrevoked and
-- unexpired at `remembered_at` and its reseller's fields are as remembered. A function, so
-- PostgreSQL plans its query once per connection (and so through a pooler in transaction
-- mode, where a session's PREPARE would not follow); sent as text with its literals, the
-- query was planned on every write.
CREATE FUNCTION tenantry_require_key(
    remembered_hash text,
    remembered_at timestamp,
    remembered_id text,
    remembered_code text,
    remembered_name text,
    remembered_prefix text,
    remembered_capabilities text,
    remembered_rate bigint,
    remembered_public boolean,
    remembered_created_at timestamp
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM reseller_keys k JOIN resellers r ON r.id = k.reseller_id
    WHERE k.token_hash = remembered_hash
      AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > remembered_at)
      AND r.id = remembered_id
      AND r.code = remembered_code
      AND r.name = remembered_name
      AND r.code_name_prefix = remembered_prefix
      AND r.capabilities = remembered_capabilities
      AND r.rate_limit_per_minute = remembered_rate
      AND r.public_integrations = remembered_public
      AND r.created_at = remembered_created_at;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenantry: the reseller key changed since it was remembered';
    END IF;
END
$$;
