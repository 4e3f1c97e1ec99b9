//! The event-producing write path and webhook delivery for `cargo xtask bench`, in the load
//! shape the Svix comparison used (issue 17): eight clients each patching its own tenant of
//! one reseller (`PATCH /reseller/tenant/{codeName}`, one `tenant.updated` event per write,
//! one endpoint, a local receiver answering 200), the same burst from eight resellers (one
//! writer each, to see whether one reseller's event sequence limits its writers), then paced
//! writes at 50/s for the latency from a write to its webhook's arrival, then the drain of a
//! 2,000-event backlog, on a fresh queue and after 100,000 earlier deliveries (the median of
//! [`DRAINS`] drains at each, the two alternating, each on a database of its own).
//!
//! On PostgreSQL the write burst's database work is read from the server's statistics before
//! and after (the deliveries' work included, as it is part of what a write costs): commits
//! from `pg_stat_database`, WAL bytes from `pg_stat_wal`, statements from `pg_stat_statements`
//! when the server preloads it. The burst then runs again with `pg_stat_activity` sampled,
//! for where one reseller's writers spend their time ([`WriterStates`]).

use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Concurrent writers of the burst, each on its own tenant.
const WRITERS: usize = 8;
/// Writes of the burst, in all.
const WRITES: usize = 2000;
/// Writes of the latency phase, one every 20 ms (50/s): 20 s, so the p99 is the tenth
/// slowest write (with 200 it was the second slowest, and swung 5–12 ms between runs).
const PACED_WRITES: usize = 1000;
const PACE: Duration = Duration::from_millis(20);
/// The backlog drained (two sandbox fills of 1,000 orders, one `order.created` each).
const BACKLOG: usize = 2000;
/// Deliveries made between the two drains, so the second runs on a queue with history.
const HISTORY: usize = 100_000;
/// Drains timed at each point, the median reported (the fresh queue's five come after 0 to
/// 8,000 deliveries): one drain lasts well under a second, and the ratio of two single
/// drains read 0.65 to 1.43 across one day's runs of nearly the same build; with medians of
/// three it still read 0.85 to 1.02 across seven runs of one build.
pub const DRAINS: usize = 5;
/// Pairs of bursts (one reseller, then eight) for the one ÷ eight ratio, the median reported.
/// A single burst of eight resellers after the measured one-reseller burst compared a first
/// burst (fewest rows, coldest caches) with a third: the ratio read 0.78–1.18 across four runs
/// of one session, and 0.78 for two builds of which one had no row to wait for.
pub const SPREAD_PAIRS: usize = 3;

pub struct WebhookFigures {
    /// Writes answered per second by the eight writers.
    pub writes_per_s: f64,
    /// Writes answered per second by the same eight writers, and by eight writers each a
    /// reseller of its own, in bursts alternated pair by pair ([`SPREAD_PAIRS`]): whether
    /// something one reseller's writers share (its event sequence row, for one) limits them.
    pub spread_pairs: Vec<(f64, f64)>,
    /// Their webhooks arrived per second, from the first write's start to the last arrival.
    pub delivered_per_s: f64,
    /// Paced writes, from the request's start to its webhook's arrival.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// What each write of the burst cost the database (PostgreSQL only).
    pub per_write: Option<DatabaseWork>,
    /// What each write of the burst cost in CPU.
    pub cpu: CpuPerWrite,
    /// Where one reseller's writers spend their time in PostgreSQL (PostgreSQL only).
    pub writer_states: Option<WriterStates>,
    /// Events per second draining a backlog of 2,000: on a fresh queue, and after 100,000
    /// earlier deliveries.
    pub drain_fresh: f64,
    pub drain_after_history: f64,
    /// Every drain's events/s, fresh and after history, in the order they ran.
    pub drains: Vec<(f64, f64)>,
    /// Where the two drains' reads went (PostgreSQL only).
    pub drain_reads: Option<(DrainReads, DrainReads)>,
    /// Deliveries that arrived again with a `webhook-id` already seen (not counted above).
    pub repeats: usize,
}

/// Milliseconds of CPU per write of the burst: the whole machine's (every core's busy time),
/// the server process's and PostgreSQL's (all its processes); the rest is the bench's own
/// clients and receiver.
pub struct CpuPerWrite {
    pub machine_ms: f64,
    pub server_ms: f64,
    pub postgres_ms: f64,
}

