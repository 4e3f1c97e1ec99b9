-- The foundation: resellers and their credentials, tenants, tenant users, API connections,
-- login URLs and the sessions they start. Every tenant-owned table leads its primary key
-- with tenant_id so the schema can be distributed by tenant (Citus).

CREATE TABLE resellers (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    code_name_prefix TEXT NOT NULL,
    capabilities TEXT NOT NULL,
    rate_limit_per_minute BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE reseller_users (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    login TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    environment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (reseller_id, login)
);

CREATE TABLE reseller_keys (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    environment TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX reseller_keys_by_reseller ON reseller_keys (reseller_id, created_at);

-- One counter per codeName base, so each number is handed out once, even after a delete.
CREATE TABLE code_name_counters (
    base TEXT PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    code_name TEXT NOT NULL UNIQUE,
    customer_reference TEXT NOT NULL,
    environment TEXT NOT NULL,
    status TEXT NOT NULL,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    default_language TEXT NOT NULL,
    languages TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (reseller_id, environment, customer_reference)
);
CREATE INDEX tenants_by_reseller ON tenants (reseller_id, environment, created_at, id);

CREATE TABLE tenant_users (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    login TEXT NOT NULL,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    permissions TEXT NOT NULL,
    default_language TEXT NOT NULL,
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, login)
);

CREATE TABLE connections (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    configuration TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX connections_by_creation ON connections (tenant_id, created_at, id);

CREATE TABLE login_tokens (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    consumed_at TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX login_tokens_by_hash ON login_tokens (token_hash);

CREATE TABLE sessions (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES tenant_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_hash ON sessions (token_hash);
