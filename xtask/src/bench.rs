//! `cargo xtask bench`: the figures the issues ask for, measured in one run against a release
//! build of `tenantry serve` on SQLite and on PostgreSQL, over real HTTP on loopback.
//!
//! - tenant onboarding throughput: the full flow (tenant + user + connection + login URL) at
//!   16 concurrent clients, in flows/s and requests/s;
//! - `GET /reseller/tenant/{codeName}` with Basic auth as a ratio to the same with Bearer
//!   (goal ≥ 0.9: password hashing must not sit on every request);
//! - order sync: `GET /tenant/order?limit=50` at 32 connections driven by wrk (random tenant,
//!   random cursor) on 10 × 1,000 and 1,000 × 1,000 orders: requests/s, p50/p99; the same page's query run
//!   directly at the same concurrency (pgbench on PostgreSQL, a loop over the storage crate on
//!   SQLite) and the ratio API ÷ direct (goal ≥ 0.5; the median of adjacent API/direct round
//!   pairs, since this VM's speed drifts between runs); p50 at 1M ÷ p50 at 10k (goal ≤ 1.3);
//! - webhook delivery (`webhook_bench.rs`): events/s from commit to the receiver's 2xx, and
//!   latency p50/p99 from a write to its webhook's arrival;
//! - the platform guarantees' cost: the same sync page with rate limits, metrics, usage
//!   metering, idempotency and audit on, as a ratio to the same build with rate limits, metrics
//!   and metering off (goal ≥ 0.9); and usage metering's own cost, on ÷ off;
//! - usage analytics: `GET /reseller/analytics` over a year of daily counters of 100 tenants,
//!   for all tenants (totals and a page of 50) and for one, p50/p99.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const FLOW_SECONDS: u64 = 6;
/// Seconds of each read round; rounds alternate Bearer and Basic.
const READ_SECONDS: u64 = 2;
const READ_ROUNDS: usize = 5;
const SYNC_CLIENTS: usize = 32;
const SYNC_SECONDS: u64 = 5;
const ORDERS_PER_TENANT: i64 = 1000;
/// Adjacent off/on rounds of the guarantees' cost.
const GUARANTEE_ROUNDS: usize = 3;
/// Rounds of each order-sync measurement; the large data set alternates API and direct rounds.
const SYNC_ROUNDS: usize = 5;
/// The analytics data set: tenants × days of daily counters.
const USAGE_TENANTS: usize = 100;
const USAGE_DAYS: i64 = 365;
/// Sequential analytics queries timed per kind.
const ANALYTICS_QUERIES: usize = 30;

struct Options {
    postgres: Option<String>,
    /// Tenants of the large order-sync data set (1,000 by default; `--sync-tenants N`).
    sync_tenants: usize,
    /// Only one part's figures (`--only webhooks|analytics|onboarding|sync`), for a quick check.
    only: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut postgres = Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut sync_tenants = 1000;
    let mut only = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--sqlite-only" => postgres = None,
            "--only" => {
                i += 1;
                match args.get(i).map(String::as_str) {
                    Some(part @ ("webhooks" | "analytics" | "onboarding" | "sync")) => {
                        only = Some(part.to_owned())
                    }
                    _ => {
                        return Err(
                            "--only needs `webhooks`, `analytics`, `onboarding` or `sync`".into(),
                        )
                    }
                }
            }
            "--postgres" => {
                i += 1;
                postgres = Some(args.get(i).ok_or("--postgres needs a URL")?.clone());
            }
            "--sync-tenants" => {
                i += 1;
                sync_tenants = args
                    .get(i)
                    .and_then(|n| n.parse().ok())
                    .ok_or("--sync-tenants needs a number")?;
            }
            other => return Err(format!("unknown bench option {other}")),
        }
        i += 1;
    }
    Ok(Options {
        postgres,
        sync_tenants,
        only,
    })
}

pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    crate::status(
        Command::new(env!("CARGO"))
            .current_dir(crate::root())
            .args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "tenantry",
                "--bin",
                "tenantry",
                "--example",
                "bench_data",
            ]),
    )?;
    require_tool("wrk", "wrk")?;
    if options.postgres.is_some() {
        require_tool("pgbench", "postgresql-contrib")?;
    }
    let release = crate::root().join("target/release");
    let tools = Tools {
        bin: release.join("tenantry"),
        data: release.join("examples/bench_data"),
    };
    let mut backends = vec![("SQLite", None)];
    if let Some(admin) = &options.postgres {
        backends.push(("PostgreSQL", Some(admin.clone())));
    }
    let mut onboarding = Vec::new();
    let mut sync = Vec::new();
    let mut webhooks = Vec::new();
    let mut analytics = Vec::new();
    let part = |name: &str| options.only.as_deref().is_none_or(|only| only == name);
    for (name, admin) in &backends {
        if part("webhooks") {
            eprintln!("== {name}: webhook delivery");
            webhooks.push((
                *name,
                with_database(admin.as_deref(), "webhook", |url| {
                    crate::webhook_bench::bench(&tools.bin, url)
                })?,
            ));
        }
        if part("analytics") {
            eprintln!("== {name}: usage analytics");
            analytics.push((
                *name,
                with_database(admin.as_deref(), "analytics", |url| {
                    bench_analytics(&tools, url)
                })?,
            ));
        }
        if part("onboarding") {
            eprintln!("== {name}: onboarding and auth");
            onboarding.push((
                *name,
                with_database(admin.as_deref(), "onboard", |url| {
                    bench_backend(&tools.bin, url)
                })?,
            ));
        }
        if part("sync") {
            eprintln!("== {name}: order sync");
            sync.push((
                *name,
                bench_sync(&tools, admin.as_deref(), options.sync_tenants)?,
            ));
        }
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!();
    println!(
        "Tenantry bench — release build, loopback, {cpus} CPU(s); client and server share them"
    );
    println!();
    print_webhooks(&webhooks);
    print_analytics(&analytics);
    print_onboarding(&onboarding);
    print_sync(&sync);
    Ok(())
}

fn print_onboarding(onboarding: &[(&str, Figures)]) {
    if onboarding.is_empty() {
        return;
    }
    println!();
    println!("Onboarding (tenant + user + connection + login URL) at {CLIENTS} clients; GET /reseller/tenant/{{codeName}} Basic vs Bearer");
    println!(
        "{:<11} {:>10} {:>10} {:>12} {:>12} {:>10} {:>10} {:>12}",
        "backend",
        "flows/s",
        "req/s",
        "GET bearer/s",
        "GET basic/s",
        "p50 ms",
        "p99 ms",
        "basic÷bearer"
    );
    for (name, r) in onboarding {
        println!(
            "{:<11} {:>10.1} {:>10.1} {:>12.0} {:>12.0} {:>10.2} {:>10.2} {:>12.3}",
            name,
            r.flows_per_s,
            r.flows_per_s * 4.0,
            r.bearer_per_s,
            r.basic_per_s,
            r.p50_ms,
            r.p99_ms,
            r.basic_to_bearer
        );
    }
    println!("goal: basic÷bearer ≥ 0.9 (median of {READ_ROUNDS} adjacent Bearer/Basic rounds)");
}

