//! What every part of the bench uses: tools, fresh databases, a served release build, the
//! operator CLI, a load generator, medians.

use super::*;

/// Installs a Debian package when its command is missing (the bench's load generators).
pub(super) fn require_tool(command: &str, package: &str) -> Result<(), String> {
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

pub(super) struct Tools {
    pub(super) bin: PathBuf,
    pub(super) data: PathBuf,
}

/// Runs `f` on a fresh database: a temporary SQLite file, or a new PostgreSQL database on the
/// server `admin` reaches; removes it afterwards.
pub(super) fn with_database<T>(
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

pub(crate) fn psql(admin: &str, sql: &str) -> Result<(), String> {
    crate::status(
        Command::new("psql")
            .args([admin, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdout(Stdio::null()),
    )
}

pub(crate) struct Server {
    pub(super) child: Child,
    pub(crate) base: String,
}

impl Server {
    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Stops the server as an operator does (SIGTERM): it finishes its requests, records its
/// webhook workers' outcomes and hands back the deliveries still waiting. Killed outright, it
/// left its last deliveries leased for a minute and made again when the lease ended, as after
/// any crash; those repeats then arrived in the middle of a later phase of the bench (the
/// "drain after 100,000 deliveries" read ~400 events/s in half the runs). Killed after 10 s.
impl Drop for Server {
    fn drop(&mut self) {
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while terminated && Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tenantry serve` on a free loopback port and waits for `/healthz`.
pub(super) fn start_server(bin: &Path, url: &str) -> Result<Server, String> {
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

pub(super) fn cli(bin: &Path, url: &str, args: &[&str]) -> Result<Value, String> {
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
fn raise_rate_limit(bin: &Path, url: &str, code: &str) -> Result<(), String> {
    cli(
        bin,
        url,
        &[
            "reseller",
            "update",
            "--code",
            code,
            "--rate-limit",
            "1000000",
        ],
    )
    .map(drop)
}

/// Creates the `bench` reseller (rate limit out of the way); returns an API key of it.
pub(crate) fn bench_reseller(bin: &Path, url: &str) -> Result<String, String> {
    reseller_with_key(bin, url, "bench")
}

/// Creates the reseller `code` without a rate limit to speak of; returns a key of it.
pub(crate) fn reseller_with_key(bin: &Path, url: &str, code: &str) -> Result<String, String> {
    cli(
        bin,
        url,
        &["reseller", "create", "--code", code, "--name", code],
    )?;
    raise_rate_limit(bin, url, code)?;
    let key = cli(bin, url, &["reseller", "key", "create", "--reseller", code])?;
    Ok(key["key"].as_str().ok_or("no key")?.to_owned())
}

pub(super) struct Load {
    pub(super) count: u64,
    pub(super) seconds: f64,
    pub(super) latencies: Vec<Duration>,
}

/// Runs `op` from `clients` threads for `seconds`; each thread has its own keep-alive agent.
pub(super) fn load<F>(clients: usize, seconds: u64, op: F) -> Result<Load, String>
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

/// The median of `values` (sorted in place).
pub(super) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
