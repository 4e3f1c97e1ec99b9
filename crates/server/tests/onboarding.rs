//! The seed's onboarding flow (create tenant → user → connection → login URL → open it),
//! replayed over HTTP against a running `tenantry serve` binary with each of the three
//! authentication schemes, and the operator's CLI around it.

mod common;

use common::process::{serve, serve_with, temp_dir, BIN};
use common::{agent, send, Auth, ResellerCreds, TestDb};
use serde_json::{json, Value};
use std::process::{Command, Output};
use std::time::Duration;

fn cli(db: &TestDb, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("TENANTRY_DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run tenantry")
}

fn cli_json(db: &TestDb, args: &[&str]) -> Value {
    let out = cli(db, args);
    assert!(
        out.status.success(),
        "tenantry {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        1,
        "one JSON object on one line: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

fn call(base: &str, method: &str, path: &str, auth: &Auth, body: Value) -> common::Response {
    let text = body.to_string();
    let body = if method == "GET" {
        None
    } else {
        Some(("application/json", text.as_str()))
    };
    send(&agent(), method, &format!("{base}{path}"), auth, body)
}

/// The seed's five steps, as a reseller runs them.
fn onboard(base: &str, auth: &Auth, reference: &str) {
    // 1. Create the tenant; save the codeName.
    let tenant = call(base, "POST", "/reseller/tenant", auth, json!({
        "customerReference": reference, "active": true, "fullName": "My Customer AB", "email": "it@mycustomer.example",
        "defaultLanguage": "swe", "languages": ["swe"], "options": []
    }))
    .expect(201)
    .json();
    let code_name = tenant["codeName"].as_str().unwrap().to_owned();
    assert!(
        code_name.starts_with(reference) && tenant["id"].is_string(),
        "{tenant}"
    );
    // 2. A tenant user, and an API user with a password for the Tenant API.
    let user = call(base, "POST", &format!("/reseller/tenant/{code_name}/user"), auth, json!({
        "login": "anna", "fullName": "Anna Svensson", "email": "anna@mycustomer.example", "permissions": ["order:read"], "defaultLanguage": "swe"
    }))
    .expect(201)
    .json();
    assert_eq!(user["login"], "anna");
    call(base, "POST", &format!("/reseller/tenant/{code_name}/user"), auth, json!({
        "login": "api", "email": "api@mycustomer.example", "permissions": ["order:read"], "password": "a long api user password"
    }))
    .expect(201);
    // 3. An API connection; save its id.
    let connection = call(
        base,
        "POST",
        &format!("/reseller/tenant/{code_name}/connection"),
        auth,
        json!({
            "active": true, "name": "API", "type": "api", "configuration": {}
        }),
    )
    .expect(201)
    .json();
    assert_eq!(
        (
            connection["type"].as_str(),
            connection["id"].as_str().map(str::len)
        ),
        (Some("api"), Some(32))
    );
    // 4. A login URL for the user.
    let link = call(
        base,
        "POST",
        &format!("/reseller/tenant/{code_name}/login/anna"),
        auth,
        json!({"path": "/"}),
    )
    .expect(201)
    .json();
    let url = link["loginUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{base}/_tokenlogin/anna/")),
        "{url}"
    );
    // 5. The user opens it: signed in, redirected to the path, once.
    let opened = send(&agent(), "GET", url, &Auth::None, None).expect(303);
    assert_eq!(opened.header("location"), Some("/"));
    let session = opened
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let cookie = Auth::Headers(vec![("Cookie".into(), session)]);
    let home = send(&agent(), "GET", &format!("{base}/"), &cookie, None).expect(303);
    assert_eq!(home.header("location"), Some("/portal"), "the portal");
    let page = send(&agent(), "GET", &format!("{base}/portal"), &cookie, None).expect(200);
    assert!(
        page.text.contains(&code_name) && page.text.contains("Anna Svensson"),
        "{}",
        page.text
    );
    assert_eq!(send(&agent(), "GET", url, &Auth::None, None).status, 410);
}

#[test]
fn the_onboarding_flow_runs_against_tenantry_serve_with_each_scheme() {
    let db = TestDb::new();
    let dir = temp_dir("onboarding");
    let server = serve(&db, &dir);
    // First run on an empty database: the sandbox reseller's credentials are in the file.
    let file = dir.join("tenantry-credentials.json");
    let first: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("credentials file written"))
            .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let creds = ResellerCreds {
        code: first["reseller"].as_str().unwrap().into(),
        login: first["login"].as_str().unwrap().into(),
        password: first["password"].as_str().unwrap().into(),
        key: first["apiKey"].as_str().unwrap().into(),
        key_id: uuid::Uuid::nil(),
        environment: tenantry_domain::Environment::Sandbox,
    };
    assert!(creds.key.starts_with("tnr_test_"));
    for (scheme, auth) in creds.schemes() {
        onboard(&server.base, &auth, &format!("customer-{scheme}"));
    }
    let list = call(
        &server.base,
        "GET",
        "/reseller/tenant",
        &creds.bearer(),
        json!(null),
    )
    .expect(200)
    .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
    drop(server);
    // A restart on the same database keeps everything and bootstraps nothing new.
    std::fs::remove_file(&file).unwrap();
    let again = serve(&db, &dir);
    assert!(
        !file.exists(),
        "no second bootstrap on a database that has a reseller"
    );
    let list = call(
        &again.base,
        "GET",
        "/reseller/tenant",
        &creds.basic(),
        json!(null),
    )
    .expect(200)
    .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 3);
}