fn print_sync(sync: &[(&str, SyncFigures)]) {
    if sync.is_empty() {
        return;
    }
    println!();
    println!("Order sync: GET /tenant/order?limit=50 at {SYNC_CLIENTS} clients, random tenant and cursor");
    println!(
        "{:<11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>11}",
        "backend",
        "orders",
        "API req/s",
        "p50 ms",
        "p99 ms",
        "orders",
        "API req/s",
        "p50 ms",
        "p99 ms",
        "direct/s"
    );
    for (name, r) in sync {
        println!(
            "{:<11} {:>9} {:>9.0} {:>9.2} {:>9.2} {:>9} {:>9.0} {:>10.2} {:>10.2} {:>11.0}",
            name,
            r.small_orders,
            r.small.per_s,
            r.small.p50_ms,
            r.small.p99_ms,
            r.large_orders,
            r.large.per_s,
            r.large.p50_ms,
            r.large.p99_ms,
            r.direct_per_s
        );
    }
    for (name, r) in sync {
        println!(
            "{name}: API ÷ direct = {:.2} (goal ≥ 0.5; direct = {}; median of {SYNC_ROUNDS} adjacent rounds); p50 large ÷ p50 small = {:.2} (goal ≤ 1.3; median rounds)",
            r.api_to_direct,
            r.direct_kind,
            r.large.p50_ms / r.small.p50_ms
        );
    }
    println!();
    println!("Guarantees: GET /tenant/order?limit=50 on 10k orders with rate limits, metrics, usage metering, idempotency and audit on ÷ rate limits, metrics and metering off");
    for (name, r) in sync {
        println!(
            "{name}: on ÷ off = {:.3} (goal ≥ 0.9); usage metering on ÷ off = {:.3} (median of {GUARANTEE_ROUNDS} adjacent rounds)",
            r.guarantees_ratio, r.metering_ratio
        );
    }
}

fn print_analytics(analytics: &[(&str, AnalyticsFigures)]) {
    if analytics.is_empty() {
        return;
    }
    println!();
    println!("Usage analytics: GET /reseller/analytics over {USAGE_DAYS} days × {USAGE_TENANTS} tenants of daily counters, {ANALYTICS_QUERIES} sequential queries each");
    for (name, a) in analytics {
        println!(
            "{name}: all tenants (totals + 50) p50 {:.1} ms, p99 {:.1} ms; one tenant p50 {:.1} ms, p99 {:.1} ms; seeded in {:.1} s",
            a.all.0, a.all.1, a.one.0, a.one.1, a.seed_seconds
        );
    }
}

struct AnalyticsFigures {
    /// (p50, p99) ms.
    all: (f64, f64),
    one: (f64, f64),
    seed_seconds: f64,
}

/// A year of usage for [`USAGE_TENANTS`] tenants, then timed analytics queries over it.
fn bench_analytics(tools: &Tools, url: &str) -> Result<AnalyticsFigures, String> {
    let key = bench_reseller(&tools.bin, url)?;
    let started = Instant::now();
    crate::status(Command::new(&tools.data).args([
        "usage",
        url,
        &USAGE_TENANTS.to_string(),
        &USAGE_DAYS.to_string(),
    ]))?;
    let seed_seconds = started.elapsed().as_secs_f64();
    if url.starts_with("postgres") {
        psql(url, "VACUUM ANALYZE")?;
    }
    let server = start_server(&tools.bin, url)?;
    let today = chrono::Utc::now().date_naive();
    let range = format!(
        "startDate={}&endDate={today}",
        today - chrono::Duration::days(USAGE_DAYS - 1)
    );
    let timed = |query: &str, expect_tenants: usize| -> Result<(f64, f64), String> {
        let mut millis = Vec::new();
        for _ in 0..ANALYTICS_QUERIES {
            let started = Instant::now();
            let body: Value = ureq::get(&format!("{}/reseller/analytics?{query}", server.base))
                .set("Authorization", &format!("Bearer {key}"))
                .call()
                .map_err(|e| format!("analytics: {e}"))?
                .into_json()
                .map_err(|e| e.to_string())?;
            millis.push(started.elapsed().as_secs_f64() * 1000.0);
            let tenants = body["tenants"].as_array().map_or(0, Vec::len);
            // Every seeded day counts: five operations of 10..14 requests and a 4xx per day.
            let expected = (10 + 11 + 12 + 13 + 14 + 1) * USAGE_DAYS;
            if tenants != expect_tenants
                || body["tenants"][0]["requests"]["total"].as_i64() != Some(expected)
            {
                return Err(format!("unexpected analytics answer: {body}"));
            }
        }
        millis.sort_by(f64::total_cmp);
        let pct = |p: f64| millis[((millis.len() as f64 * p) as usize).min(millis.len() - 1)];
        Ok((pct(0.5), pct(0.99)))
    };
    Ok(AnalyticsFigures {
        all: timed(&range, 50)?,
        one: timed(&format!("{range}&tenant=bench-7"), 1)?,
        seed_seconds,
    })
}

