//! The subscription lifecycle (XAPP): provisioning after a tenant is created, announced by
//! `tenant.ready`; cancellation at an effective date, scheduled, withdrawn or immediate. The
//! jobs run in [`run_due`], which the server calls from a background thread and tests call
//! with a clock of their own.

use crate::connection::ConnectionOut;
use crate::login::LoginOut;
use crate::tenant::{InstallLoginIn, TenantOut};
use crate::{ok_json, Principal, State};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tenantry_domain::connection::ConnectionDraft;
use tenantry_domain::event::EventType;
use tenantry_domain::permission::Role;
use tenantry_domain::template::TenantTemplate;
use tenantry_domain::tenant::{Tenant, TenantStatus};
use tenantry_domain::usage::{CounterKey, Metric, Tally};
use tenantry_domain::user::UserDraft;
use tenantry_domain::{time, Environment};
use tenantry_http::{blocking, emit, Acting, ApiError, Json, Path, Problem, ServiceConfig};
use tenantry_service as service;
use tenantry_storage::job::{self as jobs, JobKind};
use tenantry_storage::{
    tenant as tenants, usage, user as users, Database, DbConnection, StorageError,
};
use utoipa::ToSchema;

/// The base URL clients reach this server at: the configured public URL, or the request's.
pub(crate) fn base_url(config: &ServiceConfig, req: &HttpRequest) -> String {
    match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// What a provisioning job does, kept in its payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Provisioning {
    pub api_base_url: String,
    pub company_token: bool,
    pub sandbox_orders: i64,
    /// The user and path of a login URL for `tenant.ready`.
    #[serde(default)]
    pub login_url: Option<InstallLoginIn>,
    /// How long that login URL works, as the server was configured at creation.
    #[serde(default)]
    pub login_url_ttl_seconds: i64,
    /// The template chosen at creation, as it was then.
    #[serde(default)]
    pub template: Option<TenantTemplate>,
}

/// Schedules a new tenant's provisioning to run as soon as its creation commits.
pub(crate) fn schedule_provisioning(
    conn: &mut DbConnection,
    tenant: &Tenant,
    provisioning: &Provisioning,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let payload = serde_json::to_value(provisioning).expect("serializable");
    jobs::schedule(conn, tenant.id, JobKind::Provision, now, &payload, now)?;
    Ok(())
}

/// `tenant.ready`'s payload: what the partner needs to install.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadyOut {
    #[serde(flatten)]
    pub tenant: TenantOut,
    /// Where the Tenant API is.
    pub api_base_url: String,
    /// A company token (`tnt_…`) for the Tenant API, when asked for with `install.companyToken`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_token: Option<String>,
    /// How many sandbox orders provisioning created.
    pub sandbox_orders: i64,
    /// The connections provisioning created (the template's, and the company token's): their
    /// ids are the Tenant API's `X-ConnectionId`.
    pub connections: Vec<ConnectionOut>,
    /// A one-time login URL, when asked for with `install.loginUrl`. It works once, for the
    /// server's login URL lifetime (10 minutes by default); `POST …/login/{login}` makes
    /// another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<ReadyLoginOut>,
}

/// The login URL in `tenant.ready`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReadyLoginOut {
    /// The user it signs in.
    pub login: String,
    #[serde(flatten)]
    pub url: LoginOut,
}

/// Runs every job due at `now`, each in its own transaction; returns how many ran.
pub fn run_due(db: &Database, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let mut ran = 0;
    loop {
        let done = db.write(|conn| {
            let Some(job) = jobs::take_due(conn, now)? else {
                return Ok::<_, ApiError>(false);
            };
            let Some(tenant) = tenants::find_unscoped(conn, job.tenant_id)? else {
                return Ok(true);
            };
            match job.kind {
                JobKind::Provision => {
                    let provisioning: Provisioning =
                        serde_json::from_value(job.payload).map_err(|e| {
                            log::error!("a provisioning job's payload is unreadable: {e}");
                            ApiError::internal()
                        })?;
                    provision(conn, tenant, &provisioning, now)?;
                }
                JobKind::Cancel => {
                    service::lifecycle::cancellation_due(conn, tenant, now)?;
                }
            }
            Ok(true)
        })?;
        if !done {
            return Ok(ran);
        }
        ran += 1;
    }
}

