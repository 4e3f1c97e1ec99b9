ALTER TABLE reseller_keys DROP COLUMN expires_at;
ALTER TABLE reseller_keys DROP COLUMN scopes;