/// CPU seconds used so far: by the machine, by process `server`, by PostgreSQL's processes.
/// Linux's `/proc` counts in clock ticks of 1/100 s.
fn cpu_seconds(server: u32) -> Result<[f64; 3], String> {
    const TICK: f64 = 0.01;
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let machine: f64 = read("/proc/stat")?
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .enumerate()
        // user, nice, system, (idle, iowait skipped), irq, softirq, steal
        .filter(|(i, _)| ![3, 4].contains(i) && *i < 8)
        .map(|(_, n)| n.parse::<f64>().unwrap_or(0.0))
        .sum();
    // utime and stime: the 14th and 15th fields, the 12th and 13th after the command's `)`.
    let process = |pid: &str| -> f64 {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
            })
            .unwrap_or(0.0)
    };
    let mut postgres = 0.0;
    for entry in std::fs::read_dir("/proc").map_err(|e| e.to_string())? {
        let name = entry.map_err(|e| e.to_string())?.file_name();
        let pid = name.to_string_lossy();
        if pid.bytes().all(|b| b.is_ascii_digit())
            && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        {
            postgres += process(&pid);
        }
    }
    Ok([
        machine * TICK,
        process(&server.to_string()) * TICK,
        postgres * TICK,
    ])
}

/// Where a burst's writers spend their time in PostgreSQL: the backends seen in each state
/// (a wait event, `running`, or `idle in transaction` while the server works between
/// statements) per sample of `pg_stat_activity`, most first. By Little's law a state's
/// figure divided by the writes per second is its time per write.
pub struct WriterStates(pub Vec<(String, f64)>);

/// How often [`StateSampler`] samples.
const SAMPLE_EVERY: Duration = Duration::from_millis(5);

/// `pg_stat_activity` sampled every [`SAMPLE_EVERY`] by one `psql` session, not a process
/// per sample, until [`StateSampler::finish`].
struct StateSampler {
    stop: Arc<std::sync::atomic::AtomicBool>,
    asking: std::thread::JoinHandle<()>,
    counting: std::thread::JoinHandle<(usize, HashMap<String, usize>)>,
}

impl StateSampler {
    fn start(url: &str) -> Result<StateSampler, String> {
        use std::process::Stdio;
        const SAMPLE: &str = "SELECT CASE WHEN state = 'idle in transaction' THEN state \
            ELSE coalesce(wait_event_type || ':' || wait_event, 'running') END \
            FROM pg_stat_activity WHERE datname = current_database() \
            AND backend_type = 'client backend' AND pid <> pg_backend_pid() \
            AND state IN ('active', 'idle in transaction'); SELECT '--';";
        let mut psql = Command::new("psql")
            .args([url, "-Atq"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("psql: {e}"))?;
        let (mut stdin, stdout) = (psql.stdin.take(), psql.stdout.take());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let asking = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(input) = &mut stdin {
                        if writeln!(input, "{SAMPLE}").is_err() {
                            break;
                        }
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
                drop(stdin);
                let _ = psql.wait();
            })
        };
        let counting = std::thread::spawn(move || {
            let (mut samples, mut seen) = (0, HashMap::new());
            for line in stdout.into_iter().flat_map(|o| BufReader::new(o).lines()) {
                match line.as_deref() {
                    Ok("--") => samples += 1,
                    Ok(state) => *seen.entry(state.to_owned()).or_default() += 1,
                    Err(_) => break,
                }
            }
            (samples, seen)
        });
        Ok(StateSampler {
            stop,
            asking,
            counting,
        })
    }

    fn finish(self) -> Result<WriterStates, String> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.asking.join().map_err(|_| "the sampler panicked")?;
        let (samples, seen) = self.counting.join().map_err(|_| "the sampler panicked")?;
        if samples == 0 {
            return Err("pg_stat_activity was never sampled".into());
        }
        let mut states: Vec<(String, f64)> = seen
            .into_iter()
            .map(|(state, n)| (state, n as f64 / samples as f64))
            .collect();
        states.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(WriterStates(states))
    }
}

/// Per write, from PostgreSQL's statistics.
pub struct DatabaseWork {
    pub commits: f64,
    pub wal_bytes: f64,
    /// `None` when `pg_stat_statements` is not loaded.
    pub statements: Option<f64>,
    /// The WAL's biggest record kinds, bytes per write each, and the bytes per write of the
    /// full-page images among all kinds (`None` when `pg_walinspect` cannot be created).
    pub wal_records: Option<(Vec<(String, f64)>, f64)>,
}

