//! Input a hostile or broken client sends: control characters (U+0000 above all, which
//! PostgreSQL's text cannot hold) in every path parameter, query parameter and string body
//! field of both surfaces, duplicate JSON keys, arrays where objects belong, NUL in Basic
//! credentials. Each is a 4xx problem naming what was wrong, identically on both backends;
//! none reaches the database, and the audit log keeps working for everyone.

mod common;

use common::{Auth, TestServer, BOTH};
use serde_json::{json, Value};

/// Resolves `#/components/schemas/X` references in `doc`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn has_type(schema: &Value, kind: &str) -> bool {
    match &schema["type"] {
        Value::String(t) => t == kind,
        Value::Array(types) => types.iter().any(|t| t == kind),
        _ => false,
    }
}

/// Every string field a body of `schema` can carry, as (field path, body with only that field
/// holding a NUL).
fn string_fields(doc: &Value, schema: &Value, depth: usize) -> Vec<(String, Value)> {
    let schema = resolve(doc, schema);
    let variants: Vec<&Value> = ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| schema[*k].as_array())
        .flatten()
        .map(|s| resolve(doc, s))
        .collect();
    if !variants.is_empty() {
        return variants
            .into_iter()
            .flat_map(|v| string_fields(doc, v, depth))
            .collect();
    }
    if depth > 4 {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            let property = resolve(doc, property);
            let nested = |inner: Vec<(String, Value)>, wrap: &dyn Fn(Value) -> Value, sep: &str| {
                inner
                    .into_iter()
                    .map(|(path, body)| (format!("{name}{sep}{path}"), json!({ name: wrap(body) })))
                    .collect::<Vec<_>>()
            };
            if has_type(property, "string") && property["format"] != "date-time" {
                out.push((name.clone(), json!({ name: "a\u{0}b" })));
            } else if has_type(property, "array") {
                let items = resolve(doc, &property["items"]);
                if has_type(items, "string") {
                    out.push((format!("{name}[0]"), json!({ name: ["a\u{0}b"] })));
                } else {
                    out.extend(nested(
                        string_fields(doc, items, depth + 1),
                        &|b| json!([b]),
                        "[0].",
                    ));
                }
            } else if property["properties"].is_object() || property["oneOf"].is_array() {
                out.extend(nested(string_fields(doc, property, depth + 1), &|b| b, "."));
            } else if has_type(property, "object") {
                // A free-form object (a connection's configuration, an order's metadata).
                out.push((format!("{name}.note"), json!({ name: {"note": "a\u{0}b"} })));
            }
        }
    }
    out
}

/// Asserts a 400 naming the parameter, or a 422 naming the body field, for a control character.
#[track_caller]
fn refused(r: common::Response, status: u16, field: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    let code = if status == 400 {
        "invalid_parameter"
    } else {
        "validation_failed"
    };
    let body = r.expect_problem(status, code);
    assert_eq!(body["errors"][0]["field"], field, "{what}: {body}");
    assert_eq!(
        body["errors"][0]["code"], "control_character",
        "{what}: {body}"
    );
}

/// Sends a NUL in every path parameter, query parameter and body string of every operation
/// in the surface's OpenAPI document.
fn sweep(s: &TestServer, document: &str, auth: &Auth) -> usize {
    let doc = s
        .call("GET", document, &Auth::None, None)
        .expect(200)
        .json();
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let in_path: Vec<&str> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let fill = |nul_in: Option<&str>| {
                let mut path = template.clone();
                for name in &in_path {
                    let value = if Some(*name) == nul_in { "a%00b" } else { "x" };
                    path = path.replace(&format!("{{{name}}}"), value);
                }
                path
            };
            let body_schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            // A body the operation accepts, so only the part under test is wrong.
            let empty = (!body_schema.is_null()).then(|| json!({}));
            for name in &in_path {
                let what = format!("{method} {template} path {name}");
                refused(
                    s.call(&method, &fill(Some(name)), auth, empty.clone()),
                    400,
                    name,
                    &what,
                );
                checked += 1;
            }
            for p in parameters.iter().filter(|p| p["in"] == "query") {
                let name = p["name"].as_str().unwrap();
                let path = format!("{}?{name}=a%00b", fill(None));
                let what = format!("{method} {template} query {name}");
                refused(
                    s.call(&method, &path, auth, empty.clone()),
                    400,
                    name,
                    &what,
                );
                checked += 1;
            }
            if !body_schema.is_null() {
                let fields = string_fields(&doc, body_schema, 0);
                for (field, body) in fields {
                    let what = format!("{method} {template} body {field}");
                    refused(
                        s.call(&method, &fill(None), auth, Some(body)),
                        422,
                        &field,
                        &what,
                    );
                    checked += 1;
                }
            }
        }
    }
    checked
}

#[test]
fn a_control_character_anywhere_is_refused_naming_where_on_both_surfaces() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let reseller_checks = sweep(&s, "/reseller/openapi.json", &r.bearer());
    let token = s.company_token(&r.bearer(), "shop");
    let tenant_checks = sweep(&s, "/tenant/openapi.json", &token);
    // Every path parameter, filter and string field of both documents: dozens each.
    assert!(reseller_checks > 80, "{reseller_checks} reseller checks");
    assert!(tenant_checks > 20, "{tenant_checks} tenant checks");
}

