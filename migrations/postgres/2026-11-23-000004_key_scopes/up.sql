-- Scoped reseller keys: what each key may do, and when a rotated key stops working.
-- Keys that existed before scopes keep every scope they could use.
ALTER TABLE reseller_keys ADD COLUMN scopes TEXT NOT NULL
    DEFAULT '["tenant:read","tenant:write","user:write","connection:write","login:create","analytics:read","key:read","key:write"]';
ALTER TABLE reseller_keys ADD COLUMN expires_at TIMESTAMP;
