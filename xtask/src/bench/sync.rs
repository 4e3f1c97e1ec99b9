//! Order sync: `GET /tenant/order?limit=50` through the API against the same query run
//! directly, on 10 × 1,000 and 1,000 × 1,000 orders; and the platform guarantees' cost.

use super::*;

pub(super) struct Latency {
    pub(super) per_s: f64,
    pub(super) p50_ms: f64,
    pub(super) p99_ms: f64,
}

pub(super) struct SyncFigures {
    pub(super) small_orders: i64,
    pub(super) small: Latency,
    /// Median over adjacent rounds of req/s with every guarantee on ÷ with rate limits and
    /// metrics off (idempotency and audit act on writes only, so a read pays nothing for them).
    pub(super) guarantees_ratio: f64,
    /// Median over adjacent rounds of req/s with usage metering on ÷ off, all else on.
    pub(super) metering_ratio: f64,
    /// The portal's orders page with a session, req/s (the median round).
    pub(super) portal: Latency,
    /// Median over adjacent rounds of the portal's orders page req/s ÷ the API's sync page.
    pub(super) portal_ratio: f64,
    pub(super) large_orders: i64,
    pub(super) large: Latency,
    pub(super) direct_per_s: f64,
    pub(super) direct_kind: &'static str,
    /// Median over adjacent rounds of API req/s ÷ direct pages/s.
    pub(super) api_to_direct: f64,
    /// On PostgreSQL, pgbench with prepared statements (`-M prepared`, the protocol diesel's
    /// statement cache speaks): pages/s, and the API's ratio to it, so the baseline is honest.
    pub(super) prepared: Option<(f64, f64)>,
    /// The sync page's req/s on the large data set served by one process, and by two on the
    /// same database with the connections split between them (medians).
    pub(super) processes: (f64, f64),
}

/// The tenants a seed wrote: (tenant id, token).
pub(super) fn seeded(
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
pub(super) fn sync_load(base: &str, tenants: &[(String, String)]) -> Result<Latency, String> {
    check_sync_page(base, tenants)?;
    wrk(base, &sync_script(tenants), "sync", SYNC_CLIENTS)
}

/// [`sync_load`] spread over several `serve` processes on one database, as a load balancer
/// would: one wrk per process at once, each with its share of the connections; returns the
/// rates' sum.
pub(super) fn sync_load_spread(
    bases: &[String],
    tenants: &[(String, String)],
) -> Result<f64, String> {
    for base in bases {
        check_sync_page(base, tenants)?;
    }
    let script = sync_script(tenants);
    let share = SYNC_CLIENTS / bases.len();
    std::thread::scope(|scope| {
        let loads: Vec<_> = bases
            .iter()
            .enumerate()
            .map(|(i, base)| {
                let script = &script;
                scope.spawn(move || wrk(base, script, &format!("sync-{i}"), share))
            })
            .collect();
        loads
            .into_iter()
            .map(|l| l.join().map_err(|_| "a wrk thread panicked".to_owned())?)
            .map(|r| r.map(|l| l.per_s))
            .sum()
    })
}

/// One full page first, checked: the load itself only counts statuses.
fn check_sync_page(base: &str, tenants: &[(String, String)]) -> Result<(), String> {
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
    Ok(())
}

/// wrk's script for the sync page: a random tenant's token and a random cursor each request.
fn sync_script(tenants: &[(String, String)]) -> String {
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
    format!(
        "local tokens = {{{}}}\nlocal cursors = {{{}}}\n\
         request = function()\n\
           local t = tokens[math.random(#tokens)]\n\
           local c = cursors[math.random(#cursors)]\n\
           return wrk.format('GET', '/tenant/order?limit=50&cursor=' .. c, {{['Authorization'] = 'Bearer ' .. t}})\n\
         end\n",
        quoted(tenants.iter().map(|(_, t)| t.clone()).collect()),
        quoted(cursors),
    )
}

/// The portal's orders page (`GET /portal/orders`, the newest 25 orders rendered as HTML) with
/// a random one of `cookies` (a signed-in session per tenant), as [`sync_load`] loads the API.
pub(super) fn portal_load(base: &str, cookies: &[String]) -> Result<Latency, String> {
    let page = ureq::get(&format!("{base}/portal/orders"))
        .set("Cookie", &cookies[0])
        .call()
        .map_err(|e| format!("the portal's orders page: {e}"))?
        .into_string()
        .map_err(|e| e.to_string())?;
    if page.matches("data-order=").count() != 25 {
        return Err(format!("expected a page of 25 orders, got {page}"));
    }
    let quoted: Vec<String> = cookies.iter().map(|c| format!("\"{c}\"")).collect();
    let script = format!(
        "local cookies = {{{}}}\n\
         request = function()\n\
           return wrk.format('GET', '/portal/orders', {{['Cookie'] = cookies[math.random(#cookies)]}})\n\
         end\n",
        quoted.join(",")
    );
    wrk(base, &script, "portal", SYNC_CLIENTS)
}

/// A session cookie for each tenant: a login URL made for its `bench-admin`, opened.
pub(super) fn portal_sessions(
    tools: &Tools,
    url: &str,
    base: &str,
    tenants: &[(String, String)],
) -> Result<Vec<String>, String> {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    tenants
        .iter()
        .map(|(id, _)| {
            let out = Command::new(&tools.data)
                .args(["login", url, id])
                .output()
                .map_err(|e| e.to_string())?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            let opened = agent
                .get(&format!("{base}{path}"))
                .call()
                .map_err(|e| format!("{path}: {e}"))?;
            opened
                .header("set-cookie")
                .and_then(|c| c.split(';').next())
                .map(str::to_owned)
                .ok_or_else(|| format!("{path} set no session cookie"))
        })
        .collect()
}

/// Runs `script` under wrk against `base` over `connections` and reads its rate and latencies.
fn wrk(base: &str, script: &str, label: &str, connections: usize) -> Result<Latency, String> {
    let path = std::env::temp_dir().join(format!("tenantry-{label}-{}.lua", std::process::id()));
    std::fs::write(&path, script).map_err(|e| e.to_string())?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
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
        return Err(format!("the {label} load saw failed requests:\n{text}"));
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

/// The round whose p50 is the median one: its rate and p99 are reported with it.
pub(super) fn median_round(mut rounds: Vec<Latency>) -> Latency {
    rounds.sort_by(|a, b| a.p50_ms.total_cmp(&b.p50_ms));
    rounds.swap_remove(rounds.len() / 2)
}

/// What runs the page's query straight against the database: a loop over the storage crate on
/// SQLite, pgbench on PostgreSQL.
pub(super) fn direct_kind(admin: Option<&str>) -> &'static str {
    match admin {
        None => "storage-crate loop",
        Some(_) => "pgbench",
    }
}

/// One round of [`direct_kind`]'s load; returns pages per second.
pub(super) fn direct_load(
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
        Some(_) => pgbench(url, tenants, "simple"),
    }
}

