//! Webhook delivery figures for `cargo xtask bench`: throughput (events/s from the commit of a
//! burst to the receiver's 2xx) and latency p50/p99 from a write to its webhook's arrival, with
//! a real receiver on loopback and `tenantry serve`'s own delivery workers.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Events of the throughput burst (two sandbox fills of 1,000 orders, one commit each).
const BURST: usize = 2000;
/// Writes of the latency phase, one every 20 ms.
const PACED_WRITES: usize = 200;

pub struct WebhookFigures {
    pub events_per_s: f64,
    /// How long the first sandbox fill (1,000 orders and their events, one transaction) took.
    pub fill_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Arrivals by event type: (arrival time, the event's data).
type Arrivals = Arc<(Mutex<Vec<(Instant, String, Value)>>, Condvar)>;

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
                    let mut length = 0;
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
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body)?;
                    let at = Instant::now();
                    writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")?;
                    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let kind = event["type"].as_str().unwrap_or_default().to_owned();
                    let (list, changed) = &*shared;
                    list.lock().unwrap().push((at, kind, event["data"].clone()));
                    changed.notify_all();
                }
            });
        }
    });
    Ok((url, arrivals))
}

fn wait_for(arrivals: &Arrivals, kind: &str, n: usize) -> Result<Vec<(Instant, Value)>, String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let (list, changed) = &**arrivals;
    let mut guard = list.lock().unwrap();
    loop {
        // Counted, not copied, on every arrival: the receiver's threads wait for this lock,
        // so a slow waiter would throttle the deliveries it measures.
        let got = guard.iter().filter(|(_, k, _)| k == kind).count();
        if got >= n {
            return Ok(guard
                .iter()
                .filter(|(_, k, _)| k == kind)
                .map(|(at, _, d)| (*at, d.clone()))
                .collect());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("only {got} of {n} {kind} webhooks arrived"));
        }
        guard = changed.wait_timeout(guard, left).unwrap().0;
    }
}

pub fn bench(bin: &Path, url: &str) -> Result<WebhookFigures, String> {
    let key = super::bench::bench_reseller(bin, url)?;
    let server = super::bench::start_server_with(bin, url, &["--webhook-allow-private"])?;
    let base = server.base.clone();
    let (hook_url, arrivals) = receiver()?;
    let agent = ureq::agent();
    let post = |path: &str, body: Value| -> Result<Value, String> {
        agent
            .post(&format!("{base}{path}"))
            .set("Authorization", &format!("Bearer {key}"))
            .set("Content-Type", "application/json")
            .send_string(&body.to_string())
            .map_err(|e| format!("{path}: {e}"))?
            .into_json()
            .map_err(|e| e.to_string())
    };
    post(
        "/reseller/webhook",
        json!({"url": hook_url, "eventTypes": ["order.created", "tenant.created"]}),
    )?;
    let tenant = post(
        "/reseller/tenant",
        json!({"customerReference": "burst", "fullName": "B", "email": "b@x.example", "defaultLanguage": "swe"}),
    )?;
    let code_name = tenant["codeName"].as_str().ok_or("no codeName")?.to_owned();
    wait_for(&arrivals, "tenant.created", 1)?;

    // Throughput: from the first fill's commit (its answer) to the last 2xx. The second
    // fill commits while the first one's events are being delivered.
    let mut fill_ms = Vec::new();
    let mut first_commit = None;
    for _ in 0..BURST / 1000 {
        let started = Instant::now();
        post(
            &format!("/reseller/tenant/{code_name}/sandbox/order"),
            json!({"count": 1000}),
        )?;
        fill_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        first_commit.get_or_insert_with(Instant::now);
    }
    let burst = wait_for(&arrivals, "order.created", BURST)?;
    let last = burst.iter().map(|(at, _)| *at).max().unwrap();
    let first_commit = first_commit.expect("a fill was made");
    let events_per_s = BURST as f64 / (last - first_commit).as_secs_f64();

    // Latency: paced writes, each from its request's start to its webhook's arrival.
    let mut sent: HashMap<String, Instant> = HashMap::new();
    for i in 0..PACED_WRITES {
        let reference = format!("paced-{i}");
        sent.insert(reference.clone(), Instant::now());
        post(
            "/reseller/tenant",
            json!({"customerReference": reference, "fullName": "P", "email": "p@x.example", "defaultLanguage": "swe"}),
        )?;
        std::thread::sleep(Duration::from_millis(20));
    }
    let arrived = wait_for(&arrivals, "tenant.created", PACED_WRITES + 1)?;
    let mut latencies: Vec<f64> = arrived
        .iter()
        .filter_map(|(at, data)| {
            let started = sent.get(data["customerReference"].as_str()?)?;
            Some((*at - *started).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    Ok(WebhookFigures {
        events_per_s,
        fill_ms: fill_ms[0],
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    })
}
