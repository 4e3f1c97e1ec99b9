//! Usage analytics: the figures of `GET /reseller/analytics` equal the requests a test made
//! (by operation and status class, unique users and connections, login URLs created and used,
//! orders and their value per currency), per tenant and in total, within one reseller's
//! environment; and ranges of days sum the daily counters they cover and nothing else.

mod common;

use chrono::{Duration, NaiveDate, Utc};
use common::{agent, send, Auth, ResellerCreds, TestServer, BOTH};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tenantry_domain::usage::{
    CounterKey, DayRange, Metric, StatusClass, Subject, SubjectKind, Tally, UsageScope,
};
use tenantry_domain::Environment;
use tenantry_storage::usage::{self, Breakdown};
use tenantry_storage::Owner;

const PASSWORD: &str = "a long api user password";

fn analytics(s: &TestServer, r: &ResellerCreds, query: &str) -> Value {
    s.call(
        "GET",
        &format!("/reseller/analytics{query}"),
        &r.bearer(),
        None,
    )
    .expect(200)
    .json()
}

fn order(number: &str, currency: &str) -> Value {
    json!({"number": number, "currency": currency, "rows": [
        {"sku": "MUG", "name": "Mug", "quantity": 3, "unitPrice": "19.99", "vatRate": "25"},
        {"sku": "BOOK", "name": "Book", "quantity": 1, "unitPrice": "0.10", "vatRate": "12"}
    ]})
}

/// What the test expects, counted as it makes its requests.
#[derive(Default)]
struct Expected {
    /// operation → status class → requests.
    requests: BTreeMap<String, BTreeMap<String, i64>>,
}

impl Expected {
    fn add(&mut self, operation: &str, status: u16) {
        let class = format!("{}xx", status / 100);
        *self
            .requests
            .entry(operation.to_owned())
            .or_default()
            .entry(class)
            .or_default() += 1;
    }

    fn merged(parts: &[&Expected]) -> Expected {
        let mut all = Expected::default();
        for part in parts {
            for (operation, classes) in &part.requests {
                for (class, n) in classes {
                    *all.requests
                        .entry(operation.clone())
                        .or_default()
                        .entry(class.clone())
                        .or_default() += n;
                }
            }
        }
        all
    }

    /// Asserts `figures.requests` holds exactly these counts.
    fn check(&self, figures: &Value, what: &str) {
        let mut by_class: BTreeMap<String, i64> = BTreeMap::new();
        let mut by_operation: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for op in figures["requests"]["byOperation"].as_array().unwrap() {
            let classes: BTreeMap<String, i64> =
                serde_json::from_value(op["byStatusClass"].clone()).unwrap();
            assert_eq!(
                op["total"].as_i64().unwrap(),
                classes.values().sum::<i64>(),
                "{what}: {op}"
            );
            by_operation.insert(op["operation"].as_str().unwrap().to_owned(), classes);
        }
        for classes in self.requests.values() {
            for (class, n) in classes {
                *by_class.entry(class.clone()).or_default() += n;
            }
        }
        assert_eq!(by_operation, self.requests, "{what}: requests by operation");
        let shown: BTreeMap<String, i64> =
            serde_json::from_value(figures["requests"]["byStatusClass"].clone()).unwrap();
        assert_eq!(shown, by_class, "{what}: requests by status class");
        assert_eq!(
            figures["requests"]["total"].as_i64().unwrap(),
            by_class.values().sum::<i64>(),
            "{what}: requests in total"
        );
    }
}