/// Where the WAL between `start` and `end` went, per write: its eight biggest record kinds
/// and the full-page images among all, from `pg_walinspect` (PostgreSQL 15's contrib).
fn wal_records(
    url: &str,
    start: &str,
    end: &str,
    writes: usize,
) -> Option<(Vec<(String, f64)>, f64)> {
    query_row(url, "CREATE EXTENSION IF NOT EXISTS pg_walinspect").ok()?;
    let stats = format!("pg_get_wal_stats('{start}', '{end}', true)");
    let row = query_row(
        url,
        &format!(
            "SELECT (SELECT string_agg(kind || '=' || bytes, ',') FROM ( \
               SELECT \"resource_manager/record_type\" AS kind, combined_size AS bytes \
               FROM {stats} ORDER BY combined_size DESC LIMIT 8) top), \
             (SELECT sum(fpi_size) FROM {stats})"
        ),
    )
    .ok()?;
    let per = |bytes: &str| bytes.parse::<f64>().ok().map(|b| b / writes as f64);
    let kinds = row
        .first()?
        .split(',')
        .filter_map(|pair| {
            let (kind, bytes) = pair.rsplit_once('=')?;
            Some((kind.to_owned(), per(bytes)?))
        })
        .collect();
    Some((kinds, per(row.get(1)?)?))
}

/// What the receiver has seen: how many of each event type, the last arrival, and the
/// arrival time of each `tenant.updated` by its `fullName` (the paced writes name themselves).
/// Counted once per `webhook-id`, as a receiver deduplicates: a delivery made again (its
/// lease ended before its outcome was recorded) is counted in `repeats` only.
#[derive(Default)]
struct Seen {
    counts: HashMap<String, usize>,
    ids: HashSet<String>,
    repeats: usize,
    last: Option<Instant>,
    updated_at: HashMap<String, Instant>,
    /// Every `order.created`'s arrival, in order: the drains are timed on them.
    orders: Vec<Instant>,
}

type Arrivals = Arc<(Mutex<Seen>, Condvar)>;

/// A keep-alive HTTP receiver that answers 200 and records each event's arrival.
fn receiver() -> Result<(String, Arrivals), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let arrivals: Arrivals = Arc::default();
    let shared = arrivals.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let shared = shared.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut writer = stream.try_clone()?;
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    let (mut length, mut id) = (0, String::new());
                    loop {
                        line.clear();
                        reader.read_line(&mut line)?;
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            } else if k.eq_ignore_ascii_case("webhook-id") {
                                id = v.trim().to_owned();
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body)?;
                    let at = Instant::now();
                    writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")?;
                    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let kind = event["type"].as_str().unwrap_or_default();
                    let (seen, changed) = &*shared;
                    let mut seen = seen.lock().unwrap();
                    if !seen.ids.insert(id) {
                        seen.repeats += 1;
                        continue;
                    }
                    *seen.counts.entry(kind.to_owned()).or_default() += 1;
                    seen.last = Some(at);
                    if kind == "order.created" {
                        seen.orders.push(at);
                    }
                    if kind == "tenant.updated" {
                        if let Some(name) = event["data"]["fullName"].as_str() {
                            seen.updated_at.insert(name.to_owned(), at);
                        }
                    }
                    changed.notify_all();
                }
            });
        }
    });
    Ok((url, arrivals))
}

/// Waits until `n` webhooks of `kind` have arrived in all; returns the last arrival's time.
/// Gives up when a minute passes with none arriving, and says every 20 s how far it is.
fn wait_for(arrivals: &Arrivals, kind: &str, n: usize) -> Result<Instant, String> {
    let (seen, changed) = &**arrivals;
    let mut guard = seen.lock().unwrap();
    let (mut progress, mut told) = (guard.counts.get(kind).copied().unwrap_or(0), Instant::now());
    let mut moved = Instant::now();
    loop {
        let got = guard.counts.get(kind).copied().unwrap_or(0);
        if got >= n {
            return Ok(guard.last.expect("something arrived"));
        }
        if got > progress {
            moved = Instant::now();
        }
        if told.elapsed() > Duration::from_secs(20) {
            eprintln!(
                "   {got} of {n} {kind} webhooks ({:.0}/s in the last 20 s)",
                (got - progress) as f64 / told.elapsed().as_secs_f64()
            );
            (progress, told) = (got, Instant::now());
        }
        if moved.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "only {got} of {n} {kind} webhooks arrived, none for a minute"
            ));
        }
        guard = changed
            .wait_timeout(guard, Duration::from_secs(1))
            .unwrap()
            .0;
    }
}

