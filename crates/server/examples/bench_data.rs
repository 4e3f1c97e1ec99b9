//! Benchmark helper for `cargo xtask bench` (not part of the server):
//!
//! - `seed URL TENANTS ORDERS OUT`: bulk-loads TENANTS tenants with ORDERS orders each, each tenant
//!   with an API connection and a tenant token; writes one JSON line per tenant to OUT.
//! - `direct URL TENANTS_FILE CLIENTS SECONDS`: runs the order-sync page's query
//!   (`storage::order::list`, limit 50 at a random position) from CLIENTS threads straight against
//!   the database, no HTTP, and prints `{"perSecond", "p50Ms", "p99Ms"}`.
//! - `login URL TENANT_ID`: gives the tenant an admin user `bench-admin` (once) and prints the
//!   path of a fresh login URL for it, through the same use cases as the Reseller API, so the
//!   portal's pages can be loaded with a session.
//! - `usage URL TENANTS DAYS`: writes DAYS days of usage counters (eight per tenant and day:
//!   five operations, a 4xx, orders, login URLs) and two subjects per tenant and day for the
//!   `bench` reseller's sandbox tenants `bench-0…`, which it creates, through
//!   `storage::usage::add`, one transaction per day.

use serde_json::json;

/// The same allocator as the server, so the direct baseline is measured like for like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};
use tenantry_auth::token::{self, TokenKind};
use tenantry_domain::connection::Connection;
use tenantry_domain::money::Currency;
use tenantry_domain::order::{price_rows, Order, OrderStatus};
use tenantry_domain::tenant::{Tenant, TenantStatus};
use tenantry_domain::{sandbox, time, Environment};
use tenantry_storage::{
    connection, order, tenant, tenant_token, Database, PoolOptions, StorageError,
};
use uuid::Uuid;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("seed") => seed(&args[1], args[2].parse().unwrap(), args[3].parse().unwrap(), &args[4]),
        Some("direct") => direct(&args[1], &args[2], args[3].parse().unwrap(), args[4].parse().unwrap()),
        Some("usage") => usage(&args[1], args[2].parse().unwrap(), args[3].parse().unwrap()),
        Some("login") => login(&args[1], &args[2]),
        _ => eprintln!("usage: bench_data seed URL TENANTS ORDERS OUT | direct URL TENANTS_FILE CLIENTS SECONDS | usage URL TENANTS DAYS | login URL TENANT_ID"),
    }
}

fn seed(url: &str, tenants: usize, orders: i64, out: &str) {
    let db = Database::connect(
        url,
        PoolOptions {
            max_size: 2,
            ..Default::default()
        },
    )
    .expect("connect");
    db.migrate().expect("migrate");
    tenantry_server::admin::create_reseller(&db, "bench", "Bench", "", vec![]).expect("reseller");
    // The load measures throughput; the limiter still runs, at a rate it never reaches.
    let reseller = tenantry_server::admin::update_reseller(&db, "bench", Some(1_000_000), None)
        .expect("rate limit");
    let sek = Currency::from_code("SEK").unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).expect("out file"));
    let started = Instant::now();
    for i in 0..tenants {
        let now = time::now();
        let t = bench_tenant(reseller.id, i, now);
        let secret = db
            .write(|conn| {
                tenant::insert(conn, &t)?;
                let c = Connection {
                    tenant_id: t.id,
                    id: tenantry_domain::connection::new_id(),
                    name: "API".into(),
                    kind: "api".into(),
                    active: true,
                    configuration: Default::default(),
                    created_at: now,
                    updated_at: now,
                };
                connection::insert(conn, &c)?;
                let new = token::generate(TokenKind::TenantToken, Environment::Sandbox);
                tenant_token::insert(
                    conn,
                    t.id,
                    &c.id,
                    &new.stored.hash,
                    &new.stored.hint,
                    None,
                    now,
                )?;
                let last = tenant::reserve_sequences(conn, t.id, orders)?;
                let generated = sandbox::orders(i as u64, 1, orders as u64);
                let batch: Vec<Order> = generated
                    .into_iter()
                    .enumerate()
                    .map(|(n, g)| {
                        let (rows, totals) =
                            price_rows(sek, &g.rows).expect("valid generated rows");
                        Order {
                            tenant_id: t.id,
                            id: Uuid::new_v4(),
                            number: g.number,
                            status: OrderStatus::New,
                            currency: sek,
                            customer: g.customer,
                            billing_address: g.address.clone(),
                            shipping_address: g.address,
                            rows,
                            totals,
                            metadata: Default::default(),
                            created_at: now,
                            updated_at: now,
                            sequence: last - orders + 1 + n as i64,
                        }
                    })
                    .collect();
                order::insert_many(conn, &batch)?;
                Ok::<_, StorageError>(new.secret)
            })
            .expect("seed a tenant");
        writeln!(
            file,
            "{}",
            json!({"id": t.id, "codeName": t.code_name, "token": secret, "orders": orders})
        )
        .unwrap();
        if i % 100 == 99 {
            eprintln!("  seeded {} tenants in {:.0?}", i + 1, started.elapsed());
        }
    }
}

/// The sandbox tenant `bench-{i}` of the bench reseller.
fn bench_tenant(reseller_id: Uuid, i: usize, now: chrono::DateTime<chrono::Utc>) -> Tenant {
    Tenant {
        id: Uuid::new_v4(),
        reseller_id,
        code_name: format!("bench-{i}"),
        customer_reference: format!("bench-{i}"),
        environment: Environment::Sandbox,
        status: TenantStatus::Active,
        full_name: format!("Bench {i}"),
        email: "bench@example.com".into(),
        default_language: "swe".into(),
        languages: vec!["swe".into()],
        options: vec![],
        created_at: now,
        updated_at: now,
        subscription: Default::default(),
        cancellation_effective_at: None,
    }
}

