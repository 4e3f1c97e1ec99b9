//! `cargo xtask bench`: the figures the issues ask for, measured in one run against a release
//! build of `tenantry serve` on SQLite and on PostgreSQL, over real HTTP on loopback.
//!
//! - tenant onboarding throughput: the full flow (tenant + user + connection + login URL) at
//!   16 concurrent clients, in flows/s and requests/s;
//! - `GET /reseller/tenant/{codeName}` with Basic auth as a ratio to the same with Bearer
//!   (goal ≥ 0.9: password hashing must not sit on every request).

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const FLOW_SECONDS: u64 = 6;
const READ_SECONDS: u64 = 3;

struct Options {
    postgres: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut postgres = Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--sqlite-only" => postgres = None,
            "--postgres" => {
                i += 1;
                postgres = Some(args.get(i).ok_or("--postgres needs a URL")?.clone());
            }
            other => return Err(format!("unknown bench option {other}")),
        }
        i += 1;
    }
    Ok(Options { postgres })
}

pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    crate::status(
        Command::new(env!("CARGO"))
            .current_dir(crate::root())
            .args(["build", "--release", "--quiet", "-p", "tenantry"]),
    )?;
    let bin = crate::root().join("target/release/tenantry");
    let mut results = Vec::new();
    let sqlite_path =
        std::env::temp_dir().join(format!("tenantry-bench-{}.db", std::process::id()));
    results.push((
        "SQLite",
        bench_backend(&bin, &format!("sqlite://{}", sqlite_path.display()))?,
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
    }
    if let Some(admin) = options.postgres {
        let name = format!("tenantry_bench_{}", std::process::id());
        psql(&admin, &format!("CREATE DATABASE {name}"))?;
        let (base, _) = admin.rsplit_once('/').ok_or("bad PostgreSQL URL")?;
        let outcome = bench_backend(&bin, &format!("{base}/{name}"));
        psql(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )?;
        results.push(("PostgreSQL", outcome?));
    }
    println!();
    println!(
        "Tenantry bench — {CLIENTS} concurrent clients on loopback, release build, {} CPU(s)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
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
    for (name, r) in &results {
        println!(
            "{:<11} {:>10.1} {:>10.1} {:>12.0} {:>12.0} {:>10.2} {:>10.2} {:>12.3}",
            name,
            r.flows_per_s,
            r.flows_per_s * 4.0,
            r.bearer_per_s,
            r.basic_per_s,
            r.p50_ms,
            r.p99_ms,
            r.basic_per_s / r.bearer_per_s
        );
    }
    println!("goal: basic÷bearer ≥ 0.9");
    Ok(())
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
    bearer_per_s: f64,
    basic_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(bin: &std::path::Path, url: &str, args: &[&str]) -> Result<Value, String> {
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

fn bench_backend(bin: &std::path::Path, url: &str) -> Result<Figures, String> {
    cli(
        bin,
        url,
        &["reseller", "create", "--code", "bench", "--name", "Bench"],
    )?;
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
    let key = cli(
        bin,
        url,
        &["reseller", "key", "create", "--reseller", "bench"],
    )?;
    let password = user["password"].as_str().unwrap().to_owned();
    let key = key["key"].as_str().unwrap().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| e.to_string())?
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(bin)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--no-bootstrap",
            ])
            .env("TENANTRY_DATABASE_URL", url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("{base}/healthz")).call().is_err() {
        if Instant::now() > deadline {
            return Err("the server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
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
    for _ in 0..2 {
        bearer_runs.push(read(&bearer)?);
        basic_runs.push(read(&basic)?);
    }
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