pub(super) fn bench_sync(
    tools: &Tools,
    admin: Option<&str>,
    large_tenants: usize,
) -> Result<SyncFigures, String> {
    let file = std::env::temp_dir().join(format!(
        "tenantry-bench-tenants-{}.jsonl",
        std::process::id()
    ));
    let small_tenants = 10;
    let (small, guarantees_ratio, metering_ratio, portal, portal_ratio) = with_database(
        admin,
        "sync_small",
        |url| {
            let tenants = seeded(tools, url, small_tenants, &file)?;
            let (small, portal, portal_ratio) = {
                let server = start_server(&tools.bin, url)?;
                let cookies = portal_sessions(tools, url, &server.base, &tenants)?;
                // API and portal rounds alternate; the ratio is the median of adjacent pairs.
                let (mut rounds, mut portals, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
                for _ in 0..SYNC_ROUNDS {
                    let api = sync_load(&server.base, &tenants)?;
                    let page = portal_load(&server.base, &cookies)?;
                    eprintln!(
                        "   sync API/portal orders page (req/s): {:.0}/{:.0}",
                        api.per_s, page.per_s
                    );
                    ratios.push(page.per_s / api.per_s);
                    rounds.push(api);
                    portals.push(page);
                }
                (
                    median_round(rounds),
                    median_round(portals),
                    median(&mut ratios),
                )
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
            Ok((
                small,
                median(&mut ratios),
                median(&mut metering),
                portal,
                portal_ratio,
            ))
        },
    )?;
    let (large, direct_per_s, api_to_direct, prepared, processes) =
        with_database(admin, "sync_large", |url| {
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
            let (mut prepared, mut prepared_ratios) = (Vec::new(), Vec::new());
            for _ in 0..SYNC_ROUNDS {
                let api = sync_load(&server.base, &tenants)?;
                let direct = direct_load(tools, admin, url, &file, large_tenants)?;
                eprintln!("   sync API/direct (req/s): {:.0}/{direct:.0}", api.per_s);
                if admin.is_some() {
                    let bound = pgbench(url, large_tenants, "prepared")?;
                    eprintln!("   pgbench -M prepared (pages/s): {bound:.0}");
                    prepared_ratios.push(api.per_s / bound);
                    prepared.push(bound);
                }
                ratios.push(api.per_s / direct);
                directs.push(direct);
                rounds.push(api);
            }
            let prepared = (!prepared.is_empty())
                .then(|| (median(&mut prepared), median(&mut prepared_ratios)));
            // One process, then two on the same database sharing the load, alternately.
            let second = start_server(&tools.bin, url)?;
            let bases = [server.base.clone(), second.base.clone()];
            let (mut one, mut two) = (Vec::new(), Vec::new());
            for _ in 0..PROCESS_ROUNDS {
                let single = sync_load_spread(&bases[..1], &tenants)?;
                let double = sync_load_spread(&bases, &tenants)?;
                eprintln!("   sync on 1/2 processes (req/s): {single:.0}/{double:.0}");
                one.push(single);
                two.push(double);
            }
            let processes = (median(&mut one), median(&mut two));
            Ok((
                median_round(rounds),
                median(&mut directs),
                median(&mut ratios),
                prepared,
                processes,
            ))
        })?;
    let _ = std::fs::remove_file(&file);
    Ok(SyncFigures {
        small_orders: small_tenants as i64 * ORDERS_PER_TENANT,
        small,
        guarantees_ratio,
        metering_ratio,
        portal,
        portal_ratio,
        large_orders: large_tenants as i64 * ORDERS_PER_TENANT,
        large,
        direct_per_s,
        direct_kind: direct_kind(admin),
        api_to_direct,
        prepared,
        processes,
    })
}

/// Numbers the seeded tenants (`bench_tenants`), so pgbench can pick one at random.
pub(super) fn pgbench_tenants(url: &str) -> Result<(), String> {
    psql(url, "CREATE TABLE bench_tenants AS SELECT (row_number() OVER (ORDER BY code_name) - 1)::int AS n, id FROM tenants; ALTER TABLE bench_tenants ADD PRIMARY KEY (n); ANALYZE bench_tenants;")
}

/// pgbench running the sync page's query (all columns, 51 rows after a random sequence) for a
/// random tenant of [`pgbench_tenants`], in `mode` (`-M simple` or `prepared`); returns
/// transactions per second.
pub(super) fn pgbench(url: &str, tenants: usize, mode: &str) -> Result<f64, String> {
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
            "-M",
            mode,
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
