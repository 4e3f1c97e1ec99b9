//! Tenant templates (XAPP's custom templates) and what `tenant.ready` carries to install: the
//! operator defines templates per reseller, a reseller lists them and names one (or a tier
//! picks one); provisioning sets up its connections and sandbox data, and a login URL when
//! asked. Jobs run through `tenant_jobs::run_due` with the test's clock.

mod common;

use common::{agent, process, send, Auth, TestServer, BOTH};
use serde_json::{json, Value};
use tenantry_domain::{time, Environment};
use tenantry_server::admin::{self, AdminError};
use tenantry_worker::tenant_jobs::run_due;

const RETAIL: &str = r#"{"name": "retail", "description": "Webshops", "options": ["orders"],
    "connections": [{"name": "Webshop", "type": "api", "configuration": {"platform": "woo"}},
                    {"name": "ERP", "type": "erp"}],
    "sandboxOrders": 4}"#;

fn ready_of(s: &TestServer, auth: &Auth, code_name: &str) -> Value {
    let events = s
        .call(
            "GET",
            &format!("/reseller/event?type=tenant.ready&tenant={code_name}"),
            auth,
            None,
        )
        .expect(200)
        .json();
    let data = events["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "one tenant.ready for {code_name}");
    data[0]["data"].clone()
}

fn create(s: &TestServer, auth: &Auth, body: Value) -> common::Response {
    let mut tenant =
        json!({"fullName": "Shop AB", "email": "it@shop.example", "defaultLanguage": "swe"});
    tenant
        .as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    s.call("POST", "/reseller/tenant", auth, Some(tenant))
}

#[test]
fn the_operator_defines_templates_and_a_reseller_lists_only_its_own() {
    let s = TestServer::start(BOTH);
    let r = s.reseller_in("acme", Environment::Sandbox, &["orders"]);
    let other = s.reseller("other");
    let listed = |auth: &Auth| {
        s.call("GET", "/reseller/template", auth, None)
            .expect(200)
            .json()
    };
    assert_eq!(listed(&r.bearer()), json!({"data": []}));

    let set = admin::set_template(&s.db, "acme", RETAIL).unwrap();
    assert_eq!(set.connections.len(), 2);
    // Setting again replaces it.
    admin::set_template(&s.db, "acme", &RETAIL.replace("Webshops", "Shops")).unwrap();
    admin::set_template(&s.db, "acme", r#"{"name": "gold"}"#).unwrap();
    let list = listed(&r.basic());
    let names: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gold", "retail"]);
    assert_eq!(list["data"][1]["description"], "Shops");
    assert_eq!(
        list["data"][1]["connections"][0],
        json!({"name": "Webshop", "type": "api", "configuration": {"platform": "woo"}})
    );
    assert_eq!(list["data"][0]["sandboxOrders"], 0);
    assert_eq!(listed(&other.api_key()), json!({"data": []}));

    // Refused: not JSON, unknown fields, an option the reseller may not grant, a bad
    // connection, an unknown reseller.
    let invalid = |reseller: &str, definition: &str| -> String {
        match admin::set_template(&s.db, reseller, definition).unwrap_err() {
            AdminError::Invalid(e) => e.to_string(),
            AdminError::NotFound(e) => format!("not found: {e}"),
            e => panic!("unexpected {e}"),
        }
    };
    assert!(invalid("acme", "{").contains("not a template"));
    assert!(invalid("acme", r#"{"name": "x", "tier": "y"}"#).contains("unknown field"));
    assert!(invalid("acme", r#"{"name": "x", "options": ["video"]}"#).contains("options[0]"));
    assert!(invalid(
        "acme",
        r#"{"name": "x", "connections": [{"name": "", "type": "api"}]}"#
    )
    .contains("connections[0].name"));
    assert!(invalid("nobody", r#"{"name": "x"}"#).starts_with("not found"));

    admin::remove_template(&s.db, "acme", "gold").unwrap();
    assert!(matches!(
        admin::remove_template(&s.db, "acme", "gold"),
        Err(AdminError::NotFound(_))
    ));
    assert_eq!(listed(&r.bearer())["data"].as_array().unwrap().len(), 1);
}

#[test]
fn provisioning_sets_up_what_the_template_says_and_a_tier_picks_its_template() {
    let s = TestServer::start(BOTH);
    let r = s.reseller_in("acme", Environment::Sandbox, &["orders", "video"]);
    let auth = r.bearer();
    admin::set_template(&s.db, "acme", RETAIL).unwrap();
    admin::set_template(
        &s.db,
        "acme",
        r#"{"name": "gold", "options": ["video"], "sandboxOrders": 2}"#,
    )
    .unwrap();

    let created = create(
        &s,
        &auth,
        json!({"customerReference": "shop", "template": "retail", "options": ["video"]}),
    )
    .expect(201)
    .json();
    // The template's options are the tenant's at once; the rest waits for provisioning.
    assert_eq!(created["options"], json!(["video", "orders"]));
    assert_eq!(created["subscription"]["template"], "retail");
    let code_name = created["codeName"].as_str().unwrap().to_owned();
    let connections =
        |code_name: &str| s.list(&format!("/reseller/tenant/{code_name}/connection"), &auth);
    assert!(connections(&code_name).is_empty());

    assert_eq!(run_due(&s.db, time::now()).unwrap(), 1);
    let ready = ready_of(&s, &auth, &code_name);
    assert_eq!(ready["sandboxOrders"], 4);
    assert!(ready.get("companyToken").is_none());
    assert!(ready.get("login").is_none());
    let made: Vec<(&str, &str)> = ready["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(made, [("Webshop", "api"), ("ERP", "erp")]);
    // They exist, active, with the template's configuration, and no token was issued.
    let listed = connections(&code_name);
    assert_eq!(listed.len(), 2);
    let webshop = listed.iter().find(|c| c["name"] == "Webshop").unwrap();
    assert_eq!(webshop["configuration"], json!({"platform": "woo"}));
    assert_eq!(webshop["active"], true);
    assert_eq!(webshop["id"], ready["connections"][0]["id"]);
    let id = webshop["id"].as_str().unwrap();
    let tokens = s
        .call(
            "POST",
            &format!("/reseller/tenant/{code_name}/connection/{id}/token"),
            &auth,
            Some(json!({})),
        )
        .expect(201)
        .json();
    let token = Auth::Bearer(tokens["token"].as_str().unwrap().to_owned());
    let orders = s
        .call("GET", "/tenant/order", &token, None)
        .expect(200)
        .json();
    assert_eq!(orders["data"].as_array().unwrap().len(), 4);

    // No template named: the one named after the tier applies, and says so.
    let gold = create(
        &s,
        &auth,
        json!({"customerReference": "golden", "tier": "gold"}),
    )
    .expect(201)
    .json();
    assert_eq!(gold["options"], json!(["video"]));
    assert_eq!(gold["subscription"]["template"], "gold");
    // A tier without a template of its name is just a tier.
    let silver = create(
        &s,
        &auth,
        json!({"customerReference": "silver", "tier": "silver"}),
    )
    .expect(201)
    .json();
    assert_eq!(silver["subscription"]["template"], Value::Null);
    assert_eq!(run_due(&s.db, time::now()).unwrap(), 2);
    assert_eq!(
        ready_of(&s, &auth, gold["codeName"].as_str().unwrap())["sandboxOrders"],
        2
    );
    // What the request asks for wins over the template's sandbox orders.
    let asked = create(
        &s,
        &auth,
        json!({"customerReference": "asked", "template": "retail", "install": {"sandboxOrders": 1}}),
    )
    .expect(201)
    .json();
    run_due(&s.db, time::now()).unwrap();
    assert_eq!(
        ready_of(&s, &auth, asked["codeName"].as_str().unwrap())["sandboxOrders"],
        1
    );

    // An unknown template is refused, naming the ones there are; nothing is created.
    let p = create(
        &s,
        &auth,
        json!({"customerReference": "typo", "template": "retial"}),
    )
    .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "template");
    assert_eq!(p["errors"][0]["code"], "unknown_template");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("gold, retail"),
        "{p}"
    );
    let typo = s
        .call(
            "GET",
            "/reseller/tenant?customerReference=typo",
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(typo["data"], json!([]));
    // A template granting what the reseller lost is refused until the operator mends it.
    admin::remove_capability(&s.db, "acme", "video").unwrap();
    let p = create(
        &s,
        &auth,
        json!({"customerReference": "lost", "tier": "gold"}),
    )
    .expect_problem(422, "validation_failed");
    assert_eq!(
        (&p["errors"][0]["field"], &p["errors"][0]["code"]),
        (&json!("template"), &json!("capability_not_granted"))
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("template `gold`: `video`"),
        "{p}"
    );
    // Another reseller's templates are not this one's.
    let other = s.reseller("other");
    create(
        &s,
        &other.bearer(),
        json!({"customerReference": "shop", "template": "retail"}),
    )
    .expect_problem(422, "validation_failed");
    // A production tenant gets the template's connections but no fake orders.
    let live = s.credentials("acme", Environment::Production).bearer();
    let prod = create(
        &s,
        &live,
        json!({"customerReference": "prod", "template": "retail"}),
    )
    .expect(201)
    .json();
    run_due(&s.db, time::now()).unwrap();
    let ready = ready_of(&s, &live, prod["codeName"].as_str().unwrap());
    assert_eq!(ready["sandboxOrders"], 0);
    assert_eq!(ready["connections"].as_array().unwrap().len(), 2);
}

#[test]
fn tenant_ready_carries_a_one_time_login_url_for_a_new_or_existing_user() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let auth = r.bearer();
    let created = create(
        &s,
        &auth,
        json!({"customerReference": "login", "install": {"companyToken": true, "loginUrl": {"login": "owner", "path": "/orders"}}}),
    )
    .expect(201)
    .json();
    let code_name = created["codeName"].as_str().unwrap().to_owned();
    run_due(&s.db, time::now()).unwrap();
    let ready = ready_of(&s, &auth, &code_name);
    let login = &ready["login"];
    assert_eq!(login["login"], "owner");
    assert_eq!(login["path"], "/orders");
    assert!(login["expires"].is_string());
    assert!(ready["companyToken"]
        .as_str()
        .unwrap()
        .starts_with("tnt_test_"));
    assert_eq!(ready["connections"][0]["name"], "API");
    assert!(
        ready["connections"][0].get("token").is_none(),
        "the token is shown once, as companyToken"
    );
    let url = login["loginUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/_tokenlogin/owner/", s.base)),
        "{url}"
    );
    // The user was made the tenant's admin, from the tenant's details, and announced.
    let user = s
        .call(
            "GET",
            &format!("/reseller/tenant/{code_name}/user/owner"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        (
            &user["role"],
            &user["fullName"],
            &user["email"],
            &user["defaultLanguage"]
        ),
        (
            &json!("admin"),
            &json!("Shop AB"),
            &json!("it@shop.example"),
            &json!("swe")
        )
    );
    let user_events = s
        .call(
            "GET",
            &format!("/reseller/event?type=user.created&tenant={code_name}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(user_events["data"][0]["data"]["login"], "owner");
    // It signs the user in once.
    let open = || send(&agent(), "GET", url, &Auth::None, None);
    let first = open().expect(303);
    assert_eq!(first.header("location"), Some("/orders"));
    assert_eq!(open().status, 410);
    // The analytics count it as created and used.
    let figures = s
        .call(
            "GET",
            &format!("/reseller/analytics?tenant={code_name}"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(
        figures["totals"]["loginUrls"],
        json!({"created": 1, "used": 1})
    );

    // A user the reseller made first is used as it is (a sandbox test: it exists before
    // provisioning runs).
    let second = create(
        &s,
        &auth,
        json!({"customerReference": "existing", "install": {"loginUrl": {"login": "anna"}}}),
    )
    .expect(201)
    .json();
    let second = second["codeName"].as_str().unwrap().to_owned();
    s.call(
        "POST",
        &format!("/reseller/tenant/{second}/user"),
        &auth,
        Some(json!({"login": "anna", "email": "anna@shop.example", "role": "viewer"})),
    )
    .expect(201);
    run_due(&s.db, time::now()).unwrap();
    let ready = ready_of(&s, &auth, &second);
    assert_eq!(ready["login"]["path"], "/");
    let anna = s
        .call(
            "GET",
            &format!("/reseller/tenant/{second}/user/anna"),
            &auth,
            None,
        )
        .expect(200)
        .json();
    assert_eq!(anna["role"], "viewer");

    // A bad login or path is refused with the request, naming the field.
    for (install, field) in [
        (
            json!({"loginUrl": {"login": "a b"}}),
            "install.loginUrl.login",
        ),
        (
            json!({"loginUrl": {"login": "ok", "path": "https://evil.example/"}}),
            "install.loginUrl.path",
        ),
    ] {
        let p = create(
            &s,
            &auth,
            json!({"customerReference": "bad", "install": install}),
        )
        .expect_problem(422, "validation_failed");
        assert_eq!(p["errors"][0]["field"], field);
    }
    // An unknown field is named too.
    let p = create(
        &s,
        &auth,
        json!({"customerReference": "bad", "install": {"loginUrl": {"login": "x", "user": "x"}}}),
    )
    .expect_problem(422, "validation_failed");
    assert_eq!(p["errors"][0]["field"], "install.loginUrl.user");
}

#[test]
fn the_cli_sets_lists_and_removes_templates() {
    let db = common::TestDb::new();
    let dir = process::temp_dir("template-cli");
    let file = dir.join("retail.json");
    std::fs::write(&file, RETAIL).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(process::BIN)
            .args(args)
            .arg("--json")
            .env("TENANTRY_DATABASE_URL", &db.url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&[
        "reseller",
        "create",
        "--code",
        "acme",
        "--name",
        "Acme",
        "--capability",
        "orders",
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&[
        "reseller",
        "template",
        "set",
        "--code",
        "acme",
        "--file",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let set: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(set["name"], "retail");
    let (ok, out, _) = run(&["reseller", "template", "list", "--code", "acme"]);
    assert!(ok);
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["data"][0]["sandboxOrders"], 4);
    let (ok, _, err) = run(&[
        "reseller",
        "template",
        "set",
        "--code",
        "acme",
        "--file",
        "/nonexistent.json",
    ]);
    assert!(!ok);
    assert!(err.contains("cannot read /nonexistent.json"), "{err}");
    let (ok, _, _) = run(&[
        "reseller", "template", "remove", "--code", "acme", "--name", "retail",
    ]);
    assert!(ok);
    let (ok, _, err) = run(&[
        "reseller", "template", "remove", "--code", "acme", "--name", "retail",
    ]);
    assert!(!ok);
    assert!(err.contains("no template `retail`"), "{err}");
}