/// Makes a request of `operation` (its method, then its route) on `path` and counts it in
/// `expected`.
fn counted(
    s: &TestServer,
    expected: &mut Expected,
    operation: &str,
    path: &str,
    auth: &Auth,
    body: Option<Value>,
    status: u16,
) -> Value {
    let method = operation.split(' ').next().unwrap();
    let r = s.call(method, path, auth, body);
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    expected.add(operation, status);
    if r.text.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

#[test]
fn figures_equal_the_requests_made() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let other = s.reseller("other");
    let (mut a, mut b, mut reseller_level) = (
        Expected::default(),
        Expected::default(),
        Expected::default(),
    );

    // Tenant A with an API connection and an API user with a password.
    let body = json!({"customerReference": "shop", "fullName": "Shop AB", "email": "s@x.example", "defaultLanguage": "swe", "withApiConnection": true});
    let created = counted(
        &s,
        &mut a,
        "POST /reseller/tenant",
        "/reseller/tenant",
        &r.bearer(),
        Some(body),
        201,
    );
    let ta = created["codeName"].as_str().unwrap().to_owned();
    let connection = created["connection"]["id"].as_str().unwrap().to_owned();
    let token = Auth::Bearer(created["connection"]["token"].as_str().unwrap().to_owned());
    counted(
        &s,
        &mut a,
        "POST /reseller/tenant/{codeName}/user",
        &format!("/reseller/tenant/{ta}/user"),
        &r.bearer(),
        Some(
            json!({"login": "api", "email": "api@x.example", "role": "manager", "password": PASSWORD}),
        ),
        201,
    );
    // A refused body counts as a 4xx of its operation.
    counted(
        &s,
        &mut a,
        "PATCH /reseller/tenant/{codeName}",
        &format!("/reseller/tenant/{ta}"),
        &r.basic(),
        Some(json!({"email": "not an email"})),
        422,
    );

    // Tenant B, with a user who gets two login URLs and uses one.
    let body = json!({"customerReference": "cafe", "fullName": "Cafe AB", "email": "c@x.example", "defaultLanguage": "swe"});
    let tb = counted(
        &s,
        &mut b,
        "POST /reseller/tenant",
        "/reseller/tenant",
        &r.api_key(),
        Some(body),
        201,
    )["codeName"]
        .as_str()
        .unwrap()
        .to_owned();
    counted(
        &s,
        &mut b,
        "POST /reseller/tenant/{codeName}/user",
        &format!("/reseller/tenant/{tb}/user"),
        &r.bearer(),
        Some(json!({"login": "anna", "email": "anna@x.example"})),
        201,
    );
    let mut links = Vec::new();
    for _ in 0..2 {
        let link = counted(
            &s,
            &mut b,
            "POST /reseller/tenant/{codeName}/login/{login}",
            &format!("/reseller/tenant/{tb}/login/anna"),
            &r.bearer(),
            Some(json!({"path": "/"})),
            201,
        );
        links.push(link["loginUrl"].as_str().unwrap().to_owned());
    }
    let signed_in = send(&agent(), "GET", &links[0], &Auth::None, None);
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    // A link used twice is used once.
    assert_eq!(
        send(&agent(), "GET", &links[0], &Auth::None, None).status,
        410
    );

    // Tenant API calls on A: a company token, the Sharespine user scheme, the reseller acting
    // for the tenant (no tenant user or connection).
    let sharespine = Auth::Headers(vec![
        ("X-Tenant".into(), ta.clone()),
        ("X-ConnectionId".into(), connection.clone()),
        (
            "Authorization".into(),
            format!("Basic {}", base64_of(&format!("api:{PASSWORD}"))),
        ),
    ]);
    let tenant_id = created["id"].as_str().unwrap();
    let for_tenant = Auth::Headers(vec![
        ("Authorization".into(), format!("Bearer {}", r.key)),
        ("X-Tenant-ID".into(), tenant_id.to_owned()),
    ]);
    for auth in [
        &token,
        &token,
        &token,
        &sharespine,
        &sharespine,
        &for_tenant,
    ] {
        counted(
            &s,
            &mut a,
            "GET /tenant/order",
            "/tenant/order",
            auth,
            None,
            200,
        );
    }
    let mut gross_sek = 0_i64;
    for (number, currency, auth) in [
        ("1", "SEK", &token),
        ("2", "SEK", &sharespine),
        ("3", "EUR", &token),
    ] {
        let placed = counted(
            &s,
            &mut a,
            "POST /tenant/order",
            "/tenant/order",
            auth,
            Some(order(number, currency)),
            201,
        );
        let gross = placed["totals"]["gross"].as_str().unwrap().replace('.', "");
        if currency == "SEK" {
            gross_sek += gross.parse::<i64>().unwrap();
        }
    }
    counted(
        &s,
        &mut a,
        "POST /tenant/order",
        "/tenant/order",
        &token,
        Some(json!({"number": "x"})),
        422,
    );
    counted(
        &s,
        &mut a,
        "GET /tenant/order/{id}",
        &format!("/tenant/order/{}", uuid::Uuid::new_v4()),
        &token,
        None,
        404,
    );

    // About no tenant: in the totals only. A 404 about an unknown codeName mints no tenant.
    counted(
        &s,
        &mut reseller_level,
        "GET /reseller/tenant",
        "/reseller/tenant",
        &r.bearer(),
        None,
        200,
    );
    counted(
        &s,
        &mut reseller_level,
        "GET /reseller/tenant/{codeName}",
        "/reseller/tenant/made-up",
        &r.bearer(),
        None,
        404,
    );
    // Refused credentials name no one: not counted.
    s.call(
        "GET",
        "/tenant/order",
        &Auth::Bearer("tnt_wrong".into()),
        None,
    )
    .expect(401);
    s.call(
        "GET",
        "/reseller/tenant",
        &Auth::Bearer("wrong".into()),
        None,
    )
    .expect(401);
    // Another reseller's usage is its own.
    s.tenant(&other.bearer(), "elsewhere");

    let shown = analytics(&s, &r, "");
    let today = Utc::now().date_naive();
    assert_eq!(shown["endDate"], today.to_string());
    assert_eq!(shown["startDate"], (today - Duration::days(29)).to_string());
    assert_eq!(shown["environment"], "sandbox");
    let tenants = shown["tenants"].as_array().unwrap();
    let names: Vec<&str> = tenants
        .iter()
        .map(|t| t["codeName"].as_str().unwrap())
        .collect();
    let mut sorted = vec![ta.as_str(), tb.as_str()];
    sorted.sort();
    assert_eq!(names, sorted, "the tenants with usage, by codeName");
    let fig_a = tenants
        .iter()
        .find(|t| t["codeName"] == ta.as_str())
        .unwrap();
    let fig_b = tenants
        .iter()
        .find(|t| t["codeName"] == tb.as_str())
        .unwrap();
    a.check(fig_a, "tenant A");
    b.check(fig_b, "tenant B");
    Expected::merged(&[&a, &b, &reseller_level]).check(&shown["totals"], "totals");

    assert_eq!(
        (
            fig_a["uniqueUsers"].as_i64(),
            fig_a["uniqueConnections"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            fig_b["uniqueUsers"].as_i64(),
            fig_b["uniqueConnections"].as_i64()
        ),
        (Some(0), Some(0))
    );
    assert_eq!(fig_a["orders"]["created"], 3);
    let sek = format!("{}.{:02}", gross_sek / 100, gross_sek % 100);
    assert_eq!(
        fig_a["orders"]["byCurrency"],
        json!([{"currency": "EUR", "count": 1, "gross": "75.07"}, {"currency": "SEK", "count": 2, "gross": sek}])
    );
    assert_eq!(sek, "150.14", "two orders of 75.07");
    assert_eq!(fig_b["loginUrls"], json!({"created": 2, "used": 1}));
    assert_eq!(fig_a["loginUrls"], json!({"created": 0, "used": 0}));
    assert_eq!(
        shown["totals"]["loginUrls"],
        json!({"created": 2, "used": 1})
    );
    assert_eq!(shown["totals"]["uniqueUsers"], 1);
    assert_eq!(shown["totals"]["uniqueConnections"], 1);
    assert_eq!(shown["totals"]["orders"]["created"], 3);

    // The analytics request itself is metered too, at reseller level.
    let again = analytics(&s, &r, "");
    reseller_level.add("GET /reseller/analytics", 200);
    Expected::merged(&[&a, &b, &reseller_level]).check(&again["totals"], "totals, again");

    // The other reseller sees only its own tenant and request.
    let theirs = analytics(&s, &other, "");
    assert_eq!(theirs["tenants"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["totals"]["requests"]["total"], 1);
    assert_eq!(theirs["totals"]["orders"]["created"], 0);

    // One tenant: its figures are the totals, and the only row.
    let only_a = analytics(&s, &r, &format!("?tenant={ta}"));
    a.check(&only_a["totals"], "tenant A as totals");
    assert_eq!(only_a["tenants"].as_array().unwrap().len(), 1);
    a.check(&only_a["tenants"][0], "tenant A alone");
    assert_eq!(only_a["hasMore"], false);

    // Paged by codeName.
    let first = analytics(&s, &r, "?limit=1");
    assert_eq!(first["hasMore"], true);
    assert_eq!(first["tenants"][0]["codeName"], sorted[0]);
    let cursor = first["nextCursor"].as_str().unwrap();
    let second = analytics(&s, &r, &format!("?limit=1&cursor={cursor}"));
    assert_eq!(second["tenants"][0]["codeName"], sorted[1]);
    assert_eq!(second["hasMore"], false);
    assert_eq!(second["nextCursor"], Value::Null);

    // A range without today has nothing.
    let yesterday = today - Duration::days(1);
    let past = analytics(
        &s,
        &r,
        &format!(
            "?startDate={}&endDate={yesterday}",
            yesterday - Duration::days(365)
        ),
    );
    assert_eq!(past["totals"]["requests"]["total"], 0);
    assert_eq!(past["tenants"], json!([]));
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn bad_ranges_cursors_and_foreign_tenants_are_refused() {
    let s = TestServer::start(BOTH);
    let r = s.reseller("acme");
    let other = s.reseller("other");
    let theirs = s.tenant(&other.bearer(), "theirs");
    let get = |query: &str| {
        s.call(
            "GET",
            &format!("/reseller/analytics{query}"),
            &r.bearer(),
            None,
        )
    };
    get(&format!("?tenant={theirs}")).expect_problem(404, "not_found");
    get("?tenant=made-up").expect_problem(404, "not_found");
    // My production credentials do not see my sandbox tenant either.
    let mine = s.tenant(&r.bearer(), "mine");
    let live = s.credentials("acme", Environment::Production);
    s.call(
        "GET",
        &format!("/reseller/analytics?tenant={mine}"),
        &live.bearer(),
        None,
    )
    .expect_problem(404, "not_found");
    let reversed = get("?startDate=2026-02-01&endDate=2026-01-31")
        .expect(422)
        .json();
    assert_eq!(reversed["errors"][0]["field"], "endDate", "{reversed}");
    let long = get("?startDate=2025-01-01&endDate=2026-01-02")
        .expect(422)
        .json();
    assert_eq!(long["errors"][0]["code"], "range_too_long", "{long}");
    get("?startDate=2026-02-30").expect(400);
    get("?startDate=yesterday").expect(400);
    get("?cursor=not-a-cursor!").expect(400);
    get("?limit=0").expect(400);
    get("?days=7").expect(400);
    // A key without analytics:read is refused.
    let tenant_only = tenantry_server::admin::create_key(
        &s.db,
        "acme",
        "tenants",
        Environment::Sandbox,
        &["tenant:read".to_owned()],
    )
    .unwrap();
    s.call(
        "GET",
        "/reseller/analytics",
        &Auth::Bearer(tenant_only.key),
        None,
    )
    .expect_problem(403, "missing_scope");
    // A full year is fine.
    get("?startDate=2024-01-01&endDate=2024-12-31").expect(200);
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn ranges_sum_the_days_they_cover_and_count_each_user_once() {
    let s = TestServer::start(BOTH);
    s.reseller("acme");
    let reseller =
        s.db.read(|conn| tenantry_storage::reseller::find_by_code(conn, "acme"))
            .unwrap();
    let scope_of = |d: &str, tenant: &str| UsageScope {
        reseller_id: reseller.id,
        environment: Environment::Sandbox,
        day: day(d),
        tenant: Some(tenant.to_owned()),
    };
    let get = |d: &str, tenant: &str, n: i64| {
        (
            CounterKey {
                scope: scope_of(d, tenant),
                metric: Metric::Requests(StatusClass::Success),
                dimension: "GET /tenant/order".into(),
            },
            Tally {
                count: n,
                amount: 0,
            },
        )
    };
    let anna = |d: &str, tenant: &str| Subject {
        scope: scope_of(d, tenant),
        kind: SubjectKind::User,
        id: "anna".into(),
    };
    // A year of days for tenant a, one request on each, and anna on three of them; b on two.
    let mut counters = Vec::new();
    let mut first = day("2025-01-01");
    while first <= day("2025-12-31") {
        counters.push(get(&first.to_string(), "a", 1));
        first += Duration::days(1);
    }
    counters.push(get("2025-03-01", "b", 5));
    counters.push(get("2025-03-02", "b", 7));
    let seen = vec![
        anna("2025-03-01", "a"),
        anna("2025-03-02", "a"),
        anna("2025-03-03", "a"),
        anna("2025-03-01", "b"),
    ];
    s.db.write(|conn| usage::add(conn, &counters, &seen))
        .unwrap();
    // Adding again adds, and a subject seen again stays one.
    s.db.write(|conn| usage::add(conn, &[get("2025-03-02", "b", 1)], &seen[..1]))
        .unwrap();

    let owner = Owner {
        reseller_id: reseller.id,
        environment: Environment::Sandbox,
    };
    let sum = |start: &str, end: &str, breakdown: Breakdown<'_>| {
        let range = DayRange::new(day(start), day(end)).unwrap();
        s.db.read(|conn| usage::sums(conn, &owner, range, breakdown))
            .unwrap()
    };
    let total = |start: &str, end: &str| -> i64 {
        sum(start, end, Breakdown::Total { tenant: None })
            .iter()
            .map(|c| c.tally.count)
            .sum()
    };
    assert_eq!(total("2025-01-01", "2025-12-31"), 365 + 13);
    assert_eq!(total("2025-03-02", "2025-03-02"), 1 + 8);
    assert_eq!(total("2025-02-27", "2025-03-01"), 3 + 5);
    assert_eq!(total("2024-01-01", "2024-12-31"), 0);
    // Ragged ends and whole months between them: 17 + 28 + 31 + 10 days of a, and b's March.
    assert_eq!(total("2025-01-15", "2025-04-10"), 86 + 13);
    assert_eq!(total("2025-03-02", "2025-04-30"), 30 + 30 + 8);
    let per_tenant = sum(
        "2025-03-01",
        "2025-03-31",
        Breakdown::PerTenant(&["a".to_owned(), "b".to_owned()]),
    );
    let of = |t: &str| {
        per_tenant
            .iter()
            .find(|c| c.tenant.as_deref() == Some(t))
            .unwrap()
            .tally
            .count
    };
    assert_eq!((of("a"), of("b")), (31, 13));
    let only_b = sum(
        "2025-01-01",
        "2025-12-31",
        Breakdown::Total { tenant: Some("b") },
    );
    assert_eq!(only_b.iter().map(|c| c.tally.count).sum::<i64>(), 13);

    let users = |start: &str, end: &str, breakdown: Breakdown<'_>| {
        let range = DayRange::new(day(start), day(end)).unwrap();
        s.db.read(|conn| usage::uniques(conn, &owner, range, breakdown))
            .unwrap()
    };
    // anna used both tenants: one user in total, one in each.
    let all = users(
        "2025-01-01",
        "2025-12-31",
        Breakdown::Total { tenant: None },
    );
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].kind, all[0].count), (SubjectKind::User, 1));
    // Seen on three days of one month, counted once over a range of a whole month and days.
    let a_only = users(
        "2025-02-20",
        "2025-03-31",
        Breakdown::Total { tenant: Some("a") },
    );
    assert_eq!(a_only[0].count, 1, "{a_only:?}");
    let each = users(
        "2025-03-02",
        "2025-03-31",
        Breakdown::PerTenant(&["a".to_owned(), "b".to_owned()]),
    );
    assert_eq!(each.len(), 1, "b's user was seen on March 1 only: {each:?}");
    assert_eq!(each[0].tenant.as_deref(), Some("a"));

    let page = |after: Option<&str>| {
        let range = DayRange::new(day("2025-01-01"), day("2025-12-31")).unwrap();
        s.db.read(|conn| usage::tenants(conn, &owner, range, after, 1))
            .unwrap()
    };
    let first_page = page(None);
    assert_eq!(
        (first_page.rows.clone(), first_page.has_more),
        (vec!["a".to_owned()], true)
    );
    let second_page = page(Some("a"));
    assert_eq!(
        (second_page.rows, second_page.has_more),
        (vec!["b".to_owned()], false)
    );
}
