//! Rows a test starts from, written straight through storage.

use tenantry_domain::audit::AuditEvent;
use tenantry_domain::event::Event;
use tenantry_domain::reseller::Reseller;
use tenantry_domain::secret::StoredSecret;
use tenantry_domain::tenant::{Subscription, Tenant, TenantStatus};
use tenantry_domain::{time, Environment};
use tenantry_storage::{audit, event, reseller as resellers, tenant as tenants, Database, Owner};
use uuid::Uuid;

/// A reseller `code` with no capabilities.
pub fn reseller(db: &Database, code: &str) -> Reseller {
    let reseller = Reseller {
        id: Uuid::new_v4(),
        code: code.into(),
        name: format!("Reseller {code}"),
        code_name_prefix: String::new(),
        capabilities: vec![],
        rate_limit_per_minute: 300,
        public_integrations: false,
        created_at: time::now(),
    };
    db.write(|conn| resellers::insert(conn, &reseller)).unwrap();
    reseller
}

/// An active tenant `shop-{n}` of `reseller` with these options.
pub fn tenant(
    db: &Database,
    reseller: &Reseller,
    n: u32,
    environment: Environment,
    options: &[&str],
) -> Tenant {
    let now = time::now();
    let tenant = Tenant {
        id: Uuid::new_v4(),
        reseller_id: reseller.id,
        code_name: format!("shop-{n}"),
        customer_reference: format!("shop {n}"),
        status: TenantStatus::Active,
        full_name: format!("Shop {n} AB"),
        email: "it@shop.example".into(),
        default_language: "swe".into(),
        languages: vec!["swe".into()],
        options: options.iter().map(|o| o.to_string()).collect(),
        environment,
        subscription: Subscription::default(),
        cancellation_effective_at: None,
        created_at: now,
        updated_at: now,
    };
    db.write(|conn| tenants::insert(conn, &tenant)).unwrap();
    tenant
}

/// What `reseller` sees in `environment`.
pub fn owner(reseller: &Reseller, environment: Environment) -> Owner {
    Owner {
        reseller_id: reseller.id,
        environment,
    }
}

/// The events feed of `reseller` in `environment`, oldest first.
pub fn events(db: &Database, reseller: &Reseller, environment: Environment) -> Vec<Event> {
    let owner = owner(reseller, environment);
    db.read(|conn| event::list(conn, &owner, &Default::default(), 0, 100))
        .unwrap()
        .rows
}

/// The audit log of `reseller` in `environment`, oldest first.
pub fn audit_log(db: &Database, reseller: &Reseller, environment: Environment) -> Vec<AuditEvent> {
    let owner = owner(reseller, environment);
    let mut entries = db
        .read(|conn| audit::list(conn, &owner, &Default::default(), None, 100))
        .unwrap()
        .rows;
    entries.reverse();
    entries
}

/// What a use case stores of a token whose hint is `hint` (a made-up hash: no secret exists).
pub fn stored_secret(hint: &str) -> StoredSecret {
    StoredSecret {
        hash: format!("hash-{hint}"),
        hint: hint.into(),
    }
}

/// A `POST /tenant/order` body numbered `number`: two rows, 3 × 19.99 at 25% VAT and
/// 1 × 0.10 at 12%.
pub fn order_body(number: &str) -> serde_json::Value {
    serde_json::json!({
        "number": number, "currency": "SEK",
        "customer": {"name": "Anna", "email": "anna@x.example", "phone": "+46 70 000 00 00"},
        "billingAddress": {"name": "Anna", "street": "Storgatan 1", "postalCode": "111 22", "city": "Stockholm", "country": "SE"},
        "rows": [
            {"sku": "MUG", "name": "Mug", "quantity": 3, "unitPrice": "19.99", "vatRate": "25"},
            {"sku": "BOOK", "name": "Book", "quantity": 1, "unitPrice": "0.10", "vatRate": "12"}
        ],
        "metadata": {"source": "webshop"}
    })
}
