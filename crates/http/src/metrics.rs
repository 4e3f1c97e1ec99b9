//! Prometheus metrics of one process: requests by route, method and status, latency histograms
//! by route and method, and database pool usage, served as text at `/metrics`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Series {
    /// (method, route, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) → latency.
    latency: BTreeMap<(String, String), Latency>,
}

/// The metrics of this process. `enabled: false` records nothing and `/metrics` answers 404.
pub struct Metrics {
    enabled: bool,
    series: Mutex<Series>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(true)
    }
}

impl Metrics {
    pub fn new(enabled: bool) -> Self {
        Metrics {
            enabled,
            series: Mutex::new(Series::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn record(&self, method: &str, route: String, status: u16, seconds: f64) {
        let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        *series
            .requests
            .entry((method.to_owned(), route.clone(), status))
            .or_default() += 1;
        let latency = series
            .latency
            .entry((method.to_owned(), route))
            .or_default();
        latency.count += 1;
        latency.sum += seconds;
        for (bucket, le) in latency.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= le {
                *bucket += 1;
            }
        }
    }

    /// The Prometheus text exposition of everything recorded, and of the state's database
    /// pool, writers and authentication throttle.
    pub fn render(&self, state: &crate::AppState) -> String {
        let pool = state.db.pool_status();
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str("# HELP tenantry_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE tenantry_http_requests_total counter\n");
        for ((method, route, status), n) in &series.requests {
            let _ = writeln!(
                out,
                "tenantry_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(
            "# HELP tenantry_http_request_duration_seconds Time to answer, by route and method.\n",
        );
        out.push_str("# TYPE tenantry_http_request_duration_seconds histogram\n");
        for ((method, route), l) in &series.latency {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (le, n) in BUCKETS.iter().zip(l.buckets) {
                let _ = writeln!(
                    out,
                    "tenantry_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "tenantry_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                l.count
            );
            let _ = writeln!(
                out,
                "tenantry_http_request_duration_seconds_sum{{{labels}}} {}",
                l.sum
            );
            let _ = writeln!(
                out,
                "tenantry_http_request_duration_seconds_count{{{labels}}} {}",
                l.count
            );
        }
        // (name, help, type, value) of the process-wide figures.
        for (name, help, kind, value) in [
            (
                "tenantry_db_pool_connections",
                "Open database connections.",
                "gauge",
                u64::from(pool.connections),
            ),
            (
                "tenantry_db_pool_idle_connections",
                "Open database connections not in use.",
                "gauge",
                u64::from(pool.idle),
            ),
            (
                "tenantry_db_pool_in_use_connections",
                "Database connections in use.",
                "gauge",
                u64::from(pool.connections - pool.idle),
            ),
            (
                "tenantry_db_pool_max_connections",
                "The pool's size.",
                "gauge",
                u64::from(pool.max_size),
            ),
            (
                "tenantry_audit_events_quarantined_total",
                "Audit events the database refused on their own, logged and set aside.",
                "counter",
                state.audit.quarantined(),
            ),
            (
                "tenantry_audit_events_queued_total",
                "Audit events queued for the audit writer's grouped commit (the others were written in their request's own transaction).",
                "counter",
                state.audit.queued(),
            ),
            (
                "tenantry_usage_counts_quarantined_total",
                "Usage counts the database refused on their own, logged and set aside.",
                "counter",
                state.usage.quarantined(),
            ),
            (
                "tenantry_rate_limit_store_errors_total",
                "Times the shared rate-limit store (Redis) failed to answer; limits then held per process.",
                "counter",
                state.limits.store_errors(),
            ),
            (
                "tenantry_auth_failures_total",
                "Failed password authentications counted by the throttle.",
                "counter",
                state.throttle.failures(),
            ),
            (
                "tenantry_auth_throttled_total",
                "Requests refused with 429 after too many failed authentications.",
                "counter",
                state.throttle.throttled(),
            ),
            (
                "tenantry_password_verifications_total",
                "argon2 password verifications run (cache misses and decoys).",
                "counter",
                state.auth.password_verifications() as u64,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The middleware: `App::new().wrap(from_fn(metrics))`, outermost but for the logger, so it
/// times everything inside.
pub async fn metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<crate::AppState>>().cloned();
    let response = next.call(req).await?;
    if let Some(state) = metrics.filter(|s| s.metrics.enabled()) {
        let request = response.request();
        // The route pattern, not the path: ids would make every request its own series.
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        state.metrics.record(
            request.method().as_str(),
            route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}
