//! The Tenant API: every authentication scheme, permissions, orders, products, stock,
//! cross-tenant ids, and gap-free incremental sync under concurrent writers. One test binary,
//! a module per concept: `auth` (schemes, credentials, permissions), `orders` (orders,
//! products, stock, bodies, other tenants' ids), `sync` (the change feed, sandbox fill).

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod orders;
mod sync;

use base64::Engine;
use common::{Auth, ResellerCreds, TestServer};
use serde_json::{json, Value};
use std::collections::HashMap;
use tenantry_domain::Environment;

/// A tenant with an API connection (and its token) and an API user with a password.
struct Tenant {
    code_name: String,
    id: String,
    connection: String,
    token: String,
    reseller: ResellerCreds,
}

const PASSWORD: &str = "a long api user password";

fn tenant(s: &TestServer, reseller: &ResellerCreds, reference: &str, role: &str) -> Tenant {
    let body = json!({"customerReference": reference, "fullName": "Shop AB", "email": "shop@x.example", "defaultLanguage": "swe", "withApiConnection": true});
    let t = s
        .call("POST", "/reseller/tenant", &reseller.bearer(), Some(body))
        .expect(201)
        .json();
    let code_name = t["codeName"].as_str().unwrap().to_owned();
    s.call(
        "POST",
        &format!("/reseller/tenant/{code_name}/user"),
        &reseller.bearer(),
        Some(json!({"login": "api", "email": "api@x.example", "role": role, "password": PASSWORD})),
    )
    .expect(201);
    Tenant {
        id: t["id"].as_str().unwrap().to_owned(),
        connection: t["connection"]["id"].as_str().unwrap().to_owned(),
        token: t["connection"]["token"].as_str().unwrap().to_owned(),
        code_name,
        reseller: reseller.clone(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Auth {
    Auth::Headers(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn basic(login: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
    )
}

impl Tenant {
    /// Sharespine: X-Tenant + X-ConnectionId + Basic.
    fn sharespine(&self) -> Auth {
        headers(&[
            ("X-Tenant", &self.code_name),
            ("X-ConnectionId", &self.connection),
            ("Authorization", &basic("api", PASSWORD)),
        ])
    }

    fn bearer(&self) -> Auth {
        Auth::Bearer(self.token.clone())
    }

    fn api_key(&self) -> Auth {
        Auth::ApiKey(self.token.clone())
    }

    /// Calipsa partner token + X-Tenant-ID.
    fn as_reseller(&self) -> Auth {
        headers(&[
            ("Authorization", &format!("Bearer {}", self.reseller.key)),
            ("X-Tenant-ID", &self.id),
        ])
    }

    fn as_reseller_basic(&self) -> Auth {
        headers(&[
            (
                "Authorization",
                &basic(&self.reseller.login, &self.reseller.password),
            ),
            ("X-Reseller", &self.reseller.code),
            ("X-Tenant-ID", &self.id),
        ])
    }

    fn schemes(&self) -> Vec<(&'static str, Auth)> {
        vec![
            ("sharespine", self.sharespine()),
            ("bearer", self.bearer()),
            ("x-apikey", self.api_key()),
            ("reseller+X-Tenant-ID", self.as_reseller()),
            ("reseller basic+X-Tenant-ID", self.as_reseller_basic()),
        ]
    }
}

fn order(number: &str) -> Value {
    json!({
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

#[test]
fn the_tenant_openapi_document_is_served_and_covers_the_routes() {
    let s = TestServer::start();
    let served = s
        .call("GET", "/tenant/openapi.json", &Auth::None, None)
        .expect(200);
    assert_eq!(served.text, tenantry_tenant_api::openapi::document());
    let doc = served.json();
    let r = s.reseller("acme");
    let t = tenant(&s, &r, "shop", "admin");
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{sku}", "NONE");
            let status = s
                .call(
                    &method.to_uppercase(),
                    &concrete,
                    &t.bearer(),
                    Some(json!({})),
                )
                .status;
            assert!(
                status != 405 && (status != 404 || path.contains('{')),
                "{method} {path} answered {status}"
            );
        }
    }
}