fn print_webhooks(webhooks: &[(&str, crate::webhook_bench::WebhookFigures)]) {
    if webhooks.is_empty() {
        return;
    }
    println!("Webhooks: a burst of 2,000 order.created events (two sandbox fills of 1,000), first fill's commit to the last receiver 2xx; 200 paced tenant creates, write to arrival");
    for (name, w) in webhooks {
        println!(
            "{name}: {:.0} events/s; latency p50 {:.1} ms, p99 {:.1} ms; one fill (1,000 orders + events) commits in {:.0} ms",
            w.events_per_s, w.p50_ms, w.p99_ms, w.fill_ms
        );
    }
}

/// Installs a Debian package when its command is missing (the bench's load generators).
fn require_tool(command: &str, package: &str) -> Result<(), String> {
    let found = |c: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {c}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if found(command) {
        return Ok(());
    }
    eprintln!("   {command} is missing: installing the Debian package {package}");
    let _ = Command::new("sh")
        .args([
            "-c",
            &format!("apt-get install -y -qq {package} || (apt-get update -qq && apt-get install -y -qq {package})"),
        ])
        .status();
    if found(command) {
        Ok(())
    } else {
        Err(format!("{command} is needed: apt-get install {package}"))
    }
}

struct Tools {
    bin: PathBuf,
    data: PathBuf,
}

/// Runs `f` on a fresh database: a temporary SQLite file, or a new PostgreSQL database on the
/// server `admin` reaches; removes it afterwards.
fn with_database<T>(
    admin: Option<&str>,
    label: &str,
    f: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    let name = format!("tenantry_bench_{label}_{}", std::process::id());
    match admin {
        None => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let result = f(&format!("sqlite://{}", path.display()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            result
        }
        Some(admin) => {
            psql(admin, &format!("CREATE DATABASE {name}"))?;
            let (base, _) = admin.rsplit_once('/').ok_or("bad PostgreSQL URL")?;
            let result = f(&format!("{base}/{name}"));
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )?;
            result
        }
    }
}