fn provision(
    conn: &mut DbConnection,
    mut tenant: Tenant,
    provisioning: &Provisioning,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if tenant.status == TenantStatus::Cancelled {
        // Cancelled before its set-up ran: nothing to install, nothing to announce.
        return Ok(());
    }
    let template = provisioning.template.as_ref();
    // Asked for in the request, else the template's; sandbox tenants only.
    let wanted_orders = match provisioning.sandbox_orders {
        0 if tenant.environment == Environment::Sandbox => template.map_or(0, |t| t.sandbox_orders),
        n => n,
    };
    let mut sandbox_orders = 0;
    if wanted_orders > 0 {
        sandbox_orders = crate::sandbox::fill_in(conn, &tenant, wanted_orders)?.orders_created;
    }
    let mut connections = Vec::new();
    for connection in template.map_or(&[][..], |t| &t.connections) {
        // No token: it would be shown to no one; the partner asks for one when it needs it.
        let created = service::connection::create(
            conn,
            &service::Actor::System,
            &tenant,
            connection.draft(),
            None,
            now,
        )?;
        connections.push(ConnectionOut::from(created));
    }
    let mut company_token = None;
    if provisioning.company_token {
        let mut created = crate::connection::create_in(
            conn,
            &service::Actor::System,
            &tenant,
            ConnectionDraft::default_api(),
        )?;
        company_token = created.token.take();
        connections.push(created);
    }
    let login = provisioning
        .login_url
        .as_ref()
        .map(|wanted| login_url(conn, &tenant, wanted, provisioning, now))
        .transpose()?;
    if tenant.finish_provisioning(now) {
        tenants::update(conn, &tenant)?;
    }
    let ready = ReadyOut {
        tenant: TenantOut::from(tenant.clone()),
        api_base_url: provisioning.api_base_url.clone(),
        company_token,
        sandbox_orders,
        connections,
        login,
    };
    emit(conn, &tenant, EventType::TenantReady, &ready)
}

/// The login URL `tenant.ready` carries: for the user of that login, created as the tenant's
/// admin when there is none. Counted in the usage analytics in this transaction.
fn login_url(
    conn: &mut DbConnection,
    tenant: &Tenant,
    wanted: &InstallLoginIn,
    provisioning: &Provisioning,
    now: DateTime<Utc>,
) -> Result<ReadyLoginOut, ApiError> {
    let user = match users::find_by_login(conn, tenant.id, &wanted.login) {
        Ok(user) => user,
        Err(StorageError::NotFound(_)) => {
            let draft = UserDraft {
                login: wanted.login.clone(),
                full_name: tenant.full_name.clone(),
                email: tenant.email.clone(),
                permissions: Vec::new(),
                role: Role::Admin,
                default_language: tenant.default_language.clone(),
                password: None,
            };
            service::user::create(conn, &service::Actor::System, tenant, draft, None, now)?
        }
        Err(e) => return Err(e.into()),
    };
    let url = crate::login::issue(
        conn,
        tenant,
        &user,
        wanted.path.clone(),
        chrono::Duration::seconds(provisioning.login_url_ttl_seconds),
        &provisioning.api_base_url,
        now,
    )?;
    let created = CounterKey::for_tenant(tenant, now.date_naive(), Metric::LoginUrlsCreated, "");
    usage::add(conn, &[(created, Tally::one(0))], &[])?;
    Ok(ReadyLoginOut {
        login: user.login,
        url,
    })
}

/// Starts the thread that runs jobs as they fall due: woken by this process's commits that
/// schedule one, and polling each second for other processes' and for dates reached.
pub fn spawn(db: Database) -> JobRunner {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let runner_db = db.clone();
    let thread = std::thread::Builder::new()
        .name("lifecycle".into())
        .spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                let seen = runner_db.queued_commits();
                if let Err(e) = run_due(&runner_db, time::now()) {
                    log::warn!("tenant jobs: {e}");
                }
                runner_db.wait_for_queued(seen, std::time::Duration::from_secs(1));
            }
        })
        .expect("spawn the lifecycle thread");
    JobRunner { stop, thread, db }
}

/// The running job thread.
pub struct JobRunner {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    db: Database,
}

impl JobRunner {
    /// Lets the job in hand finish (a job left undone runs on the next start), then stops.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.db.wake_queued_waiters();
        let _ = self.thread.join();
    }
}

/// When the cancellation takes effect.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelIn {
    /// RFC 3339; now or earlier cancels at once.
    pub effective_date: DateTime<Utc>,
}

/// Cancel a tenant at `effectiveDate` (XAPP). Until then it works as before and the
/// cancellation can be withdrawn; at the date its connections are deactivated and the Tenant
/// API refuses it. Scheduling again moves the date.
#[utoipa::path(post, path = "/reseller/tenant/{codeName}/cancel", tag = "tenant", params(("codeName" = String, Path)), request_body = CancelIn,
    responses((status = 200, body = TenantOut), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "cancelled already", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
    Json(body): Json<CancelIn>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let tenant = blocking(move || {
        let (actor, scope) = (principal.actor(), principal.scope());
        state.db.write(|conn| {
            Ok::<_, ApiError>(service::lifecycle::cancel(
                conn,
                &actor,
                &scope,
                &code_name,
                body.effective_date,
                time::now(),
            )?)
        })
    })
    .await?;
    ok_json(&TenantOut::from(tenant))
}

/// Withdraw a scheduled cancellation; the tenant is active again.
#[utoipa::path(delete, path = "/reseller/tenant/{codeName}/cancel", tag = "tenant", params(("codeName" = String, Path)),
    responses((status = 200, body = TenantOut), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "no cancellation is scheduled", body = Problem)))]
pub async fn withdraw(
    state: State,
    Principal(principal): Principal,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code_name = path.into_inner();
    let tenant = blocking(move || {
        let (actor, scope) = (principal.actor(), principal.scope());
        state.db.write(|conn| {
            Ok::<_, ApiError>(service::lifecycle::withdraw(
                conn,
                &actor,
                &scope,
                &code_name,
                time::now(),
            )?)
        })
    })
    .await?;
    ok_json(&TenantOut::from(tenant))
}
