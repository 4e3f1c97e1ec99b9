//! The actix-web application every Tenantry process runs: the shared middleware stack, the
//! health, readiness and metrics routes, and whichever API surfaces the caller mounts. The
//! server binary mounts the surfaces `--surface` names; each surface crate's own tests mount
//! that surface alone, through the very same stack.

use crate::{path_config, query_config, request_id, ApiError, AppState};
use actix_web::middleware::{from_fn, Logger};
use actix_web::{web, App, HttpResponse, HttpServer};
use std::net::{SocketAddr, TcpListener};

/// What a process serves beside the shared routes: one or more surfaces' `configure`
/// functions, applied in order. A mount may set the default service (the Tenant API's
/// signed-in page); otherwise an unknown route is a 404 problem.
pub type Mount = fn(&mut web::ServiceConfig);

/// How many threads serve requests.
#[derive(Debug, Clone, Copy)]
pub struct Threads {
    /// HTTP workers (async; `None`: one per CPU core).
    pub workers: Option<usize>,
    /// Threads per worker that run database and password work. Few is fast: on two cores,
    /// 2 per worker served the order-sync page 20–50% faster than actix's default of
    /// 512 ÷ workers, which spent its time switching between threads and contending for
    /// locks. Raise it when each database round trip is slow (a remote PostgreSQL).
    pub blocking_per_worker: usize,
}

impl Default for Threads {
    fn default() -> Self {
        Threads {
            workers: None,
            blocking_per_worker: DEFAULT_BLOCKING_PER_WORKER,
        }
    }
}

/// See [`Threads::blocking_per_worker`].
pub const DEFAULT_BLOCKING_PER_WORKER: usize = 2;

/// Binds the application with `mounts` to `listener` and returns it ready to run (`.await`
/// it, or spawn it).
pub fn server(
    state: web::Data<AppState>,
    listener: TcpListener,
    mounts: &[Mount],
    threads: Threads,
) -> std::io::Result<(actix_web::dev::Server, SocketAddr)> {
    let addr = listener.local_addr()?;
    let mounts = mounts.to_vec();
    let mut http = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(state.clone())
            .app_data(query_config())
            .app_data(path_config())
            .app_data(web::PayloadConfig::new(crate::MAX_BODY_BYTES))
            .wrap(from_fn(crate::auth::unchecked_credentials))
            .wrap(from_fn(crate::idempotency))
            .wrap(from_fn(crate::audit))
            .wrap(from_fn(crate::usage))
            .wrap(from_fn(crate::rate_limit_headers))
            .wrap(from_fn(request_id))
            .wrap(from_fn(crate::metrics))
            // Outermost, so the line it logs carries the request id the inner middleware set.
            .wrap(Logger::new(
                r#"%a "%r" %s %b %Dms request_id=%{x-request-id}o"#,
            ))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics))
            .default_service(web::to(no_route));
        for mount in &mounts {
            app = app.configure(*mount);
        }
        app
    })
    .listen(listener)?;
    if let Some(workers) = threads.workers {
        http = http.workers(workers);
    }
    http = http.worker_max_blocking_threads(threads.blocking_per_worker.max(1));
    Ok((http.run(), addr))
}

/// Drops the app state in this thread once the server's workers have let go of their
/// handles (waiting a few seconds at most): its writer threads are then joined and its
/// database connections closed here, before the process exits, rather than in a worker
/// thread racing the exit (libpq closing a TLS connection while OpenSSL's exit handler tears
/// down its state crashes the process).
pub fn release(state: web::Data<AppState>) {
    let state = state.into_inner();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::sync::Arc::strong_count(&state) > 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    drop(state);
}

/// `GET /healthz`: the process answers.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and its schema is current, so this process can take
/// traffic. A load balancer should route only to ready processes.
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pending = crate::blocking(move || Ok(state.db.pending_migrations()?))
        .await
        .map_err(|e| {
            ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                format!("the database is not reachable: {e}"),
            )
        })?;
    if pending > 0 {
        return Err(ApiError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("{pending} migration(s) have not run: run `tenantry migrate`"),
        ));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

/// Prometheus metrics of this process (404 when started with `--no-metrics`).
async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.metrics.enabled() {
        return Err(ApiError::not_found(
            "metrics (this server runs with --no-metrics)",
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state)))
}

async fn no_route(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(&format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
