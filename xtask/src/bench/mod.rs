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
//!   SQLite) and the ratio API ÷ direct (goal ≥ 0.6; the median of adjacent API/direct round
//!   pairs, since this VM's speed drifts between runs); p50 at 1M ÷ p50 at 10k (goal ≤ 1.3);
//! - the event-producing write path and webhook delivery (`webhook_bench.rs`): 8 writers'
//!   writes/s and webhooks delivered/s, latency p50/p99 from a write to its webhook at 50/s,
//!   commits, WAL bytes and statements per write on PostgreSQL, and the drain of a 2,000-event
//!   backlog on a fresh queue and after 100,000 deliveries;
//! - the platform guarantees' cost: the same sync page with rate limits, metrics, usage
//!   metering, idempotency and audit on, as a ratio to the same build with rate limits, metrics
//!   and metering off (goal ≥ 0.9); and usage metering's own cost, on ÷ off;
//! - usage analytics: `GET /reseller/analytics` over a year of daily counters of 100 tenants,
//!   for all tenants (totals and a page of 50) and for one, p50/p99.

mod analytics;
mod harness;
mod onboarding;
mod sync;

use analytics::*;
use harness::*;
pub(crate) use harness::{bench_reseller, psql, reseller_with_key, start_server_with};
use onboarding::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use sync::*;

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
/// Alternating rounds of the sync page on one process and on two.
const PROCESS_ROUNDS: usize = 3;
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
    /// The server binary measured instead of this tree's release build (`--server PATH`): an
    /// earlier commit's, for before and after figures taken by the same bench in one session.
    server: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut postgres = Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut sync_tenants = 1000;
    let mut only = None;
    let mut server = None;
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
            "--server" => {
                i += 1;
                server = Some(PathBuf::from(args.get(i).ok_or("--server needs a path")?));
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
        server,
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
        bin: options
            .server
            .clone()
            .unwrap_or_else(|| release.join("tenantry")),
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
                    with_database(admin.as_deref(), "webhook_history", |history| {
                        crate::webhook_bench::bench(&tools.bin, url, history)
                    })
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
            "{name}: API ÷ direct = {:.2} (goal ≥ 0.6; direct = {}; median of {SYNC_ROUNDS} adjacent rounds); p50 large ÷ p50 small = {:.2} (goal ≤ 1.3; median rounds)",
            r.api_to_direct,
            r.direct_kind,
            r.large.p50_ms / r.small.p50_ms
        );
        let (one, two) = r.processes;
        println!(
            "{name}: 1 process {one:.0} req/s, 2 processes on one database {two:.0} req/s (× {:.2}; median of {PROCESS_ROUNDS} alternating rounds)",
            two / one
        );
        if let Some((per_s, ratio)) = r.prepared {
            println!(
                "{name}: API ÷ pgbench -M prepared = {ratio:.2} (pgbench -M prepared {per_s:.0} pages/s; goal for the default: ≥ 0.6)"
            );
        }
    }
    println!();
    println!("Guarantees: GET /tenant/order?limit=50 on 10k orders with rate limits, metrics, usage metering, idempotency and audit on ÷ rate limits, metrics and metering off");
    for (name, r) in sync {
        println!(
            "{name}: on ÷ off = {:.3} (goal ≥ 0.9); usage metering on ÷ off = {:.3} (median of {GUARANTEE_ROUNDS} adjacent rounds)",
            r.guarantees_ratio, r.metering_ratio
        );
    }
    println!();
    println!("Portal: GET /portal/orders (25 orders as HTML, a session cookie) ÷ GET /tenant/order?limit=50 on 10k orders");
    for (name, r) in sync {
        println!(
            "{name}: {:.0} req/s, p50 {:.2} ms; portal ÷ API = {:.2} (goal ≥ 0.5; median of {SYNC_ROUNDS} adjacent rounds)",
            r.portal.per_s, r.portal.p50_ms, r.portal_ratio
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

fn print_webhooks(webhooks: &[(&str, crate::webhook_bench::WebhookFigures)]) {
    if webhooks.is_empty() {
        return;
    }
    println!("Event-producing writes: 8 clients × PATCH /reseller/tenant/{{codeName}} (own tenant each, one tenant.updated each), 2,000 writes; one endpoint, a receiver answering 200");
    for (name, w) in webhooks {
        let work = match &w.per_write {
            Some(d) => format!(
                "; per write {:.1} commits, {:.0} B WAL, {} statements",
                d.commits,
                d.wal_bytes,
                d.statements.map_or(
                    "n/a (pg_stat_statements not preloaded)".into(),
                    |s| format!("{s:.1}")
                )
            ),
            None => String::new(),
        };
        println!(
            "{name}: {:.0} writes/s accepted, {:.0} webhooks/s delivered{work}",
            w.writes_per_s, w.delivered_per_s
        );
        println!(
            "{name}: CPU per write {:.2} ms in all: server {:.2}, PostgreSQL {:.2}, the bench's clients and receiver the rest",
            w.cpu.machine_ms, w.cpu.server_ms, w.cpu.postgres_ms
        );
        if let Some((kinds, fpi)) = w.per_write.as_ref().and_then(|d| d.wal_records.as_ref()) {
            let kinds: Vec<String> = kinds.iter().map(|(k, b)| format!("{k} {b:.0}")).collect();
            println!(
                "{name}: WAL bytes per write by record (pg_walinspect): {}; full-page images {fpi:.0} of them",
                kinds.join(", ")
            );
        }
        if let Some(states) = &w.writer_states {
            let states: Vec<String> = states
                .0
                .iter()
                .take(6)
                .map(|(state, n)| format!("{state} {n:.2}"))
                .collect();
            println!(
                "{name}: where one reseller's writers spend their time (backends per sample of pg_stat_activity every 5 ms, the burst run again): {}",
                states.join(", ")
            );
        }
        let mut ratios: Vec<f64> = w
            .spread_pairs
            .iter()
            .map(|(one, eight)| one / eight)
            .collect();
        let pairs: Vec<String> = w
            .spread_pairs
            .iter()
            .map(|(one, eight)| format!("{one:.0}/{eight:.0}"))
            .collect();
        println!(
            "{name}: one reseller ÷ eight resellers (a tenant each), bursts alternated: {:.2} (median of {} pairs, writes/s one/eight: {}; below 1, something of one reseller's limits its writers)",
            harness::median(&mut ratios),
            w.spread_pairs.len(),
            pairs.join(", ")
        );
        println!(
            "{name}: paced at 50/s, write → webhook p50 {:.1} ms, p99 {:.1} ms (goal p99 ≤ 4.3)",
            w.p50_ms, w.p99_ms
        );
        println!(
            "{name}: draining a 2,000-event backlog {:.0} events/s fresh, {:.0} after 100,000 deliveries (÷ {:.2}; goal within 10%; medians of {} drains)",
            w.drain_fresh,
            w.drain_after_history,
            w.drain_after_history / w.drain_fresh,
            crate::webhook_bench::DRAINS
        );
        let drains: Vec<String> = w
            .drains
            .iter()
            .map(|(fresh, after)| format!("{fresh:.0}/{after:.0}"))
            .collect();
        println!(
            "{name}: each drain, fresh/after 100,000, in the order they ran: {}",
            drains.join(", ")
        );
        println!(
            "{name}: {} deliveries arrived twice (same webhook-id), counted once",
            w.repeats
        );
        if let Some((fresh, after)) = &w.drain_reads {
            println!(
                "{name}: rows and index entries read per delivery draining: {fresh} fresh, {after} after 100,000 deliveries"
            );
        }
    }
}