#[test]
fn the_reported_nul_requests_are_4xx_and_the_audit_log_keeps_working() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let other = s.reseller("other");
    // The report's reproduction: a 500 on PostgreSQL that poisoned the audit writer.
    let body = s
        .call("DELETE", "/reseller/tenant/%00", &r.bearer(), None)
        .expect_problem(400, "invalid_parameter");
    assert_eq!(body["errors"][0]["field"], "codeName");
    for (method, path) in [
        ("GET", "/reseller/tenant/%00"),
        ("PATCH", "/reseller/tenant/%00"),
        ("GET", "/reseller/tenant?customerReference=%00"),
        ("GET", "/reseller/audit?actor=%00"),
        ("GET", "/reseller/audit?tenant=a%01"),
    ] {
        let body = (method == "PATCH").then(|| json!({}));
        s.call(method, path, &r.bearer(), body)
            .expect_problem(400, "invalid_parameter");
    }
    let tenant = json!({"customerReference": "c", "fullName": "a\u{0}b", "email": "x@x.example", "defaultLanguage": "swe"});
    s.call("POST", "/reseller/tenant", &r.bearer(), Some(tenant))
        .expect_problem(422, "validation_failed");
    // Control characters in the Basic credentials are malformed credentials.
    let nul_login = Auth::Basic {
        reseller: "acme".into(),
        login: "ad\u{0}min".into(),
        password: "x".into(),
    };
    s.call("GET", "/reseller/tenant", &nul_login, None)
        .expect_problem(401, "unauthorized");

    // Everyone's writes are still audited, and analytics answer.
    s.tenant(&other.bearer(), "after");
    let log = s
        .call("GET", "/reseller/audit", &other.bearer(), None)
        .expect(200)
        .json();
    assert_eq!(log["data"][0]["operation"], "POST /reseller/tenant");
    s.call("GET", "/reseller/analytics", &other.bearer(), None)
        .expect(200);
    assert_eq!(s.state().audit.flush().unwrap(), 0, "nothing left queued");
    assert_eq!(s.state().audit.quarantined(), 0, "refused at the edge");
    assert_eq!(s.state().usage.flush().map(|_| ()).ok(), Some(()));
    assert_eq!(s.state().usage.quarantined(), 0);
}

#[test]
fn lax_json_is_refused_naming_the_field() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let token = s.company_token(&r.bearer(), "shop");
    let order = json!({
        "number": "A-1", "currency": "SEK",
        "customer": {"name": "Anna", "email": "anna@x.example"},
        "billingAddress": {"name": "Anna", "street": "Storgatan 1", "postalCode": "111 22", "city": "Stockholm", "country": "SE"},
        "rows": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unitPrice": "10", "vatRate": "25"}]
    });
    let id = s
        .call("POST", "/tenant/order", &token, Some(order))
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/tenant/order/{id}");
    // An array where an object belongs no longer fills the address's fields by position.
    for address in [json!(["Evil", "St 9", "999", "Town", "SE"]), json!([])] {
        let body = s
            .call(
                "PATCH",
                &path,
                &token,
                Some(json!({"shippingAddress": address})),
            )
            .expect_problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "shippingAddress", "{body}");
    }
    // Nor does an array stand for the whole body, and no Rust type name is shown.
    let body = s
        .raw(
            "POST",
            "/reseller/tenant",
            &r.bearer(),
            "application/json",
            r#"["x", "y"]"#,
        )
        .expect_problem(422, "validation_failed");
    let detail = body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("the body must be a JSON object"),
        "{detail}"
    );
    assert!(!detail.contains("TenantIn"), "{detail}");
    let body = s
        .call("PATCH", &path, &token, Some(json!({"shippingAddress": 5})))
        .expect_problem(422, "validation_failed");
    assert_eq!(
        body["errors"][0]["message"],
        "invalid type: integer `5`, expected a JSON object"
    );
    // A key sent twice is refused rather than the last one winning.
    let twice = r#"{"shippingAddress": {"name": "A", "street": "S", "postalCode": "1", "city": "C", "country": "SE", "city": "Evil"}}"#;
    let body = s
        .raw("PATCH", &path, &token, "application/json", twice)
        .expect_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "shippingAddress.city");
    assert_eq!(body["errors"][0]["code"], "duplicate_key");
    let twice = r#"{"fullName": "A", "fullName": "B"}"#;
    let tenant = s.tenant(&r.bearer(), "dup");
    let body = s
        .raw(
            "PATCH",
            &format!("/reseller/tenant/{tenant}"),
            &r.bearer(),
            "application/json",
            twice,
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "fullName");
    // The untouched order kept its address.
    let o = s.call("GET", &path, &token, None).expect(200).json();
    assert_eq!(o["shippingAddress"]["city"], "Stockholm");
    // A connection's type is named as the JSON names it.
    let body = s
        .call(
            "POST",
            &format!("/reseller/tenant/{tenant}/connection"),
            &r.bearer(),
            Some(json!({"name": "X", "type": "Not Valid"})),
        )
        .expect_problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "type");
}
