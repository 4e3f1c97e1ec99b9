//! Rate limits shared across processes: two real `tenantry serve` processes on one database
//! and one real Redis (`--rate-limit-store`), started by the test on a port of its own so it can
//! be stopped mid-test. A principal gets exactly its limit across both; with Redis gone each
//! process limits on its own and counts the failure; with Redis back the limit is shared again.

mod common;

use common::process::{free_port, operator_reseller, serve_with, temp_dir, Serve};
use common::{agent, send, Auth, TestDb};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REDIS: &str = "/usr/bin/redis-server";

/// A Redis server of the test's own, killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start_on(port: u16) -> Redis {
        assert!(
            std::path::Path::new(REDIS).exists(),
            "{REDIS} is missing: the shared rate-limit tests need Redis's server"
        );
        let child = Command::new(REDIS)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn two_processes(db: &TestDb, redis: &Redis) -> (Serve, Serve) {
    let dir = temp_dir("shared-limits");
    let args = ["--rate-limit-store", &redis.url()];
    let quiet = [("TENANTRY_NO_BOOTSTRAP", "true")];
    (
        serve_with(db, &dir, &args, &quiet),
        serve_with(db, &dir, &args, &quiet),
    )
}

/// Sends `n` requests alternately to each process; returns each answer's status and
/// `RateLimit-Remaining`.
fn alternate(processes: [&Serve; 2], auth: &Auth, n: usize) -> Vec<(u16, Option<u32>)> {
    (0..n)
        .map(|i| {
            let r = send(
                &agent(),
                "GET",
                &format!("{}/reseller/tenant", processes[i % 2].base),
                auth,
                None,
            );
            let remaining = r.header("ratelimit-remaining").map(|v| v.parse().unwrap());
            (r.status, remaining)
        })
        .collect()
}

fn admitted(answers: &[(u16, Option<u32>)]) -> usize {
    answers.iter().filter(|(s, _)| *s == 200).count()
}

fn store_errors(process: &Serve) -> u64 {
    let text = send(
        &agent(),
        "GET",
        &format!("{}/metrics", process.base),
        &Auth::None,
        None,
    )
    .text;
    text.lines()
        .find_map(|l| l.strip_prefix("tenantry_rate_limit_store_errors_total "))
        .unwrap_or_else(|| panic!("no store error counter in {text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_principal_gets_exactly_its_limit_across_two_processes() {
    let db = TestDb::new();
    let auth = operator_reseller(&db, 20).0;
    let redis = Redis::start_on(free_port());
    let (a, b) = two_processes(&db, &redis);
    let answers = alternate([&a, &b], &auth, 30);
    // At 20 a minute one request comes back every 3 s: within the run, at most one more.
    let ok = admitted(&answers);
    assert!((20..=21).contains(&ok), "{ok} admitted: {answers:?}");
    // One allowance, counted down by both processes in turn.
    let remaining: Vec<u32> = answers[..20].iter().map(|(_, r)| r.unwrap()).collect();
    assert_eq!(
        remaining,
        (0..20).rev().collect::<Vec<u32>>(),
        "{answers:?}"
    );
    assert!(answers[21..].iter().all(|(s, _)| *s == 429), "{answers:?}");
    assert_eq!((store_errors(&a), store_errors(&b)), (0, 0));
}

#[test]
fn with_redis_stopped_each_process_limits_on_its_own_and_shares_again_once_it_is_back() {
    let db = TestDb::new();
    let auth = operator_reseller(&db, 5).0;
    let port = free_port();
    let redis = Redis::start_on(port);
    let (a, b) = two_processes(&db, &redis);
    let shared = alternate([&a, &b], &auth, 6);
    assert_eq!(admitted(&shared), 5, "{shared:?}");

    // Redis goes away: nothing is refused for its sake; each process limits on its own.
    drop(redis);
    let alone = alternate([&a, &b], &auth, 12);
    assert_eq!(admitted(&alone), 10, "5 per process: {alone:?}");
    assert!(alone.iter().all(|(_, r)| r.is_some()), "the headers stay");
    assert!(store_errors(&a) >= 1 && store_errors(&b) >= 1);

    // Back (empty, as a restarted Redis without persistence is): shared again once each
    // process's back-off of a second has passed.
    let redis = Redis::start_on(port);
    std::thread::sleep(Duration::from_millis(1_200));
    let again = alternate([&a, &b], &auth, 6);
    assert_eq!(admitted(&again), 5, "{again:?}");
    let remaining: Vec<u32> = again[..5].iter().map(|(_, r)| r.unwrap()).collect();
    assert_eq!(remaining, [4, 3, 2, 1, 0], "{again:?}");
    drop(redis);
}

#[test]
fn failed_passwords_on_one_process_count_on_the_other() {
    let db = TestDb::new();
    operator_reseller(&db, 1_000);
    let database = db.connect();
    let user = tenantry_server::admin::create_reseller_user(
        &database,
        "acme",
        "ops",
        Some("the right password!".into()),
        tenantry_domain::Environment::Sandbox,
    )
    .unwrap();
    let redis = Redis::start_on(free_port());
    let (a, b) = two_processes(&db, &redis);
    let basic = |password: &str| Auth::Basic {
        reseller: "acme".into(),
        login: user.login.clone(),
        password: password.into(),
    };
    // Five wrong passwords from this address for this account, spread over both processes:
    // the fifth blocks the pair on both.
    for i in 0..5 {
        let process = [&a, &b][i % 2];
        let r = send(
            &agent(),
            "GET",
            &format!("{}/reseller/tenant", process.base),
            &basic("a wrong password"),
            None,
        );
        assert_eq!(r.status, 401, "try {i}: {}", r.text);
    }
    for process in [&a, &b] {
        let r = send(
            &agent(),
            "GET",
            &format!("{}/reseller/tenant", process.base),
            &basic("the right password!"),
            None,
        );
        assert_eq!(r.status, 429, "{}", r.text);
        assert!(
            r.text.contains("too_many_failed_authentications"),
            "{}",
            r.text
        );
    }
}

#[test]
fn a_store_url_that_is_not_one_is_refused_at_start() {
    let db = TestDb::new();
    let output = Command::new(common::process::BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--rate-limit-store",
            "http://nope",
        ])
        .env("TENANTRY_DATABASE_URL", &db.url)
        .env("TENANTRY_NO_BOOTSTRAP", "true")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--rate-limit-store"), "{stderr}");
}
