-- Tenant data for the Tenant API: orders, products, the per-tenant change sequence that
-- incremental sync pages by, and company-scoped tenant tokens.

-- One row per tenant; taking the next value locks the row until the writing transaction
-- commits, so for one tenant sequence order is commit order.
CREATE TABLE tenant_sequences (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_value BIGINT NOT NULL
);

CREATE TABLE orders (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    customer TEXT NOT NULL,
    billing_address TEXT NOT NULL,
    shipping_address TEXT NOT NULL,
    order_rows TEXT NOT NULL,
    total_net BIGINT NOT NULL,
    total_vat BIGINT NOT NULL,
    total_gross BIGINT NOT NULL,
    metadata TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sequence BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    UNIQUE (tenant_id, sequence)
);
CREATE INDEX orders_by_status ON orders (tenant_id, status, sequence);

CREATE TABLE products (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    price BIGINT NOT NULL,
    currency TEXT NOT NULL,
    stock BIGINT,
    allow_backorder BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    sequence BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, sku)
);
CREATE INDEX products_by_sequence ON products (tenant_id, sequence);

CREATE TABLE tenant_tokens (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    hint TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX tenant_tokens_by_hash ON tenant_tokens (token_hash);