/// A client of one server's Reseller API with the bench key.
struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Client {
    fn new(base: &str, key: &str) -> Client {
        Client {
            agent: ureq::agent(),
            base: base.to_owned(),
            key: key.to_owned(),
        }
    }

    fn send(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        self.agent
            .request(method, &format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.key))
            .set("Content-Type", "application/json")
            .send_string(&body.to_string())
            .map_err(|e| format!("{method} {path}: {e}"))?
            .into_json()
            .map_err(|e| e.to_string())
    }

    /// Subscribes an endpoint at `url` to `event_types`.
    fn endpoint(&self, url: &str, event_types: &[&str]) -> Result<(), String> {
        self.send(
            "POST",
            "/reseller/webhook",
            json!({"url": url, "eventTypes": event_types}),
        )
        .map(drop)
    }

    /// Fills the tenant's sandbox with `count` orders, a request per 1,000 (one
    /// `order.created` each).
    fn orders(&self, code_name: &str, count: usize) -> Result<(), String> {
        for _ in 0..count / 1000 {
            self.send(
                "POST",
                &format!("/reseller/tenant/{code_name}/sandbox/order"),
                json!({"count": 1000}),
            )?;
        }
        Ok(())
    }

    /// Creates a tenant with this customerReference; returns its codeName.
    fn tenant(&self, reference: &str) -> Result<String, String> {
        let made = self.send(
            "POST",
            "/reseller/tenant",
            json!({"customerReference": reference, "fullName": "W",
                   "email": "w@x.example", "defaultLanguage": "swe"}),
        )?;
        Ok(made["codeName"].as_str().ok_or("no codeName")?.to_owned())
    }
}

/// One row of `sql`'s answer on `url`, as text fields.
fn query_row(url: &str, sql: &str) -> Result<Vec<String>, String> {
    let out = Command::new("psql")
        .args([url, "-Atq", "-F", "\t", "-c", sql])
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim()
        .split('\t')
        .map(str::to_owned)
        .collect())
}

/// The counters the per-write figures are deltas of: commits, the WAL's position in bytes,
/// statements; and that position as PostgreSQL writes it, for `pg_walinspect`.
fn database_counters(url: &str, statements: bool) -> Result<([f64; 3], String), String> {
    // A backend reports its commits at a transaction's end at most once a second, and one
    // that then goes idle only after 10 s (PostgreSQL 15's PGSTAT_IDLE_INTERVAL): read
    // sooner, a burst's last second of commits was missing (commits and WAL per write from
    // pg_stat_wal read 1.6–2.7 across runs of one build). The WAL is read from its position,
    // which is exact at once.
    std::thread::sleep(Duration::from_secs(11));
    let calls = if statements {
        "(SELECT sum(calls) FROM pg_stat_statements WHERE dbid = d.datid)"
    } else {
        "0"
    };
    let row = query_row(
        url,
        &format!(
            "SELECT d.xact_commit, pg_wal_lsn_diff(w.lsn, '0/0'), {calls}, w.lsn \
             FROM pg_stat_database d, (SELECT pg_current_wal_lsn() AS lsn) w \
             WHERE d.datname = current_database()"
        ),
    )?;
    let number = |i: usize| -> Result<f64, String> {
        row.get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("unreadable statistics: {row:?}"))
    };
    let position = row.get(3).cloned().ok_or("no WAL position")?;
    Ok(([number(0)?, number(1)?, number(2)?], position))
}

/// Rows and index entries each table has had read (sequential scans' rows plus index
/// scans' entries), from PostgreSQL's statistics.
fn rows_read(url: &str) -> Result<HashMap<String, f64>, String> {
    std::thread::sleep(Duration::from_millis(1500));
    let row = query_row(
        url,
        "SELECT string_agg(relname || '=' || reads, ',') FROM ( \
           SELECT t.relname, t.seq_tup_read + coalesce(sum(i.idx_tup_read), 0) AS reads \
           FROM pg_stat_user_tables t LEFT JOIN pg_stat_user_indexes i USING (relid) \
           GROUP BY t.relname, t.seq_tup_read) s",
    )?;
    row.first()
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (table, reads) = pair.split_once('=').ok_or("unreadable statistics")?;
            Ok((
                table.to_owned(),
                reads.parse().map_err(|_| "unreadable statistics")?,
            ))
        })
        .collect()
}

