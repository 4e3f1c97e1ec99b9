//! `tenantry serve` as a real child process, for tests that kill, restart or run several.

use super::TestDb;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tenantry");

/// A `tenantry serve` process.
pub struct Serve {
    pub child: Child,
    pub base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn serve(db: &TestDb, dir: &Path) -> Serve {
    serve_with(db, dir, &[], &[])
}

/// `tenantry serve` with extra arguments and environment.
pub fn serve_with(db: &TestDb, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Serve {
    let port = free_port();
    let child = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
        ])
        .args(args)
        .env("TENANTRY_DATABASE_URL", &db.url)
        .env(
            "TENANTRY_CREDENTIALS_FILE",
            dir.join("tenantry-credentials.json"),
        )
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tenantry serve");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = ureq::get(&format!("{base}/readyz")).call() {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "tenantry serve was not ready within a minute"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Serve { child, base }
}

/// A directory for a process's files (its credentials file), removed with what it holds
/// when dropped: declare it before the processes that use it, so they stop first.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh [`TempDir`].
pub fn temp_dir(label: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!(
        "tenantry-{label}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Reseller `acme`, its rate set to `per_minute`, and a key of every scope, made by the
/// operator's commands on the test database (for processes started without the bootstrap).
pub fn operator_reseller(db: &TestDb, per_minute: i64) -> (super::Auth, uuid::Uuid) {
    let database = db.connect();
    tenantry_server::admin::create_reseller(&database, "acme", "Acme", "", vec![]).unwrap();
    tenantry_server::admin::update_reseller(&database, "acme", Some(per_minute), None).unwrap();
    let key = tenantry_server::admin::create_key(
        &database,
        "acme",
        "test",
        tenantry_domain::Environment::Sandbox,
        &[],
    )
    .unwrap();
    (super::Auth::Bearer(key.key), key.id)
}
