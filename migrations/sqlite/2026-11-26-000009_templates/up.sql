-- Tenant templates (XAPP's custom templates): what provisioning sets up for a new tenant,
-- defined by the operator per reseller. The definition is the template's JSON as the operator
-- wrote it (checked by the domain), read whole when a tenant is created.
CREATE TABLE tenant_templates (
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (reseller_id, name)
);
