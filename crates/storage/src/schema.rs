//! The diesel schema, written by hand to stay within the column types both backends share
//! through `MultiConnection`: Text, BigInt, Bool, Timestamp, and one of ours,
//! [`crate::sql_types::Uuid`] (`uuid` on PostgreSQL) for the ids of the tables every
//! event-producing write appends to. Other ids are TEXT, JSON is TEXT, timestamps are UTC.

diesel::table! {
    resellers (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        code_name_prefix -> Text,
        capabilities -> Text,
        rate_limit_per_minute -> BigInt,
        created_at -> Timestamp,
        public_integrations -> Bool,
    }
}

diesel::table! {
    reseller_portals (reseller_id, environment) {
        reseller_id -> Text,
        environment -> Text,
        return_url -> Nullable<Text>,
        frame_ancestors -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reseller_users (id) {
        id -> Text,
        reseller_id -> Text,
        login -> Text,
        password_hash -> Text,
        environment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reseller_keys (id) {
        id -> Text,
        reseller_id -> Text,
        name -> Text,
        token_hash -> Text,
        hint -> Text,
        environment -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        scopes -> Text,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    code_name_counters (base) {
        base -> Text,
        last_number -> BigInt,
    }
}

diesel::table! {
    tenants (id) {
        id -> Text,
        reseller_id -> Text,
        code_name -> Text,
        customer_reference -> Text,
        environment -> Text,
        status -> Text,
        full_name -> Text,
        email -> Text,
        default_language -> Text,
        languages -> Text,
        options -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tier -> Nullable<Text>,
        contract_length -> Nullable<BigInt>,
        website -> Nullable<Text>,
        template -> Nullable<Text>,
        external_id -> Nullable<Text>,
        cancellation_effective_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tenant_jobs (id) {
        id -> Text,
        tenant_id -> Text,
        kind -> Text,
        due_at -> Timestamp,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tenant_users (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        login -> Text,
        full_name -> Text,
        email -> Text,
        role -> Text,
        permissions -> Text,
        default_language -> Text,
        password_hash -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    connections (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        name -> Text,
        kind -> Text,
        active -> Bool,
        configuration -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    login_tokens (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        path -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    tenant_sequences (tenant_id) {
        tenant_id -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    orders (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        number -> Text,
        status -> Text,
        currency -> Text,
        customer -> Text,
        billing_address -> Text,
        shipping_address -> Text,
        order_rows -> Text,
        total_net -> BigInt,
        total_vat -> BigInt,
        total_gross -> BigInt,
        metadata -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sequence -> BigInt,
    }
}

diesel::table! {
    products (tenant_id, sku) {
        tenant_id -> Text,
        sku -> Text,
        name -> Text,
        price -> BigInt,
        currency -> Text,
        stock -> Nullable<BigInt>,
        allow_backorder -> Bool,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sequence -> BigInt,
    }
}

diesel::table! {
    tenant_tokens (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        connection_id -> Text,
        token_hash -> Text,
        hint -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        permissions -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (principal, idempotency_key) {
        principal -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        status_code -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    audit_events (id) {
        id -> Uuid,
        reseller_id -> Text,
        environment -> Text,
        tenant -> Nullable<Text>,
        actor_type -> Text,
        actor_id -> Text,
        surface -> Text,
        operation -> Text,
        method -> Text,
        path -> Text,
        status -> Integer,
        outcome -> Text,
        request_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    event_sequences (reseller_id) {
        reseller_id -> Text,
        last_value -> BigInt,
        endpoints_version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    events (reseller_id, sequence) {
        reseller_id -> Text,
        sequence -> BigInt,
        id -> Uuid,
        environment -> Text,
        event_type -> Text,
        tenant_id -> Nullable<Uuid>,
        tenant_code_name -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
        handed_off -> Bool,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        reseller_id -> Text,
        environment -> Text,
        url -> Text,
        description -> Text,
        event_types -> Text,
        active -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        swept_through -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        endpoint_id -> Text,
        reseller_id -> Text,
        event_sequence -> BigInt,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    webhook_attempts (id) {
        id -> Uuid,
        endpoint_id -> Uuid,
        delivery_id -> Uuid,
        event_id -> Uuid,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        succeeded -> Bool,
        response -> Text,
    }
}

diesel::table! {
    usage_counters (reseller_id, environment, tenant, period, day, metric, dimension) {
        reseller_id -> Text,
        environment -> Text,
        tenant -> Text,
        period -> Text,
        day -> Text,
        metric -> Text,
        dimension -> Text,
        quantity -> BigInt,
        amount -> BigInt,
    }
}

diesel::table! {
    usage_subjects (reseller_id, environment, tenant, period, day, kind, subject) {
        reseller_id -> Text,
        environment -> Text,
        tenant -> Text,
        period -> Text,
        day -> Text,
        kind -> Text,
        subject -> Text,
    }
}

diesel::table! {
    tenant_templates (reseller_id, name) {
        reseller_id -> Text,
        name -> Text,
        definition -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    integrations (id) {
        id -> Text,
        reseller_id -> Text,
        environment -> Text,
        name -> Text,
        description -> Text,
        redirect_url -> Text,
        connection_type -> Text,
        permissions -> Text,
        visibility -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    integration_links (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        integration_id -> Text,
        user_id -> Text,
        email -> Text,
        uid_hash -> Text,
        permissions -> Text,
        connection_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        linked_at -> Nullable<Timestamp>,
        unlinked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(tenants -> resellers (reseller_id));
diesel::allow_tables_to_appear_in_same_query!(
    resellers,
    reseller_portals,
    reseller_users,
    reseller_keys,
    code_name_counters,
    tenants,
    tenant_users,
    connections,
    login_tokens,
    sessions,
    tenant_sequences,
    orders,
    products,
    tenant_tokens,
    idempotency_keys,
    audit_events,
    event_sequences,
    events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    tenant_jobs,
    usage_counters,
    usage_subjects,
    tenant_templates,
    integrations,
    integration_links,
);