#[test]
fn the_operator_cli_creates_resellers_users_and_keys_that_work() {
    let db = TestDb::new();
    let migrated = cli_json(&db, &["migrate", "--json"]);
    assert!(migrated["applied"].as_u64().is_some());
    let reseller = cli_json(
        &db,
        &[
            "reseller",
            "create",
            "--code",
            "acme",
            "--name",
            "Acme Partner",
            "--capability",
            "orders",
            "--json",
        ],
    );
    assert_eq!(
        (reseller["code"].as_str(), reseller["capabilities"].clone()),
        (Some("acme"), json!(["orders"]))
    );
    let duplicate = cli(
        &db,
        &["reseller", "create", "--code", "acme", "--name", "Again"],
    );
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("exists already"));
    let list = cli_json(&db, &["reseller", "list", "--json"]);
    assert_eq!(list["data"][0]["code"], "acme");
    let user = cli_json(
        &db,
        &[
            "reseller",
            "user",
            "create",
            "--reseller",
            "acme",
            "--login",
            "ops",
            "--json",
        ],
    );
    let password = user["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 12);
    let given = cli_json(
        &db,
        &[
            "reseller",
            "user",
            "create",
            "--reseller",
            "acme",
            "--login",
            "ops2",
            "--password",
            "chosen by the operator",
            "--json",
        ],
    );
    assert_eq!(given["password"], "chosen by the operator");
    let key = cli_json(
        &db,
        &[
            "reseller",
            "key",
            "create",
            "--reseller",
            "acme",
            "--environment",
            "production",
            "--json",
        ],
    );
    let secret = key["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tnr_live_"), "{secret}");
    assert!(
        !cli(&db, &["reseller", "key", "create", "--reseller", "ghost"])
            .status
            .success()
    );

    let dir = temp_dir("onboarding");
    let server = serve(&db, &dir);
    assert!(
        !dir.join("tenantry-credentials.json").exists(),
        "no bootstrap: resellers exist"
    );
    let basic = Auth::Basic {
        reseller: "acme".into(),
        login: "ops".into(),
        password,
    };
    call(&server.base, "GET", "/reseller/tenant", &basic, json!(null)).expect(200);
    call(
        &server.base,
        "GET",
        "/reseller/tenant",
        &Auth::Bearer(secret.clone()),
        json!(null),
    )
    .expect(200);
    let revoked = cli_json(
        &db,
        &[
            "reseller",
            "key",
            "revoke",
            "--reseller",
            "acme",
            "--id",
            key["id"].as_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(revoked["revoked"], key["id"]);
    call(
        &server.base,
        "GET",
        "/reseller/tenant",
        &Auth::Bearer(secret),
        json!(null),
    )
    .expect_problem(401, "unauthorized");
}

#[test]
fn the_operator_cli_sets_rate_limits_and_grants_and_removes_capabilities() {
    let db = TestDb::new();
    cli_json(
        &db,
        &[
            "reseller", "create", "--code", "acme", "--name", "Acme", "--json",
        ],
    );
    let updated = cli_json(
        &db,
        &[
            "reseller",
            "update",
            "--code",
            "acme",
            "--rate-limit",
            "600",
            "--json",
        ],
    );
    assert_eq!(updated["rateLimitPerMinute"], 600);
    let zero = cli(
        &db,
        &["reseller", "update", "--code", "acme", "--rate-limit", "0"],
    );
    assert!(!zero.status.success());
    let granted = cli_json(
        &db,
        &[
            "reseller",
            "capability",
            "add",
            "--code",
            "acme",
            "--capability",
            "video",
            "--json",
        ],
    );
    assert_eq!(granted["capabilities"], json!(["video"]));
    let bad = cli(
        &db,
        &[
            "reseller",
            "capability",
            "add",
            "--code",
            "acme",
            "--capability",
            "Not Valid",
        ],
    );
    assert!(!bad.status.success());
    let removed = cli_json(
        &db,
        &[
            "reseller",
            "capability",
            "remove",
            "--code",
            "acme",
            "--capability",
            "video",
            "--json",
        ],
    );
    assert_eq!(removed["reseller"]["capabilities"], json!([]));
    assert_eq!(removed["tenantsChanged"], json!([]));
    let again = cli(
        &db,
        &[
            "reseller",
            "capability",
            "remove",
            "--code",
            "acme",
            "--capability",
            "video",
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no capability"));
}

#[test]
fn sigterm_lets_in_flight_requests_finish_and_writes_their_audit_events() {
    let db = TestDb::new();
    cli_json(
        &db,
        &[
            "reseller", "create", "--code", "acme", "--name", "Acme", "--json",
        ],
    );
    let key = cli_json(
        &db,
        &["reseller", "key", "create", "--reseller", "acme", "--json"],
    )["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = Auth::Bearer(key);
    let dir = temp_dir("onboarding");
    let mut server = serve(&db, &dir);
    let code_names: Vec<String> = (0..6)
        .map(|i| {
            call(&server.base, "POST", "/reseller/tenant", &auth, json!({
                "customerReference": format!("c{i}"), "fullName": "C", "email": "c@x.example", "defaultLanguage": "swe"
            }))
            .expect(201)
            .json()["codeName"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let finished = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let fills: Vec<_> = code_names
            .iter()
            .map(|code_name| {
                let (base, auth, finished) = (&server.base, &auth, &finished);
                scope.spawn(move || {
                    let r = call(
                        base,
                        "POST",
                        &format!("/reseller/tenant/{code_name}/sandbox/order"),
                        auth,
                        json!({"count": 1000}),
                    );
                    finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    r.status
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150));
        let status = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert!(
            finished.load(std::sync::atomic::Ordering::SeqCst) < code_names.len(),
            "the signal must arrive while requests run"
        );
        for fill in fills {
            assert_eq!(
                fill.join().unwrap(),
                201,
                "an in-flight request was cut off"
            );
        }
    });
    let exit = server.child.wait().unwrap();
    assert!(
        exit.success(),
        "tenantry serve exits cleanly on SIGTERM: {exit:?}"
    );
    // The audit events those requests queued were written on the way out.
    let database = db.connect();
    let reseller = tenantry_server::admin::list_resellers(&database).unwrap()[0].id;
    let events = database
        .read(|conn| {
            tenantry_storage::audit::list(
                conn,
                &tenantry_storage::Owner {
                    reseller_id: reseller,
                    environment: tenantry_domain::Environment::Sandbox,
                },
                &Default::default(),
                None,
                50,
            )
        })
        .unwrap();
    let fills = events
        .rows
        .iter()
        .filter(|e| e.operation.ends_with("/sandbox/order") && e.status == 201)
        .count();
    assert_eq!(fills, code_names.len());
}

#[test]
fn the_reseller_and_tenant_surfaces_run_as_separate_processes_on_one_database() {
    let db = TestDb::new();
    let dir = temp_dir("onboarding");
    let tenant_side = serve_with(&db, &dir, &["--surface", "tenant"], &[]);
    let reseller_side = serve_with(
        &db,
        &dir,
        &["--surface", "reseller"],
        &[("TENANTRY_PUBLIC_URL", tenant_side.base.as_str())],
    );
    let first: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tenantry-credentials.json")).unwrap(),
    )
    .unwrap();
    let key = Auth::Bearer(first["apiKey"].as_str().unwrap().to_owned());
    // The reseller process provisions; the tenant process serves the tenant's data.
    let created = call(&reseller_side.base, "POST", "/reseller/tenant", &key, json!({
        "customerReference": "split", "fullName": "Split AB", "email": "s@x.example", "defaultLanguage": "swe", "withApiConnection": true
    }))
    .expect(201)
    .json();
    let code_name = created["codeName"].as_str().unwrap().to_owned();
    let token = Auth::Bearer(created["connection"]["token"].as_str().unwrap().to_owned());
    call(
        &tenant_side.base,
        "GET",
        "/tenant/order",
        &token,
        json!(null),
    )
    .expect(200);
    call(
        &reseller_side.base,
        "GET",
        "/tenant/order",
        &token,
        json!(null),
    )
    .expect_problem(404, "not_found");
    call(
        &tenant_side.base,
        "POST",
        "/reseller/tenant",
        &key,
        json!({}),
    )
    .expect_problem(404, "not_found");
    // A login URL made by the reseller process points at, and works on, the tenant process.
    call(
        &reseller_side.base,
        "POST",
        &format!("/reseller/tenant/{code_name}/user"),
        &key,
        json!({"login": "anna", "email": "a@x.example"}),
    )
    .expect(201);
    let link = call(
        &reseller_side.base,
        "POST",
        &format!("/reseller/tenant/{code_name}/login/anna"),
        &key,
        json!({"path": "/"}),
    )
    .expect(201)
    .json();
    let url = link["loginUrl"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/_tokenlogin/", tenant_side.base)),
        "{url}"
    );
    send(&agent(), "GET", url, &Auth::None, None).expect(303);
}
