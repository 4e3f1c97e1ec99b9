-- Partner linking (Cloud 66's user integration handshake). The operator lets a reseller offer
-- integrations to every tenant, not only its own.
ALTER TABLE resellers ADD COLUMN public_integrations BOOLEAN NOT NULL DEFAULT FALSE;
-- What a company token may do: a JSON list of permissions; NULL (every token made before
-- links existed, and every token a reseller or admin issues) is every permission.
ALTER TABLE tenant_tokens ADD COLUMN permissions TEXT;

-- An integration a partner offers, per environment.
CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    connection_type TEXT NOT NULL,
    permissions TEXT NOT NULL,
    visibility TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX integrations_by_reseller ON integrations (reseller_id, environment, created_at, id);
CREATE INDEX integrations_by_visibility ON integrations (visibility, environment);

-- A tenant admin's consent to an integration and what came of it. The uid the partner posts
-- back is stored only as its hash; the index on it is not unique (SHA-256 of 256 random bits
-- does not collide) so the table stays distributable by tenant.
CREATE TABLE integration_links (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    email TEXT NOT NULL,
    uid_hash TEXT NOT NULL,
    permissions TEXT NOT NULL,
    connection_id TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    linked_at TIMESTAMP,
    unlinked_at TIMESTAMP,
    -- No foreign key to the user: a link outlives its user, so a partner posting back for a
    -- removed admin hears `invalid user_email`, as the seed says.
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX integration_links_by_uid ON integration_links (uid_hash);
CREATE INDEX integration_links_by_integration ON integration_links (tenant_id, integration_id);