fn direct(url: &str, tenants_file: &str, clients: usize, seconds: u64) {
    let tenants: Vec<(Uuid, i64)> =
        std::io::BufReader::new(std::fs::File::open(tenants_file).unwrap())
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(&l.unwrap()).unwrap();
                (
                    v["id"].as_str().unwrap().parse().unwrap(),
                    v["orders"].as_i64().unwrap(),
                )
            })
            .collect();
    let db = Database::connect(
        url,
        PoolOptions {
            max_size: clients as u32,
            ..Default::default()
        },
    )
    .expect("connect");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let (db, tenants, stop) = (&db, &tenants, &stop);
                scope.spawn(move || {
                    let mut state = 0x2545_F491_4F6C_DD1D_u64 ^ (c as u64 + 1);
                    let mut next = || {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state
                    };
                    let mut out = Vec::new();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let (id, orders) = tenants[(next() % tenants.len() as u64) as usize];
                        let after = (next() % (orders - 50).max(1) as u64) as i64;
                        let t = Instant::now();
                        let page = db
                            .read(|conn| order::list(conn, id, after, &Default::default(), 50))
                            .expect("page");
                        assert!(!page.rows.is_empty());
                        out.push(t.elapsed());
                    }
                    out
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    println!(
        "{}",
        json!({"perSecond": latencies.len() as f64 / elapsed, "p50Ms": pct(0.5), "p99Ms": pct(0.99)})
    );
}

fn usage(url: &str, tenants: usize, days: i64) {
    use tenantry_domain::usage::{
        CounterKey, Metric, StatusClass, Subject, SubjectKind, Tally, UsageScope,
    };
    let db = Database::connect(url, PoolOptions::default()).expect("connect");
    let reseller = db
        .read(|conn| tenantry_storage::reseller::find_by_code(conn, "bench"))
        .expect("the bench reseller");
    let now = time::now();
    db.write(|conn| {
        (0..tenants).try_for_each(|t| tenant::insert(conn, &bench_tenant(reseller.id, t, now)))
    })
    .expect("the tenants");
    let today = now.date_naive();
    let operations = [
        "GET /tenant/order",
        "POST /tenant/order",
        "GET /tenant/product",
        "PATCH /tenant/order/{id}",
        "GET /tenant",
    ];
    let started = Instant::now();
    for d in 0..days {
        let day = today - chrono::Duration::days(d);
        let mut counters = Vec::new();
        let mut seen = Vec::new();
        for t in 0..tenants {
            let scope = UsageScope {
                reseller_id: reseller.id,
                environment: Environment::Sandbox,
                day,
                tenant: Some(format!("bench-{t}")),
            };
            let key = |metric, dimension: &str| CounterKey {
                scope: scope.clone(),
                metric,
                dimension: dimension.to_owned(),
            };
            for (n, operation) in operations.iter().enumerate() {
                let count = Tally {
                    count: 10 + n as i64,
                    amount: 0,
                };
                counters.push((
                    key(Metric::Requests(StatusClass::Success), operation),
                    count,
                ));
            }
            counters.push((
                key(Metric::Requests(StatusClass::ClientError), operations[1]),
                Tally::one(0),
            ));
            counters.push((
                key(Metric::OrdersCreated, "SEK"),
                Tally {
                    count: 11,
                    amount: 1_234_500,
                },
            ));
            counters.push((key(Metric::LoginUrlsCreated, ""), Tally::one(0)));
            seen.push(Subject {
                scope: scope.clone(),
                kind: SubjectKind::User,
                id: format!("user-{t}"),
            });
            seen.push(Subject {
                scope,
                kind: SubjectKind::Connection,
                id: format!("conn-{t}"),
            });
        }
        db.write(|conn| tenantry_storage::usage::add(conn, &counters, &seen))
            .expect("write a day of usage");
    }
    eprintln!(
        "  wrote {days} days × {tenants} tenants of usage in {:.0?}",
        started.elapsed()
    );
}

fn login(url: &str, tenant_id: &str) {
    use tenantry_domain::permission::Role;
    use tenantry_domain::user::UserDraft;
    use tenantry_service::{login, user, Actor};
    let db = Database::connect(
        url,
        PoolOptions {
            max_size: 1,
            ..Default::default()
        },
    )
    .expect("connect");
    let id = tenant_id.parse().expect("a tenant id");
    let path = db
        .write(|conn| {
            let t = tenant::find_unscoped(conn, id)?.expect("the tenant");
            let actor = &Actor::Operator;
            if tenantry_storage::user::find_by_login(conn, t.id, "bench-admin").is_err() {
                let draft = UserDraft {
                    login: "bench-admin".into(),
                    full_name: "Bench Admin".into(),
                    email: "bench@example.com".into(),
                    permissions: vec![],
                    role: Role::Admin,
                    default_language: "eng".into(),
                    password: None,
                };
                user::create(conn, actor, &t, draft, None, time::now())?;
            }
            let target = login::LoginTarget {
                login: "bench-admin".into(),
                path: "/portal/orders".into(),
            };
            let urls = login::LoginUrls {
                base: String::new(),
                ttl: chrono::Duration::minutes(10),
            };
            let out = login::issue(
                conn,
                actor,
                &t,
                target,
                &urls,
                token::one_time(),
                time::now(),
            )?;
            Ok::<_, tenantry_service::ServiceError>(out.login_url)
        })
        .expect("a login URL");
    println!("{path}");
}