fn psql(admin: &str, sql: &str) -> Result<(), String> {
    crate::status(
        Command::new("psql")
            .args([admin, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdout(Stdio::null()),
    )
}

struct Figures {
    flows_per_s: f64,
    /// Median over adjacent rounds of Basic req/s ÷ Bearer req/s.
    basic_to_bearer: f64,
    bearer_per_s: f64,
    basic_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tenantry serve` on a free loopback port and waits for `/healthz`.
fn start_server(bin: &Path, url: &str) -> Result<Server, String> {
    start_server_with(bin, url, &[])
}

/// [`start_server`] with extra `serve` flags.
pub(crate) fn start_server_with(bin: &Path, url: &str, extra: &[&str]) -> Result<Server, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| e.to_string())?
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--no-bootstrap",
            "--pool-size",
            "32",
        ])
        .args(extra)
        .env("TENANTRY_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("{}/healthz", server.base))
        .call()
        .is_err()
    {
        if Instant::now() > deadline {
            return Err("the server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(server)
}

fn cli(bin: &Path, url: &str, args: &[&str]) -> Result<Value, String> {
    let out = Command::new(bin)
        .args(args)
        .arg("--json")
        .env("TENANTRY_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "tenantry {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// The bench measures throughput, not the limiter's refusals: the limiter still runs on every
/// request, at a rate the load never reaches.
fn raise_rate_limit(bin: &Path, url: &str) -> Result<(), String> {
    cli(
        bin,
        url,
        &[
            "reseller",
            "update",
            "--code",
            "bench",
            "--rate-limit",
            "1000000",
        ],
    )
    .map(drop)
}

/// Creates the `bench` reseller (rate limit out of the way); returns an API key of it.
pub(crate) fn bench_reseller(bin: &Path, url: &str) -> Result<String, String> {
    cli(
        bin,
        url,
        &["reseller", "create", "--code", "bench", "--name", "Bench"],
    )?;
    raise_rate_limit(bin, url)?;
    let key = cli(
        bin,
        url,
        &["reseller", "key", "create", "--reseller", "bench"],
    )?;
    Ok(key["key"].as_str().ok_or("no key")?.to_owned())
}

fn bench_backend(bin: &Path, url: &str) -> Result<Figures, String> {
    let key = bench_reseller(bin, url)?;
    let user = cli(
        bin,
        url,
        &[
            "reseller",
            "user",
            "create",
            "--reseller",
            "bench",
            "--login",
            "bench",
        ],
    )?;
    let password = user["password"].as_str().unwrap().to_owned();
    let server = start_server(bin, url)?;
    let base = server.base.clone();
    let bearer = format!("Bearer {key}");
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("bench:{password}")
        )
    );

    // Onboarding flows.
    let flows = load(CLIENTS, FLOW_SECONDS, |client, i| {
        let agent = client;
        let reference = format!("c{}-{}", std::thread::current().name().unwrap_or("t"), i);
        let post = |path: &str, body: Value| {
            agent
                .post(&format!("{base}{path}"))
                .set("Authorization", &bearer)
                .set("Content-Type", "application/json")
                .send_string(&body.to_string())
                .map_err(|e| e.to_string())
                .and_then(|r| r.into_json::<Value>().map_err(|e| e.to_string()))
        };
        let tenant = post(
            "/reseller/tenant",
            json!({"customerReference": reference, "fullName": "Bench", "email": "b@bench.example", "defaultLanguage": "swe"}),
        )?;
        let cn = tenant["codeName"].as_str().ok_or("no codeName")?.to_owned();
        post(
            &format!("/reseller/tenant/{cn}/user"),
            json!({"login": "anna", "email": "a@bench.example"}),
        )?;
        post(&format!("/reseller/tenant/{cn}/connection"), json!({}))?;
        post(
            &format!("/reseller/tenant/{cn}/login/anna"),
            json!({"path": "/"}),
        )?;
        Ok(())
    })?;
    let flows_per_s = flows.count as f64 / flows.seconds;

    // Reads: Basic vs Bearer, interleaved twice so drift hits both alike.
    let first = ureq::get(&format!("{base}/reseller/tenant?limit=1"))
        .set("Authorization", &bearer)
        .call()
        .map_err(|e| e.to_string())?;
    let first: Value = first.into_json().map_err(|e| e.to_string())?;
    let cn = first["data"][0]["codeName"]
        .as_str()
        .ok_or("no tenant")?
        .to_owned();
    let read = |auth: &str| {
        let auth = auth.to_owned();
        let url = format!("{base}/reseller/tenant/{cn}");
        load(CLIENTS, READ_SECONDS, |agent, _| {
            let mut req = agent.get(&url).set("Authorization", &auth);
            if auth.starts_with("Basic") {
                req = req.set("X-Reseller", "bench");
            }
            req.call().map(|_| ()).map_err(|e| e.to_string())
        })
    };
    let mut bearer_runs = Vec::new();
    let mut basic_runs = Vec::new();
    // Adjacent rounds see the same machine: the ratio is the median of the per-pair ratios, so a
    // noisy neighbour during one round does not decide it.
    for _ in 0..READ_ROUNDS {
        bearer_runs.push(read(&bearer)?);
        basic_runs.push(read(&basic)?);
    }
    let mut pair_ratios: Vec<f64> = bearer_runs
        .iter()
        .zip(&basic_runs)
        .map(|(b, a)| (a.count as f64 / a.seconds) / (b.count as f64 / b.seconds))
        .collect();
    eprintln!(
        "   read rounds (bearer/basic req/s): {}",
        bearer_runs
            .iter()
            .zip(&basic_runs)
            .map(|(b, a)| format!(
                "{:.0}/{:.0}",
                b.count as f64 / b.seconds,
                a.count as f64 / a.seconds
            ))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let basic_to_bearer = median(&mut pair_ratios);
    let rate = |runs: &[Load]| {
        runs.iter().map(|r| r.count as f64).sum::<f64>()
            / runs.iter().map(|r| r.seconds).sum::<f64>()
    };
    let mut latencies: Vec<Duration> = bearer_runs
        .iter()
        .flat_map(|r| r.latencies.clone())
        .collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    Ok(Figures {
        flows_per_s,
        basic_to_bearer,
        bearer_per_s: rate(&bearer_runs),
        basic_per_s: rate(&basic_runs),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}

struct Load {
    count: u64,
    seconds: f64,
    latencies: Vec<Duration>,
}

/// Runs `op` from `clients` threads for `seconds`; each thread has its own keep-alive agent.
fn load<F>(clients: usize, seconds: u64, op: F) -> Result<Load, String>
where
    F: Fn(&ureq::Agent, u64) -> Result<(), String> + Sync,
{
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|n| {
                let (op, stop) = (&op, &stop);
                std::thread::Builder::new()
                    .name(format!("client{n}"))
                    .spawn_scoped(scope, move || {
                        let agent = ureq::AgentBuilder::new()
                            .timeout(Duration::from_secs(30))
                            .build();
                        let mut latencies = Vec::new();
                        let mut i = 0;
                        while !stop.load(Ordering::Relaxed) {
                            let t = Instant::now();
                            op(&agent, i)?;
                            latencies.push(t.elapsed());
                            i += 1;
                        }
                        Ok::<_, String>(latencies)
                    })
                    .expect("spawn a client thread")
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        for t in threads {
            all.extend(t.join().map_err(|_| "a client panicked".to_owned())??);
        }
        Ok::<_, String>(all)
    })?;
    Ok(Load {
        count: latencies.len() as u64,
        seconds: start.elapsed().as_secs_f64(),
        latencies,
    })
}

struct Latency {
    per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

struct SyncFigures {
    small_orders: i64,
    small: Latency,
    /// Median over adjacent rounds of req/s with every guarantee on ÷ with rate limits and
    /// metrics off (idempotency and audit act on writes only, so a read pays nothing for them).
    guarantees_ratio: f64,
    /// Median over adjacent rounds of req/s with usage metering on ÷ off, all else on.
    metering_ratio: f64,
    large_orders: i64,
    large: Latency,
    direct_per_s: f64,
    direct_kind: &'static str,
    /// Median over adjacent rounds of API req/s ÷ direct pages/s.
    api_to_direct: f64,
}

/// The tenants a seed wrote: (tenant id, token).
fn seeded(
    tools: &Tools,
    url: &str,
    tenants: usize,
    file: &Path,
) -> Result<Vec<(String, String)>, String> {
    let started = Instant::now();
    crate::status(
        Command::new(&tools.data)
            .args([
                "seed",
                url,
                &tenants.to_string(),
                &ORDERS_PER_TENANT.to_string(),
            ])
            .arg(file),
    )?;
    eprintln!(
        "   seeded {tenants} × {ORDERS_PER_TENANT} orders in {:.0?}",
        started.elapsed()
    );
    // Measure the steady state, not the bulk load's aftermath: without this, autovacuum and the
    // checkpointer work through a freshly written gigabyte during the measurement.
    if url.starts_with("postgres") {
        psql(url, "VACUUM ANALYZE")?;
        psql(url, "CHECKPOINT")?;
    }
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).map_err(|e| e.to_string())?;
            Ok((
                v["id"].as_str().unwrap_or_default().to_owned(),
                v["token"].as_str().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// `GET /tenant/order?limit=50` at a random tenant and cursor from SYNC_CLIENTS connections,
/// driven by wrk. The PostgreSQL baseline is pgbench, a thin C client; an in-process client
/// with a thread per connection spent half of the two CPUs it shares with the server (the same
/// server measured 1,117 req/s through it and 2,182 through wrk), which would charge the
/// client's cost to the API.
fn sync_load(base: &str, tenants: &[(String, String)]) -> Result<Latency, String> {
    // One full page first, checked: the load itself only counts statuses.
    let (_, token) = &tenants[0];
    let page: Value = ureq::get(&format!("{base}/tenant/order?limit=50"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| e.to_string())?
        .into_json()
        .map_err(|e| e.to_string())?;
    if page["data"].as_array().map(Vec::len) != Some(50) {
        return Err(format!("expected a full page of 50 orders, got {page}"));
    }
    let quoted = |items: Vec<String>| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    let cursors = (0..ORDERS_PER_TENANT - 50)
        .map(|after| {
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                after.to_string(),
            )
        })
        .collect();
    let script = format!(
        "local tokens = {{{}}}\nlocal cursors = {{{}}}\n\
         request = function()\n\
           local t = tokens[math.random(#tokens)]\n\
           local c = cursors[math.random(#cursors)]\n\
           return wrk.format('GET', '/tenant/order?limit=50&cursor=' .. c, {{['Authorization'] = 'Bearer ' .. t}})\n\
         end\n",
        quoted(tenants.iter().map(|(_, t)| t.clone()).collect()),
        quoted(cursors),
    );
    let path = std::env::temp_dir().join(format!("tenantry-sync-{}.lua", std::process::id()));
    std::fs::write(&path, script).map_err(|e| e.to_string())?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{SYNC_CLIENTS}"),
            &format!("-d{SYNC_SECONDS}s"),
            "--latency",
            "-s",
        ])
        .arg(&path)
        .arg(base)
        .output()
        .map_err(|e| format!("wrk: {e} (install it: apt-get install wrk)"));
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out?.stdout).into_owned();
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        return Err(format!("the sync load saw failed requests:\n{text}"));
    }
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::trim))
            .ok_or_else(|| format!("wrk printed no `{prefix}`:\n{text}"))
    };
    let millis = |value: &str| -> Result<f64, String> {
        let split = value
            .find(|c: char| c.is_ascii_alphabetic())
            .ok_or_else(|| format!("no unit in `{value}`"))?;
        let number: f64 = value[..split].parse().map_err(|_| format!("`{value}`"))?;
        Ok(number
            * match &value[split..] {
                "us" => 0.001,
                "ms" => 1.0,
                "s" => 1000.0,
                other => return Err(format!("unknown unit {other}")),
            })
    };
    Ok(Latency {
        per_s: field("Requests/sec:")?
            .parse()
            .map_err(|_| format!("wrk's rate:\n{text}"))?,
        p50_ms: millis(field("50%")?)?,
        p99_ms: millis(field("99%")?)?,
    })
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The round whose p50 is the median one: its rate and p99 are reported with it.
fn median_round(mut rounds: Vec<Latency>) -> Latency {
    rounds.sort_by(|a, b| a.p50_ms.total_cmp(&b.p50_ms));
    rounds.swap_remove(rounds.len() / 2)
}

/// What runs the page's query straight against the database: a loop over the storage crate on
/// SQLite, pgbench on PostgreSQL.
fn direct_kind(admin: Option<&str>) -> &'static str {
    match admin {
        None => "storage-crate loop",
        Some(_) => "pgbench",
    }
}

/// One round of [`direct_kind`]'s load; returns pages per second.
fn direct_load(
    tools: &Tools,
    admin: Option<&str>,
    url: &str,
    file: &Path,
    tenants: usize,
) -> Result<f64, String> {
    match admin {
        None => {
            let out = Command::new(&tools.data)
                .args(["direct", url])
                .arg(file)
                .args([&SYNC_CLIENTS.to_string(), &SYNC_SECONDS.to_string()])
                .output()
                .map_err(|e| e.to_string())?;
            let v: Value =
                serde_json::from_slice(&out.stdout).map_err(|e| format!("direct loop: {e}"))?;
            Ok(v["perSecond"].as_f64().unwrap_or(0.0))
        }
        Some(_) => pgbench(url, tenants),
    }
}

fn bench_sync(
    tools: &Tools,
    admin: Option<&str>,
    large_tenants: usize,
) -> Result<SyncFigures, String> {
    let file = std::env::temp_dir().join(format!(
        "tenantry-bench-tenants-{}.jsonl",
        std::process::id()
    ));
    let small_tenants = 10;
    let (small, guarantees_ratio, metering_ratio) = with_database(admin, "sync_small", |url| {
        let tenants = seeded(tools, url, small_tenants, &file)?;
        let small = {
            let server = start_server(&tools.bin, url)?;
            let rounds = (0..SYNC_ROUNDS)
                .map(|_| sync_load(&server.base, &tenants))
                .collect::<Result<Vec<_>, _>>()?;
            median_round(rounds)
        };
        let (mut ratios, mut metering) = (Vec::new(), Vec::new());
        let rate = |flags: &[&str]| -> Result<f64, String> {
            let server = start_server_with(&tools.bin, url, flags)?;
            Ok(sync_load(&server.base, &tenants)?.per_s)
        };
        for _ in 0..GUARANTEE_ROUNDS {
            let bare = rate(&["--no-rate-limit", "--no-metrics", "--no-usage-metering"])?;
            let unmetered = rate(&["--no-usage-metering"])?;
            let guarded = rate(&[])?;
            eprintln!(
                "   guarantees off / metering off / all on (req/s): {bare:.0}/{unmetered:.0}/{guarded:.0}"
            );
            ratios.push(guarded / bare);
            metering.push(guarded / unmetered);
        }
        Ok((small, median(&mut ratios), median(&mut metering)))
    })?;
    let (large, direct_per_s, api_to_direct) = with_database(admin, "sync_large", |url| {
        let tenants = seeded(tools, url, large_tenants, &file)?;
        if admin.is_some() {
            pgbench_tenants(url)?;
        }
        let server = start_server(&tools.bin, url)?;
        // API and direct rounds alternate, and the ratio is the median of adjacent pairs:
        // this VM's speed drifts by a third between runs of the same build.
        let mut rounds = Vec::new();
        let mut directs = Vec::new();
        let mut ratios = Vec::new();
        for _ in 0..SYNC_ROUNDS {
            let api = sync_load(&server.base, &tenants)?;
            let direct = direct_load(tools, admin, url, &file, large_tenants)?;
            eprintln!("   sync API/direct (req/s): {:.0}/{direct:.0}", api.per_s);
            ratios.push(api.per_s / direct);
            directs.push(direct);
            rounds.push(api);
        }
        Ok((
            median_round(rounds),
            median(&mut directs),
            median(&mut ratios),
        ))
    })?;
    let _ = std::fs::remove_file(&file);
    Ok(SyncFigures {
        small_orders: small_tenants as i64 * ORDERS_PER_TENANT,
        small,
        guarantees_ratio,
        metering_ratio,
        large_orders: large_tenants as i64 * ORDERS_PER_TENANT,
        large,
        direct_per_s,
        direct_kind: direct_kind(admin),
        api_to_direct,
    })
}

/// Numbers the seeded tenants (`bench_tenants`), so pgbench can pick one at random.
fn pgbench_tenants(url: &str) -> Result<(), String> {
    psql(url, "CREATE TABLE bench_tenants AS SELECT (row_number() OVER (ORDER BY code_name) - 1)::int AS n, id FROM tenants; ALTER TABLE bench_tenants ADD PRIMARY KEY (n); ANALYZE bench_tenants;")
}

/// pgbench running the sync page's query (all columns, 51 rows after a random sequence) for a
/// random tenant of [`pgbench_tenants`]; returns transactions per second.
fn pgbench(url: &str, tenants: usize) -> Result<f64, String> {
    let script = std::env::temp_dir().join(format!("tenantry-pgbench-{}.sql", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "\\set t random(0, {})\n\\set s random(0, {})\n\
             SELECT tenant_id, id, number, status, currency, customer, billing_address, shipping_address, order_rows, \
             total_net, total_vat, total_gross, metadata, created_at, updated_at, sequence FROM orders \
             WHERE tenant_id = (SELECT id FROM bench_tenants WHERE n = :t) AND sequence > :s ORDER BY sequence LIMIT 51;\n",
            tenants - 1,
            ORDERS_PER_TENANT - 51
        ),
    )
    .map_err(|e| e.to_string())?;
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &SYNC_CLIENTS.to_string(),
            "-j",
            "2",
            "-T",
            &SYNC_SECONDS.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .map_err(|e| format!("pgbench: {e}"))?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .ok_or_else(|| {
            format!(
                "pgbench printed no tps: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}