/// Where a drain's reads went: rows and index entries read per delivery in all, and the
/// three tables that read the most, with theirs.
pub struct DrainReads {
    pub per_delivery: f64,
    pub top_tables: Vec<(String, f64)>,
}

impl std::fmt::Display for DrainReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.0} (", self.per_delivery)?;
        for (i, (table, n)) in self.top_tables.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{table} {n:.0}")?;
        }
        write!(f, ")")
    }
}

fn drain_reads(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    deliveries: usize,
) -> DrainReads {
    let mut deltas: Vec<(&String, f64)> = after
        .iter()
        .map(|(table, n)| (table, n - before.get(table).copied().unwrap_or(0.0)))
        .collect();
    deltas.sort_by(|a, b| b.1.total_cmp(&a.1));
    let per = |n: f64| n / deliveries as f64;
    DrainReads {
        per_delivery: per(deltas.iter().map(|d| d.1).sum()),
        top_tables: deltas
            .iter()
            .take(3)
            .map(|(table, n)| ((*table).clone(), per(*n)))
            .collect(),
    }
}

/// Whether `pg_stat_statements` can be read on `url` (the server preloads it).
fn has_statement_statistics(url: &str) -> bool {
    query_row(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").is_ok()
        && query_row(url, "SELECT count(*) FROM pg_stat_statements").is_ok()
}

/// `WRITES` writes from one thread per (key, tenant) of `writers`, each patching its tenant;
/// returns when the last was answered.
fn burst(base: &str, writers: &[(&str, &str)]) -> Result<Instant, String> {
    let answered = std::thread::scope(|scope| {
        let threads: Vec<_> = writers
            .iter()
            .map(|(key, code_name)| {
                let client = Client::new(base, key);
                let writes = WRITES / writers.len();
                scope.spawn(move || -> Result<Instant, String> {
                    for i in 0..writes {
                        client.send(
                            "PATCH",
                            &format!("/reseller/tenant/{code_name}"),
                            json!({"fullName": format!("{code_name} burst {i}")}),
                        )?;
                    }
                    Ok(Instant::now())
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|w| w.join().map_err(|_| "a writer panicked".to_owned())?)
            .collect::<Result<Vec<Instant>, String>>()
    })?;
    answered
        .into_iter()
        .max()
        .ok_or_else(|| "no writers".into())
}

/// Turns autovacuum off on the queue's tables, the comparison's conditions whatever the
/// server's defaults: nothing cleans the queue behind the workers' backs.
fn without_autovacuum(url: &str) -> Result<(), String> {
    super::bench::psql(
        url,
        "ALTER TABLE webhook_deliveries SET (autovacuum_enabled = false); \
         ALTER TABLE webhook_attempts SET (autovacuum_enabled = false); \
         ALTER TABLE events SET (autovacuum_enabled = false)",
    )
}

/// A database a backlog is drained on: a reseller's key, and its tenant whose sandbox fills
/// make the backlog.
struct DrainTarget<'a> {
    url: &'a str,
    key: String,
    code_name: String,
}

/// Sets up `url` to drain on: a reseller with an endpoint at `hook_url` for `order.created`,
/// and a tenant.
fn drain_target<'a>(bin: &Path, url: &'a str, hook_url: &str) -> Result<DrainTarget<'a>, String> {
    let key = super::bench::reseller_with_key(bin, url, "drain")?;
    if url.starts_with("postgres") {
        without_autovacuum(url)?;
    }
    let server = super::bench::start_server_with(
        bin,
        url,
        &["--webhook-workers", "0", "--webhook-allow-private"],
    )?;
    let client = Client::new(&server.base, &key);
    client.endpoint(hook_url, &["order.created"])?;
    let code_name = client.tenant("drain")?;
    Ok(DrainTarget {
        url,
        key,
        code_name,
    })
}

/// One drain: a backlog of [`BACKLOG`] `order.created` queued on `target` while no process
/// delivers, then a delivering process started. Returns its events/s, from the backlog's
/// first arrival to its last (the server's start is not counted), and on PostgreSQL where
/// its reads went. `delivered_orders` counts the `order.created` webhooks arrived so far.
fn drain(
    bin: &Path,
    target: &DrainTarget,
    arrivals: &Arrivals,
    delivered_orders: &mut usize,
) -> Result<(f64, Option<DrainReads>), String> {
    let postgres = target.url.starts_with("postgres");
    let queuing = super::bench::start_server_with(bin, target.url, &["--webhook-workers", "0"])?;
    Client::new(&queuing.base, &target.key).orders(&target.code_name, BACKLOG)?;
    drop(queuing);
    let before = postgres.then(|| rows_read(target.url)).transpose()?;
    let delivering =
        super::bench::start_server_with(bin, target.url, &["--webhook-allow-private"])?;
    let first = *delivered_orders;
    *delivered_orders += BACKLOG;
    wait_for(arrivals, "order.created", *delivered_orders)?;
    drop(delivering);
    let reads = match before {
        Some(before) => Some(drain_reads(&before, &rows_read(target.url)?, BACKLOG)),
        None => None,
    };
    let seen = arrivals.0.lock().unwrap();
    let span = seen.orders[*delivered_orders - 1] - seen.orders[first];
    Ok(((BACKLOG - 1) as f64 / span.as_secs_f64(), reads))
}

/// The median drain of `drains` (by events/s).
fn median(mut drains: Vec<(f64, Option<DrainReads>)>) -> (f64, Option<DrainReads>) {
    drains.sort_by(|a, b| a.0.total_cmp(&b.0));
    drains.swap_remove(drains.len() / 2)
}

/// The bench on `url`, with the drains after history on `history_url` (see [`DrainTarget`]).
pub fn bench(bin: &Path, url: &str, history_url: &str) -> Result<WebhookFigures, String> {
    let postgres = url.starts_with("postgres");
    let key = super::bench::bench_reseller(bin, url)?;
    if postgres {
        without_autovacuum(url)?;
    }
    let (hook_url, arrivals) = receiver()?;
    let delivering = super::bench::start_server_with(bin, url, &["--webhook-allow-private"])?;
    let client = Client::new(&delivering.base, &key);
    client.endpoint(&hook_url, &["order.created", "tenant.updated"])?;
    let tenants = (0..WRITERS)
        .map(|i| client.tenant(&format!("writer-{i}")))
        .collect::<Result<Vec<String>, String>>()?;

    // The burst: eight writers, each patching its own tenant, 2,000 writes in all.
    let statements = postgres && has_statement_statistics(url);
    let before = postgres
        .then(|| database_counters(url, statements))
        .transpose()?;
    let cpu_before = cpu_seconds(delivering.pid())?;
    let started = Instant::now();
    let one_reseller: Vec<(&str, &str)> =
        tenants.iter().map(|t| (key.as_str(), t.as_str())).collect();
    let last_answer = burst(&delivering.base, &one_reseller)?;
    let last_arrival = wait_for(&arrivals, "tenant.updated", WRITES)?;
    let cpu_after = cpu_seconds(delivering.pid())?;
    let cpu_ms = |i: usize| (cpu_after[i] - cpu_before[i]) * 1e3 / WRITES as f64;
    let cpu = CpuPerWrite {
        machine_ms: cpu_ms(0),
        server_ms: cpu_ms(1),
        postgres_ms: cpu_ms(2),
    };
    let writes_per_s = WRITES as f64 / (last_answer - started).as_secs_f64();
    let delivered_per_s = WRITES as f64 / (last_arrival - started).as_secs_f64();
    let per_write = match before {
        Some((before, wal_start)) => {
            let (after, wal_end) = database_counters(url, statements)?;
            let per = |i: usize| (after[i] - before[i]) / WRITES as f64;
            Some(DatabaseWork {
                // The statistics query's own commit is not the writes'.
                commits: per(0) - 1.0 / WRITES as f64,
                wal_bytes: per(1),
                statements: statements.then(|| per(2)),
                wal_records: wal_records(url, &wal_start, &wal_end, WRITES),
            })
        }
        None => None,
    };
    let mut bursts = 1;

    // The burst again, with PostgreSQL's backends sampled: apart, so the sampling's own cost
    // stays out of the figures above.
    let writer_states = if postgres {
        let sampler = StateSampler::start(url)?;
        burst(&delivering.base, &one_reseller)?;
        bursts += 1;
        Some(sampler.finish()?)
    } else {
        None
    };
    wait_for(&arrivals, "tenant.updated", bursts * WRITES)?;

    // The same burst from eight resellers, one writer each: its events take eight sequence
    // rows where the first burst's all took one reseller's. Alternated with the one
    // reseller's burst, pair by pair, so both see the same tables and the same hour.
    let spread = (0..WRITERS)
        .map(|i| {
            let key = super::bench::reseller_with_key(bin, url, &format!("spread-{i}"))?;
            let client = Client::new(&delivering.base, &key);
            client.endpoint(&hook_url, &["tenant.updated"])?;
            let code_name = client.tenant("writer")?;
            Ok((key, code_name))
        })
        .collect::<Result<Vec<(String, String)>, String>>()?;
    let eight_resellers: Vec<(&str, &str)> = spread
        .iter()
        .map(|(k, t)| (k.as_str(), t.as_str()))
        .collect();
    let mut spread_pairs = Vec::with_capacity(SPREAD_PAIRS);
    for _ in 0..SPREAD_PAIRS {
        let mut rate = |writers: &[(&str, &str)]| -> Result<f64, String> {
            let started = Instant::now();
            let answered = burst(&delivering.base, writers)?;
            bursts += 1;
            wait_for(&arrivals, "tenant.updated", bursts * WRITES)?;
            Ok(WRITES as f64 / (answered - started).as_secs_f64())
        };
        let one = rate(&one_reseller)?;
        let eight = rate(&eight_resellers)?;
        spread_pairs.push((one, eight));
    }

    // Latency: writes at 50/s, each from its request's start to its webhook's arrival.
    let mut sent = HashMap::new();
    let paced_start = Instant::now();
    for i in 0..PACED_WRITES {
        let due = paced_start + PACE * i as u32;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let name = format!("paced {i}");
        sent.insert(name.clone(), Instant::now());
        client.send(
            "PATCH",
            &format!("/reseller/tenant/{}", tenants[i % WRITERS]),
            json!({ "fullName": name }),
        )?;
    }
    wait_for(&arrivals, "tenant.updated", bursts * WRITES + PACED_WRITES)?;
    let mut latencies: Vec<f64> = {
        let seen = arrivals.0.lock().unwrap();
        sent.iter()
            .filter_map(|(name, at)| Some((*seen.updated_at.get(name)? - *at).as_secs_f64() * 1e3))
            .collect()
    };
    if latencies.len() != PACED_WRITES {
        return Err(format!(
            "{} of {PACED_WRITES} paced webhooks matched their writes",
            latencies.len()
        ));
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    let (p50_ms, p99_ms) = (pct(0.5), pct(0.99));
    drop(delivering);

    // The drains, alternating between this database (a fresh queue: the writes above were
    // handed off, with no queue rows) and one with 100,000 earlier deliveries, so that a slow
    // minute of the machine falls on both alike. Run one side after the other, the ratio of
    // their medians read 0.81 to 1.16 across one day's runs of one build, while the drains
    // of one side spread ±12 % within a run.
    let fresh = DrainTarget {
        url,
        key,
        code_name: tenants[0].clone(),
    };
    let history = drain_target(bin, history_url, &hook_url)?;
    let mut delivered_orders = 0;
    {
        // History: 100,000 deliveries made and done.
        let delivering =
            super::bench::start_server_with(bin, history_url, &["--webhook-allow-private"])?;
        Client::new(&delivering.base, &history.key).orders(&history.code_name, HISTORY)?;
        delivered_orders += HISTORY;
        wait_for(&arrivals, "order.created", delivered_orders)?;
    }
    let (mut fresh_drains, mut history_drains) = (Vec::new(), Vec::new());
    for _ in 0..DRAINS {
        fresh_drains.push(drain(bin, &fresh, &arrivals, &mut delivered_orders)?);
        history_drains.push(drain(bin, &history, &arrivals, &mut delivered_orders)?);
    }
    let drains = fresh_drains
        .iter()
        .zip(&history_drains)
        .map(|(f, h)| (f.0, h.0))
        .collect();
    let (drain_fresh, drain_fresh_reads) = median(fresh_drains);
    let (drain_after_history, drain_after_history_reads) = median(history_drains);
    let repeats = arrivals.0.lock().unwrap().repeats;
    Ok(WebhookFigures {
        writes_per_s,
        spread_pairs,
        delivered_per_s,
        p50_ms,
        p99_ms,
        per_write,
        cpu,
        writer_states,
        drain_fresh,
        drain_after_history,
        drains,
        drain_reads: drain_fresh_reads.zip(drain_after_history_reads),
        repeats,
    })
}
